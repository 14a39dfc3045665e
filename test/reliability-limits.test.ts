/**
 * What the runtime does not guarantee (docs/reliability.md), shown so the documentation stays true: Maps
 * (and Sets, typed arrays) in actor state are not frozen, so an in-place mutation escapes the rollback of a
 * failed superstep — it lingers in the worker, yet a checkpoint or a replacement worker never sees it.
 * Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createMemoryStore, createPool, executorModule, type ActorPool } from '@superstep/runtime';
import type { KeeperOrder } from './fixtures/limits.ts';
import { rejectionOf } from './helpers.ts';

const limits = executorModule<typeof import('./fixtures/limits.ts')>(new URL('./fixtures/limits.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});

const read: KeeperOrder = { op: 'read' };

describe('not guaranteed: in-place mutation of a Map in state', () => {
  it('replacing the Map through setState in a failed superstep is rolled back (the right way)', async () => {
    await using wf = await new WorkflowBuilder(limits.executor('keeper')).build({ pool });
    expect((await rejectionOf(wf.run({ op: 'replace-then-fail', key: 'a' }).result())).code).toBe('EXECUTOR_FAILED');
    expect((await wf.run(read).result()).outputs).toEqual([[]]);
  });

  it('mutating the committed Map in place escapes the rollback in the worker, but not into checkpoints: state diverges', async () => {
    await using store = createMemoryStore();
    await using wf = await new WorkflowBuilder(limits.executor('keeper')).build({ pool, store });
    expect((await rejectionOf(wf.run({ op: 'mutate-in-place-then-fail', key: 'a' }).result())).code).toBe(
      'EXECUTOR_FAILED',
    );
    // The failed superstep "committed nothing", yet the worker's copy of the state has the key…
    expect((await wf.run(read).result()).outputs).toEqual([['a']]);
    // …while the checkpointed state (what a restore or a replacement worker gets) never had it.
    const latest = await store.latest();
    await wf.restore(latest?.id ?? '');
    expect((await wf.resume().result()).outputs).toEqual([]);
    expect((await wf.run(read).result()).outputs).toEqual([[]]);
  });
});
