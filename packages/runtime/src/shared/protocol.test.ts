/**
 * The flat wire lists of a superstep: a delivery's messages and a reply's outbox runs.
 */
import { describe, expect, it } from 'vitest';
import { deliveredMessages, messageCount, pushMessage, sendsOf, type OutboxRun } from './protocol.ts';

describe("a delivery's flat message list", () => {
  it('round-trips plain and fan-in messages, in order, with the fan-in labelled by its sources', () => {
    const flat: unknown[] = [];
    pushMessage(flat, ['a', 1]);
    pushMessage(flat, ['a+b', [2, 3], ['a', 'b']]);
    pushMessage(flat, ['$input', { x: 4 }]);
    expect(flat).toEqual(['a', 1, ['a', 'b'], [2, 3], '$input', { x: 4 }]);
    expect(messageCount(['t', flat])).toBe(3);
    expect(deliveredMessages(flat)).toEqual([
      ['a', 1],
      ['a+b', [2, 3], ['a', 'b']],
      ['$input', { x: 4 }],
    ]);
  });

  it('is refused when malformed: an odd length, or a source that is not a string or a list of strings', () => {
    expect(deliveredMessages(['a'])).toBeUndefined();
    expect(deliveredMessages([7, 'payload'])).toBeUndefined();
    expect(deliveredMessages([['a', 2], 'payload'])).toBeUndefined();
    expect(deliveredMessages([])).toEqual([]);
  });
});

describe("a reply's outbox runs", () => {
  it('extends the last run while the source stays the same, and starts a run when it changes', () => {
    const outbox: OutboxRun[] = [];
    sendsOf(outbox, 'a').push(null, 1);
    sendsOf(outbox, 'a').push('x', 2);
    sendsOf(outbox, 'b').push(null, 3);
    sendsOf(outbox, 'a').push(null, 4);
    expect(outbox).toEqual([
      ['a', [null, 1, 'x', 2]],
      ['b', [null, 3]],
      ['a', [null, 4]],
    ]);
  });
});
