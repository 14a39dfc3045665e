import { describe, expect, it } from 'vitest';
import { fanInRecord } from './fan-in-record.ts';
import { join } from './join.ts';
import { createTestExecutor } from '@superstep/runtime/testing';
import { invalid, thrown } from './test-helpers.ts';

describe('join', () => {
  it('emits one record once every source has contributed, even across supersteps', async () => {
    const actor = createTestExecutor(join<number>({ sources: ['a', 'b'] }));
    await actor.handle(1, { source: 'a' });
    actor.barrier();
    expect(actor.messages).toEqual([]);
    await actor.handle(2, { source: 'b' });
    actor.barrier();
    expect(actor.messages).toEqual([{ values: { a: 1, b: 2 }, partial: false, missing: [], since: 1 }]);
  });

  it('queues a second message of one source for the next round', async () => {
    const actor = createTestExecutor(join<number>({ sources: ['a', 'b'] }));
    await actor.handle(1, { source: 'a' });
    await actor.handle(2, { source: 'a' });
    await actor.handle(3, { source: 'a' });
    await actor.handle(10, { source: 'b' });
    actor.barrier();
    await actor.handle(20, { source: 'b' });
    actor.barrier();
    expect(actor.messages.map((m) => m.values)).toEqual([
      { a: 1, b: 10 },
      { a: 2, b: 20 },
    ]);
    // The third `a` opened the next round, in the superstep in which it moved up.
    expect(actor.state).toEqual({ round: { since: 2, values: { a: 3 } }, queued: {} });
  });

  it('emits a partial round when a message arrives past the timeout, then starts a new round with it', async () => {
    const actor = createTestExecutor(join<string>({ sources: ['a', 'b', 'c'], timeoutSupersteps: 2 }));
    await actor.step(['a1'], { source: 'a' }); // superstep 1: round starts
    await actor.step(['b1'], { source: 'b' }); // superstep 2
    actor.barrier(); // superstep 3: nothing arrives
    await actor.step(['a2'], { source: 'a' }); // superstep 4 > 1 + 2: the round expired
    expect(actor.messages).toEqual([{ values: { a: 'a1', b: 'b1' }, partial: true, missing: ['c'], since: 1 }]);
    expect(actor.state.round).toEqual({ since: 4, values: { a: 'a2' } });
  });

  it('a message still within the timeout completes the round', async () => {
    const actor = createTestExecutor(join<string>({ sources: ['a', 'b'], timeoutSupersteps: 2 }));
    await actor.step(['a1'], { source: 'a' });
    actor.barrier();
    await actor.step(['b1'], { source: 'b' }); // superstep 3 = 1 + 2: in time
    expect(actor.messages).toEqual([{ values: { a: 'a1', b: 'b1' }, partial: false, missing: [], since: 1 }]);
  });

  it('fails on a message from a sender that is not a source', async () => {
    const actor = createTestExecutor(join({ sources: ['a', 'b'] }));
    await expect(actor.handle(1, { source: 'c' })).rejects.toThrow(/not one of its sources/);
  });

  it('rejects empty or repeated sources', () => {
    expect(thrown(() => join({ sources: [] }))).toMatchObject(invalid('join', 'sources'));
    expect(thrown(() => join({ sources: ['a', 'a'] }))).toMatchObject(invalid('join', 'sources'));
    expect(thrown(() => join({ sources: ['a'], timeoutSupersteps: -1 }))).toMatchObject(
      invalid('join', 'timeoutSupersteps'),
    );
  });
});

describe('fanInRecord', () => {
  it('keys a fan-in list by source when each source sent one message', async () => {
    const actor = createTestExecutor(fanInRecord<number>());
    await actor.step([[1, 2]], { sources: ['left', 'right'] });
    expect(actor.messages).toEqual([{ left: 1, right: 2 }]);
  });

  it('fails when the list does not hold one message per source', async () => {
    const actor = createTestExecutor(fanInRecord<number>());
    await expect(actor.handle([1, 2, 3], { sources: ['left', 'right'] })).rejects.toThrow(/use join\(\)/);
  });
});
