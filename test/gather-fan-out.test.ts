/**
 * Guarantee 58 (docs/guarantees.md#g58): a gathering executor (`gather: true`) is called once per superstep with
 * every message delivered to it in that superstep, as one list in queue order, whichever threads sent them — no
 * count passed along. Public API only, real worker threads (fixtures/gather.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createMemoryStore, createPool, executorModule, type ActorPool } from '@superstep/runtime';
import { defineExecutor } from '@superstep/runtime/executor';
import { drain, ofType, thrownBy } from './helpers.ts';
import type { Total } from './fixtures/gather.ts';

const g = executorModule<typeof import('./fixtures/gather.ts')>(new URL('./fixtures/gather.ts', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'superstep-gather-'));
let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
  rmSync(scratch, { recursive: true, force: true });
});

function squares(options: { readonly store?: ReturnType<typeof createMemoryStore> } = {}) {
  return new WorkflowBuilder(g.executor('split'))
    .addEdge('split', g.executor('square'))
    .addEdge('square', g.executor('total'))
    .build({ pool, ...options });
}

const items = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('guarantee 58: gathering a fan-out', () => {
  it('guarantee 58: the messages of a stateless executor spread over both threads reach the gathering executor as one list, in one call, in queue order', async () => {
    await using wf = await squares();
    const { events, result } = await drain(wf.run({ items: items(40) }));
    const [total] = result?.outputs as Total[];
    expect(total?.squares).toEqual(items(40).map((n) => n * n));
    expect(total?.sources).toEqual(items(40).map(() => 'square'));
    expect(total?.calls).toBe(1);
    expect(total?.threads).toBe(2);
    const gathered = ofType(events, 'superstep.started').flatMap((e) =>
      e.executors.filter((work) => work.executorId === 'total'),
    );
    expect(gathered).toEqual([expect.objectContaining({ executorId: 'total', invocations: 1 })]);
    expect(ofType(events, 'executor.invoked').filter((e) => e.executorId === 'total')).toHaveLength(1);
  });

  it('guarantee 58: the order is the same from run to run, and a single message is gathered as a list of one', async () => {
    await using wf = await squares();
    const list = [7, 3, 9, 1, 12, 5, 8, 2, 11, 4, 6, 10];
    const runs: Total[] = [];
    for (let i = 0; i < 3; i++) runs.push(...((await wf.run({ items: list }).result()).outputs as Total[]));
    for (const run of runs) expect(run.squares).toEqual(list.map((n) => n * n));
    const [one] = (await wf.run({ items: [4] }).result()).outputs as Total[];
    expect(one).toMatchObject({ squares: [16], sources: ['square'], calls: 4 });
  });

  it('guarantee 58: restored from the barrier where the squares wait for it, a fresh instance gathers them all in one call', async () => {
    await using store = createMemoryStore();
    await using wf = await squares({ store });
    const { events, result } = await drain(wf.run({ items: items(10) }));
    const barrier2 = ofType(events, 'checkpoint.saved').find((e) => e.superstep === 2)?.checkpointId ?? '';
    await using fresh = await squares({ store });
    await fresh.restore(barrier2);
    const resumed = await fresh.resume().result();
    expect(resumed.supersteps).toBe(1);
    expect(resumed.outputs).toEqual(result?.outputs);
  });

  it('guarantee 58: when a thread dies while the squares are computed, the replayed superstep still hands the gathering executor every square, once', async () => {
    await using wf = await squares();
    const dieOnce = join(scratch, 'die-once');
    const { events, result } = await drain(wf.run({ items: items(20), dieOnce }));
    expect(ofType(events, 'worker.restarted')).toHaveLength(1);
    const [total] = result?.outputs as Total[];
    expect(total?.squares).toEqual(items(20).map((n) => n * n));
    expect(total?.calls).toBe(1);
  });

  it("guarantee 58: an answer to a gathering executor's request goes to onResponse on its own, not into a list", async () => {
    await using wf = await squares();
    const run = wf.run({ items: [-1, -2, -3] });
    for await (const event of run) {
      if (event.type === 'request') await run.respond(event.requestId, 'yes');
    }
    const [total] = (await run.result()).outputs as Total[];
    expect(total).toMatchObject({ squares: [1, 4, 9], calls: 1, answer: 'yes' });
  });

  it('guarantee 58: defineExecutor refuses a stateless gathering executor and one with `on` handlers (INVALID_OPTION)', () => {
    const stateless = thrownBy(() =>
      defineExecutor<number>({ gather: true, stateless: true as false, handle: () => undefined }),
    );
    expect(stateless).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'gather' } });
    const on = thrownBy(() => defineExecutor({ gather: true, on: { a: () => undefined } } as never));
    expect(on).toMatchObject({ code: 'INVALID_OPTION', details: { option: 'gather' } });
  });
});
