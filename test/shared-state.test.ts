/**
 * Guarantee 45 (docs/guarantees.md#shared-state): workflow-scoped shared state — barrier visibility, own writes, the conflict rule, initial
 * state, and failed supersteps. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadId as mainThreadId } from 'node:worker_threads';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  type ActorPool,
  type Workflow,
  type WorkflowOptions,
} from '@superstep/runtime';
import { drain, ofType, rejectionOf } from './helpers.ts';
import type { Seen } from './fixtures/shared-state.ts';

const shared = executorModule<typeof import('./fixtures/shared-state.ts')>(
  new URL('./fixtures/shared-state.ts', import.meta.url),
);
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

/** `id@superstep=value` for each output, sorted: what every executor saw, when. */
function sightings(outputs: readonly unknown[] | undefined): string[] {
  return ((outputs ?? []) as Seen[])
    .map((s) => `${s.id}@${s.superstep}=${JSON.stringify(s.value)}${s.has ? '' : ' (absent)'}`)
    .sort();
}

describe('guarantee 45: shared state', () => {
  let pool: ActorPool;
  /** One thread: actors of one superstep run one after the other, so a read really follows a write. */
  let onePool: ActorPool;
  beforeAll(async () => {
    [pool, onePool] = await Promise.all([createPool({ threads: 2 }), createPool({ threads: 1 })]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), onePool.close()]);
  });

  it('guarantee 45: initial shared state from build({ sharedState }) is visible in superstep 1', async () => {
    await using wf = await new WorkflowBuilder(shared.executor('reader')).build({
      pool,
      sharedState: { x: 0, y: { nested: [1, 2] } },
    });
    expect(sightings((await wf.run({ key: 'x' }).result()).outputs)).toEqual(['reader@1=0']);
    expect(sightings((await wf.run({ key: 'y' }).result()).outputs)).toEqual(['reader@1={"nested":[1,2]}']);
    expect(sightings((await wf.run({ key: 'z' }).result()).outputs)).toEqual(['reader@1=null (absent)']);
  });

  it('guarantee 45: initial shared state the codec cannot carry is refused at build() with SERIALIZATION_FAILED', async () => {
    const error = await rejectionOf(
      new WorkflowBuilder(shared.executor('reader')).build({ pool, sharedState: { fn: () => 1 } }),
    );
    expect(error.code).toBe('SERIALIZATION_FAILED');
  });

  for (const [label, which] of [
    ['one thread', 'one'],
    ['two threads', 'two'],
  ] as const) {
    it(`guarantee 45: a read in superstep N sees the last barrier plus the reader's own writes; others' writes only after the barrier (${label})`, async () => {
      // kick → {w, r} in superstep 2 (w is served first), then w → r in superstep 3.
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
        .addFanOut('kick', [shared.executor('writer', { id: 'w' }), shared.executor('reader', { id: 'r' })])
        .addEdge('w', 'r')
        .build({ pool: which === 'one' ? onePool : pool, sharedState: { x: 0 } });
      const { result } = await drain(wf.run({ key: 'x', value: 1 }));
      expect(sightings(result?.outputs)).toEqual([
        'r@2=0', // w has written 1 in this superstep, but r sees the barrier of superstep 1
        'r@3=1', // after the barrier of superstep 2
        'w@2=1', // w sees its own write at once
      ]);
    });
  }

  it('guarantee 45: committed writes reach every thread, including threads that did not run the writer', async () => {
    await using wf = await new WorkflowBuilder(shared.executor('writer', { id: 'w' }))
      .addEdge('w', shared.executor('statelessReader'))
      .build({ pool });
    const { result } = await drain(wf.run({ key: 'x', value: 42, copies: 6 }));
    const reads = ((result?.outputs ?? []) as Seen[]).filter((s) => s.id === 'statelessReader');
    expect(reads).toHaveLength(6);
    expect(reads.map((s) => s.value)).toEqual([42, 42, 42, 42, 42, 42]);
    const threads = new Set(reads.map((s) => s.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(mainThreadId)).toBe(false);
  });

  it('guarantee 45: two writers of one key in one superstep: the executor whose id sorts last wins, with a SHARED_STATE_CONFLICT warning', async () => {
    // w-b is registered (and served) first, so the rule cannot be "last served wins".
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [shared.executor('writer', { id: 'w-b' }), shared.executor('writer', { id: 'w-a' })])
      .addEdge('w-b', shared.executor('reader', { id: 'r' }))
      .addEdge('w-a', 'r')
      .build({ pool });
    const { events, result } = await drain(wf.run({ key: 'k' }));
    expect(sightings(result?.outputs)).toEqual(['r@3="w-b"', 'r@3="w-b"', 'w-a@2="w-a"', 'w-b@2="w-b"']);
    const conflicts = ofType(events, 'warning').filter((w) => w.code === 'SHARED_STATE_CONFLICT');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ superstep: 2, details: { key: 'k', writers: ['w-a', 'w-b'], winner: 'w-b' } });
  });

  it('guarantee 45: a delete is visible to its writer at once and to others after the barrier, and outlives the run', async () => {
    interface Mode {
      readonly mode: 'delete' | 'read';
    }
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [shared.executor('deleter', { id: 'd' }), shared.executor('reader', { id: 'r' })], {
        select: (message) => ((message as Mode).mode === 'delete' ? ['d', 'r'] : ['r']),
      })
      .addEdge('d', 'r')
      .build({ pool, sharedState: { x: 5 } });
    const deleted = await wf.run({ key: 'x', mode: 'delete' }).result();
    expect(sightings(deleted.outputs)).toEqual(['d@2=null (absent)', 'r@2=5', 'r@3=null (absent)']);
    // Shared state belongs to the instance: the next run still sees the key deleted.
    expect(sightings((await wf.run({ key: 'x', mode: 'read' }).result()).outputs)).toEqual(['r@2=null (absent)']);
  });

  it('guarantee 45: one executor writing one key twice in a superstep is no conflict: its last write is committed', async () => {
    await using wf = await new WorkflowBuilder(shared.executor('writeTwice', { id: 'w' }))
      .addEdge('w', shared.executor('reader', { id: 'r' }))
      .build({ pool });
    const { events, result } = await drain(wf.run({ key: 'k', value: 'last' }));
    expect(sightings(result?.outputs)).toEqual(['r@2="last"', 'w@1="last"']);
    expect(ofType(events, 'warning').filter((w) => w.code === 'SHARED_STATE_CONFLICT')).toEqual([]);
  });

  /** kick → w (mode `write`) or r (mode `read`): one instance that can both write and read shared state. */
  function buildReadWrite(options: WorkflowOptions): Promise<Workflow> {
    return new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [shared.executor('writer', { id: 'w' }), shared.executor('reader', { id: 'r' })], {
        select: (message) => [(message as { mode: string }).mode === 'write' ? 'w' : 'r'],
      })
      .build({ pool, ...options });
  }
  const write = async (wf: Workflow, key: string, value: unknown): Promise<void> => {
    await wf.run({ key, value, mode: 'write', copies: 0 }).result();
  };
  const read = async (wf: Workflow, key: string): Promise<string[]> =>
    sightings((await wf.run({ key, mode: 'read' }).result()).outputs);

  it('guarantee 45: reset() puts shared state back to the initial state given to build()', async () => {
    await using wf = await buildReadWrite({ sharedState: { k: 'initial', other: 1 } });
    await write(wf, 'k', 'changed');
    await write(wf, 'new', 'added');
    expect(await read(wf, 'k')).toEqual(['r@2="changed"']);
    await wf.reset();
    expect(await read(wf, 'k')).toEqual(['r@2="initial"']);
    expect(await read(wf, 'new')).toEqual(['r@2=null (absent)']);
    expect(await read(wf, 'other')).toEqual(['r@2=1']);
  });

  it('guarantee 45: the initial shared state is captured at build(): mutating the caller’s object later changes nothing', async () => {
    const config = { limit: 1, tags: ['a'] };
    await using wf = await buildReadWrite({ sharedState: { config } });
    config.limit = 99;
    config.tags.push('b');
    expect(await read(wf, 'config')).toEqual(['r@2={"limit":1,"tags":["a"]}']);
    await write(wf, 'config', 'replaced');
    await wf.reset();
    expect(await read(wf, 'config')).toEqual(['r@2={"limit":1,"tags":["a"]}']);
  });

  it('guarantee 45: shared state is part of a checkpoint: restoring it on a fresh instance brings the values back', async () => {
    const store = createMemoryStore();
    await using original = await buildReadWrite({ store, sharedState: { k: 'initial' } });
    await write(original, 'k', 'checkpointed');
    const meta = await original.createCheckpoint();
    await write(original, 'k', 'after the checkpoint');

    await using fresh = await buildReadWrite({ store, sharedState: { k: 'initial' } });
    await fresh.restore(meta.id);
    expect(await read(fresh, 'k')).toEqual(['r@2="checkpointed"']);
  });

  it('guarantee 45: a failed superstep commits none of its shared writes — neither the failing executor’s nor its siblings’', async () => {
    interface Mode {
      readonly mode: 'write' | 'fail' | 'read';
    }
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut(
        'kick',
        [
          shared.executor('writer', { id: 'w' }),
          shared.executor('writeThenThrow', { id: 'boom' }),
          shared.executor('reader', { id: 'r' }),
        ],
        {
          select: (message) => {
            const { mode } = message as Mode;
            return mode === 'write' ? ['w'] : mode === 'fail' ? ['w', 'boom'] : ['r'];
          },
        },
      )
      .build({ pool, sharedState: { k: 'initial' } });
    // Committed by a successful run: shared state outlives the run.
    await wf.run({ key: 'k', value: 'committed', mode: 'write', copies: 0 }).result();
    // w writes k and boom writes k and also-written, then boom throws: superstep 2 fails.
    const failed = await drain(wf.run({ key: 'k', value: 'from-failed-superstep', mode: 'fail', copies: 0 }));
    expect(failed.error).toMatchObject({ code: 'EXECUTOR_FAILED', details: { executorId: 'boom' } });
    // No conflict is reported for writes that were never committed.
    expect(ofType(failed.events, 'warning').filter((w) => w.code === 'SHARED_STATE_CONFLICT')).toEqual([]);

    expect(sightings((await wf.run({ key: 'k', mode: 'read' }).result()).outputs)).toEqual(['r@2="committed"']);
    expect(sightings((await wf.run({ key: 'also-written', mode: 'read' }).result()).outputs)).toEqual([
      'r@2=null (absent)',
    ]);
  });
});
