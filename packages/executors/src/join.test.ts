import { describe, expect, it } from 'vitest';
import { fanInRecord } from './fan-in-record.ts';
import { join } from './join.ts';
import { invalid, TestActor, thrown } from './test-actor.ts';

describe('join', () => {
  it('emits one record once every source has contributed, even across supersteps', async () => {
    const actor = new TestActor(join<number>({ sources: ['a', 'b'] }));
    await actor.handle(1, 'a');
    actor.barrier();
    expect(actor.messages).toEqual([]);
    await actor.handle(2, 'b');
    actor.barrier();
    expect(actor.messages).toEqual([{ values: { a: 1, b: 2 }, partial: false, missing: [], since: 1 }]);
  });

  it('queues a second message of one source for the next round', async () => {
    const actor = new TestActor(join<number>({ sources: ['a', 'b'] }));
    await actor.handle(1, 'a');
    await actor.handle(2, 'a');
    await actor.handle(3, 'a');
    await actor.handle(10, 'b');
    actor.barrier();
    await actor.handle(20, 'b');
    actor.barrier();
    expect(actor.messages.map((m) => m.values)).toEqual([
      { a: 1, b: 10 },
      { a: 2, b: 20 },
    ]);
    // The third `a` opened the next round, in the superstep in which it moved up.
    expect(actor.committed).toEqual({ round: { since: 2, values: { a: 3 } }, queued: {} });
  });

  it('emits a partial round when a message arrives past the timeout, then starts a new round with it', async () => {
    const actor = new TestActor(join<string>({ sources: ['a', 'b', 'c'], timeoutSupersteps: 2 }));
    await actor.step(['a1'], 'a'); // superstep 1: round starts
    await actor.step(['b1'], 'b'); // superstep 2
    actor.barrier(); // superstep 3: nothing arrives
    await actor.step(['a2'], 'a'); // superstep 4 > 1 + 2: the round expired
    expect(actor.messages).toEqual([{ values: { a: 'a1', b: 'b1' }, partial: true, missing: ['c'], since: 1 }]);
    expect(actor.committed.round).toEqual({ since: 4, values: { a: 'a2' } });
  });

  it('a message still within the timeout completes the round', async () => {
    const actor = new TestActor(join<string>({ sources: ['a', 'b'], timeoutSupersteps: 2 }));
    await actor.step(['a1'], 'a');
    actor.barrier();
    await actor.step(['b1'], 'b'); // superstep 3 = 1 + 2: in time
    expect(actor.messages).toEqual([{ values: { a: 'a1', b: 'b1' }, partial: false, missing: [], since: 1 }]);
  });

  it('fails on a message from a sender that is not a source', async () => {
    const actor = new TestActor(join({ sources: ['a', 'b'] }));
    await expect(actor.handle(1, 'c')).rejects.toThrow(/not one of its sources/);
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
    const actor = new TestActor(fanInRecord<number>());
    await actor.step([[1, 2]], 'left+right');
    expect(actor.messages).toEqual([{ left: 1, right: 2 }]);
  });

  it('fails when the list does not hold one message per source', async () => {
    const actor = new TestActor(fanInRecord<number>());
    await expect(actor.handle([1, 2, 3], 'left+right')).rejects.toThrow(/use join\(\)/);
  });
});
