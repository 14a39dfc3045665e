import { describe, expect, it } from 'vitest';
import { batch, FLUSH } from './batch.ts';
import { createTestExecutor } from '@superstep/runtime/testing';
import { invalid, thrown } from './test-helpers.ts';

describe('batch', () => {
  it('emits an array of `size` messages, across supersteps', async () => {
    const actor = createTestExecutor(batch<number>({ size: 3 }));
    await actor.step([1, 2]);
    await actor.step([3, 4, 5, 6, 7]);
    expect(actor.messages).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(actor.state.items).toEqual([7]);
  });

  it('a flush marker emits the remainder; a flush with nothing held emits nothing', async () => {
    const actor = createTestExecutor(batch<number>({ size: 10 }));
    await actor.step([1, 2, FLUSH, FLUSH]);
    expect(actor.messages).toEqual([[1, 2]]);
  });

  it('flushEachSuperstep: a remainder is emitted when the first message of a later superstep arrives', async () => {
    const actor = createTestExecutor(batch<number>({ size: 10, flushEachSuperstep: true }));
    await actor.step([1, 2]);
    actor.barrier();
    await actor.step([3]);
    expect(actor.messages).toEqual([[1, 2]]);
    expect(actor.state).toEqual({ items: [3], since: 3 });
  });

  it('a custom isFlush and size Infinity: only markers emit', async () => {
    const actor = createTestExecutor(batch<string>({ size: Infinity, isFlush: (m) => m === 'END' }));
    await actor.step(['a', 'b', 'END', 'c']);
    expect(actor.messages).toEqual([['a', 'b']]);
  });

  it('rejects bad options', () => {
    expect(thrown(() => batch({ size: 0 }))).toMatchObject(invalid('batch', 'size'));
    expect(thrown(() => batch({ size: 1.5 }))).toMatchObject(invalid('batch', 'size'));
    expect(thrown(() => batch({ size: 2, isFlush: 'flush' as never }))).toMatchObject(invalid('batch', 'isFlush'));
  });
});
