/**
 * The host seam (docs/design.md, "The host seam"), through the public API and real worker threads: a
 * workflow needs nothing of its hosts but the `HostSet` interface, runs the same over the loopback (every
 * batch and control call as codec bytes), and hears a replacement host's timer notices in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createLoopbackPool,
  createPool,
  executor,
  executorModule,
  type HostSet,
} from '@superstep/runtime';
import { drain, ofType } from './helpers.ts';
import type { Count, Tick } from './fixtures/faults.ts';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const faults = executorModule<typeof import('./fixtures/faults.ts')>(new URL('./fixtures/faults.ts', import.meta.url));
const retries = executorModule<typeof import('./fixtures/retries.ts')>(
  new URL('./fixtures/retries.ts', import.meta.url),
);

const scratch = mkdtempSync(join(tmpdir(), 'superstep-host-seam-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** `hosts` seen only through the interface: no pool class, no fields beyond the contract. */
function onlyTheInterface(hosts: HostSet): HostSet {
  return {
    get size() {
      return hosts.size;
    },
    host: (index) => hosts.host(index),
    kill: (index, reason) => {
      hosts.kill(index, reason);
    },
    nextPlacement: () => hosts.nextPlacement(),
    registerInstance: (instance, reload) => hosts.registerInstance(instance, reload),
    assertOpen: () => {
      hosts.assertOpen();
    },
    get isClosed() {
      return hosts.isClosed;
    },
    close: () => hosts.close(),
  };
}

describe('the host seam', () => {
  it('a workflow runs on any HostSet: a loopback pool seen only through the interface gives the same outputs', async () => {
    await using loopback = await createLoopbackPool({ threads: 2 });
    await using workflow = await new WorkflowBuilder(basic.executor('split'))
      .addEdge('split', basic.executor('square'))
      .addEdge('square', basic.executor('counter'))
      .build({ pool: onlyTheInterface(loopback) });
    const { outputs } = await workflow.run([1, 2, 3]).result();
    expect(outputs).toEqual([1, 2, 3]);
    // A second run continues from the committed state the hosts kept.
    expect((await workflow.run([4]).result()).outputs).toEqual([4]);
  });

  it('a host replaced mid-run gets its own subscription: a later timeout on it in the same run is still caught', async () => {
    // One thread: the host that dies in superstep 2 is the one that runs the overrunning handler in superstep 3.
    // Were the replacement not subscribed, its timer notice would be lost and the run would spin forever.
    await using pool = await createPool({ threads: 1 });
    await using workflow = await new WorkflowBuilder(faults.executor('driver'))
      .addEdge('driver', faults.executor('faulty'))
      // The overrun never reads its message: a reference typed for what `faulty` sends.
      .addEdge('faulty', executor<Count>('overrun', { module: retries.module, export: 'overrun' }))
      .build({ pool });
    const tick: Tick = {
      round: 1,
      rounds: 1,
      fault: { kind: 'exit', superstep: 2, counter: join(scratch, 'counter'), times: 1 },
    };
    const { events, error } = await drain(workflow.run(tick));
    expect(error).toMatchObject({ code: 'EXECUTOR_TIMEOUT', details: { executorId: 'overrun' } });
    expect(ofType(events, 'worker.restarted').map((event) => event.superstep)).toEqual([2]);
    expect(ofType(events, 'executor.failed').map((event) => [event.executorId, event.superstep])).toEqual([
      ['overrun', 3],
    ]);
  });

  it('SUPERSTEP_HOST_SET names the host set createPool() makes; an unknown one is refused before any thread starts', async () => {
    const saved = process.env.SUPERSTEP_HOST_SET;
    process.env.SUPERSTEP_HOST_SET = 'carrier-pigeon';
    try {
      await expect(createPool({ threads: 1 })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        details: { option: 'SUPERSTEP_HOST_SET' },
      });
    } finally {
      if (saved === undefined) delete process.env.SUPERSTEP_HOST_SET;
      else process.env.SUPERSTEP_HOST_SET = saved;
    }
  });
});
