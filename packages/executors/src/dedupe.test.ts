import { describe, expect, it } from 'vitest';
import { dedupe } from './dedupe.ts';
import { createTestExecutor } from '@superstep/runtime/testing';
import { invalid, thrown } from './test-helpers.ts';

describe('dedupe', () => {
  it('passes each message once, by content (key order ignored), across supersteps', async () => {
    const actor = createTestExecutor(dedupe<{ a: number; b?: number }>());
    await actor.step([{ a: 1, b: 2 }, { b: 2, a: 1 }, { a: 2 }]);
    await actor.step([{ a: 2 }, { a: 3 }]);
    expect(actor.messages).toEqual([{ a: 1, b: 2 }, { a: 2 }, { a: 3 }]);
  });

  it('uses a key function; `__proto__` is an ordinary key', async () => {
    const actor = createTestExecutor(dedupe({ key: (s: string) => s }));
    await actor.step(['__proto__', 'x', '__proto__', 'constructor', 'constructor']);
    expect(actor.messages).toEqual(['__proto__', 'x', 'constructor']);
  });

  it('with max, forgets the oldest key past the bound', async () => {
    const actor = createTestExecutor(dedupe<number>({ max: 2 }));
    await actor.step([1, 2, 1, 3]); // 3 evicts 1
    await actor.step([1, 3]); // 1 passes again and evicts 2
    await actor.step([2]);
    expect(actor.messages).toEqual([1, 2, 3, 1, 2]);
    expect(Object.keys(actor.state.seen).length).toBe(2);
  });

  it('rejects bad options', () => {
    expect(thrown(() => dedupe({ max: 0 }))).toMatchObject(invalid('dedupe', 'max'));
  });
});
