import { describe, expect, it } from 'vitest';
import { collect } from './collect.ts';
import { createTestExecutor } from '@superstep/runtime/testing';

describe('collect', () => {
  it('yields every message as an output and sends nothing; one actor, so outputs keep arrival order', async () => {
    const definition = collect<unknown>();
    expect(definition.stateless).toBe(false);
    const actor = createTestExecutor(definition);
    await actor.step([1, [2, 3]]);
    expect(actor.outputs).toEqual([1, [2, 3]]);
    expect(actor.sent).toEqual([]);
  });

  it('flatten yields the items of array messages one by one', async () => {
    const actor = createTestExecutor(collect<unknown>({ flatten: true }));
    await actor.step([1, [2, 3]]);
    expect(actor.outputs).toEqual([1, 2, 3]);
  });
});
