import { describe, expect, it } from 'vitest';
import { reduce } from './reduce.ts';
import { createTestExecutor } from '@superstep/runtime/testing';
import { invalid, thrown } from './test-helpers.ts';

describe('reduce', () => {
  it('without a condition emits the running accumulator after every message', async () => {
    const actor = createTestExecutor(reduce({ initial: 0, step: (sum, n: number) => sum + n }));
    await actor.step([1, 2]);
    await actor.step([3]);
    expect(actor.messages).toEqual([1, 3, 6]);
    expect(actor.state).toEqual({ acc: 6, count: 3 });
  });

  it('emitAt makes tumbling windows of N, resetting after each', async () => {
    const actor = createTestExecutor(reduce({ initial: 0, step: (sum, n: number) => sum + n, emitAt: 2 }));
    await actor.step([1, 2, 3]);
    await actor.step([4, 5]);
    expect(actor.messages).toEqual([3, 7]);
    expect(actor.state).toEqual({ acc: 5, count: 1 });
  });

  it('emitWhen sees the accumulator, the count and the message', async () => {
    const actor = createTestExecutor(
      reduce({
        initial: (): string[] => [],
        step: (acc, word: string) => [...acc, word],
        emitWhen: (_acc, _count, word) => word.endsWith('.'),
      }),
    );
    await actor.step(['one', 'two.', 'three', 'four.']);
    expect(actor.messages).toEqual([
      ['one', 'two.'],
      ['three', 'four.'],
    ]);
  });

  it('may mutate the accumulator in place: the committed state is never touched', async () => {
    const merge = reduce({
      initial: (): Record<string, number> => ({}),
      step: (acc, word: string) => {
        acc[word] = (acc[word] ?? 0) + 1;
        return acc;
      },
      emitAt: 4,
    });
    const actor = createTestExecutor(merge);
    await actor.step(['a', 'b']);
    const committed = actor.state;
    expect(Object.isFrozen(committed.acc)).toBe(true);
    await actor.handle('a');
    // The failed superstep's in-place changes disappear with its draft.
    actor.rollback();
    expect(actor.state).toBe(committed);
    expect(committed).toEqual({ acc: { a: 1, b: 1 }, count: 2 });
    await actor.step(['a', 'c']);
    expect(actor.messages).toEqual([{ a: 2, b: 1, c: 1 }]);
  });

  it('emits a copy when it keeps folding (reset: false), so later changes do not leak into the message', async () => {
    const actor = createTestExecutor(
      reduce({
        initial: (): number[] => [],
        step: (acc, n: number) => {
          acc.push(n);
          return acc;
        },
        emitWhen: (acc) => acc.length % 2 === 0,
        reset: false,
      }),
    );
    await actor.step([1, 2, 3, 4]);
    expect(actor.messages).toEqual([
      [1, 2],
      [1, 2, 3, 4],
    ]);
  });

  it('project shapes what is emitted; emit chooses send, output or both', async () => {
    const actor = createTestExecutor(
      reduce({
        initial: 0,
        step: (sum, n: number) => sum + n,
        emitAt: 2,
        project: (sum, count) => ({ mean: sum / count }),
        emit: 'both',
      }),
    );
    await actor.step([1, 3]);
    expect(actor.messages).toEqual([{ mean: 2 }]);
    expect(actor.outputs).toEqual([{ mean: 2 }]);
  });

  it('starts each window from a fresh copy of a value `initial`', async () => {
    const actor = createTestExecutor(
      reduce({
        initial: { items: [] as number[] },
        step: (acc, n: number) => {
          acc.items.push(n);
          return acc;
        },
        emitAt: 1,
      }),
    );
    await actor.step([1, 2]);
    expect(actor.messages).toEqual([{ items: [1] }, { items: [2] }]);
  });

  it('rejects bad options with INVALID_OPTION naming the option', () => {
    expect(thrown(() => reduce({ initial: 0, step: (s, n: number) => s + n, emitAt: 0 }))).toMatchObject(
      invalid('reduce', 'emitAt'),
    );
    expect(thrown(() => reduce({ initial: 0, step: undefined as never }))).toMatchObject(invalid('reduce', 'step'));
    expect(thrown(() => reduce({ initial: 0, step: (s: number) => s, emit: 'yield' as never }))).toMatchObject(
      invalid('reduce', 'emit'),
    );
  });
});
