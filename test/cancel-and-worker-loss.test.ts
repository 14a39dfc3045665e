import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type WorkflowEvent } from '@superstep/runtime';

const mod = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'superstep-faults-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

async function collect(run: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const events: WorkflowEvent[] = [];
  for await (const event of run) events.push(event);
  return events;
}

describe('guarantee 38: cancellation', () => {
  it('guarantee 38: cancel() stops a handler spinning in while(true) by replacing its worker; the instance is reusable', async () => {
    await using workflow = await new WorkflowBuilder(mod.executor('forward'))
      .addSwitch('forward', [{ when: (m) => m === 'spin', to: mod.executor('spin') }], mod.executor('sink'))
      .build({ threads: 2, cancelGraceMs: 50 });
    const run = workflow.run('spin');
    const restarted = new Promise<void>((resolve) => {
      // Cancel once the spinning handler has certainly started (its superstep has begun).
      void (async () => {
        for await (const event of run) {
          if (event.type === 'superstep.started' && event.superstep === 2) void run.cancel('test');
        }
        resolve();
      })();
    });
    await restarted;
    expect(run.status).toBe('cancelled');
    await expect(run.result()).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    expect(workflow.status).toBe('idle');
    // The next run on the same instance succeeds, on the replacement worker.
    const next = await workflow.run('hello').result();
    expect(next.outputs).toEqual(['hello']);
  });

  it('guarantees 16/38: a cancelled run emits exactly one terminal status, `cancelled`', async () => {
    await using workflow = await new WorkflowBuilder(mod.executor('forward'))
      .addEdge('forward', mod.executor('spin'))
      .build({
        threads: 1,
        cancelGraceMs: 20,
      });
    const controller = new AbortController();
    const run = workflow.run(1, { signal: controller.signal });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'superstep.started' && event.superstep === 2) controller.abort('stop');
    }
    const statuses = events.flatMap((event) => (event.type === 'status' ? [event.status] : []));
    expect(statuses).toEqual(['running', 'cancelled']);
  });
});

describe('guarantee 38: closing while a handler spins', () => {
  /** forward → spin, started and waited for until the spinning superstep has begun. */
  async function spinning(build: Parameters<WorkflowBuilder['build']>[0]) {
    const workflow = await new WorkflowBuilder(mod.executor('forward'))
      .addEdge('forward', mod.executor('spin'))
      .build(build);
    const run = workflow.run(1);
    for await (const event of run) if (event.type === 'superstep.started' && event.superstep === 2) break;
    return { workflow, run };
  }

  it('guarantee 38: close() of a workflow whose handler spins cancels the run and resolves', async () => {
    const { workflow, run } = await spinning({ threads: 2, cancelGraceMs: 20 });
    await workflow.close();
    expect(workflow.status).toBe('closed');
    await expect(run.result()).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
  });

  it('guarantee 38: on a shared pool, a cancel past cancelGraceMs, then close() of the workflow and of the pool, all resolve', async () => {
    await using pool = await createPool({ threads: 2 });
    const { workflow, run } = await spinning({ pool, cancelGraceMs: 20 });
    void run.cancel('test');
    await expect(run.result()).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    await workflow.close();
    await pool.close();
    expect(pool.isClosed).toBe(true);
  });
});

describe('guarantee 39: worker faults', () => {
  it('guarantee 39: a worker that exits mid-superstep is replaced, the superstep replayed, and the run completes', async () => {
    const marker = join(scratch, 'crash-once');
    await using workflow = await new WorkflowBuilder(mod.executor('forward'))
      .addEdge('forward', mod.executor('crashOnce'))
      .build({
        threads: 2,
      });
    const run = workflow.run({ marker, value: 42 });
    const events = await collect(run);
    expect((await run.result()).outputs).toEqual([42]);
    const restarts = events.filter((event) => event.type === 'worker.restarted');
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ superstep: 2, attempt: 1 });
  });

  it('guarantee 39: past maxWorkerRestarts the run fails with WORKER_LOST', async () => {
    await using workflow = await new WorkflowBuilder(mod.executor('forward'))
      .addEdge('forward', mod.executor('crashOnce'))
      .build({
        threads: 1,
        maxWorkerRestarts: 0,
      });
    const run = workflow.run({ marker: join(scratch, 'crash-always-first'), value: 1 });
    await collect(run);
    await expect(run.result()).rejects.toMatchObject({ code: 'WORKER_LOST' });
    expect(run.status).toBe('failed');
  });
});
