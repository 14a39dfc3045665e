/**
 * Replies from another process are checked before the barrier reads them (see reply-shape.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StepReply } from './protocol.ts';
import { replyShapeProblem } from './reply-shape.ts';

function reply(overrides: Partial<Record<keyof StepReply, unknown>> = {}): StepReply {
  return {
    op: 'done',
    instance: 'i',
    superstep: 3,
    seq: 3,
    outbox: [['a', [null, 1, 'b', { x: 2 }]]],
    outputs: [['a', 'out']],
    events: [
      ['custom', 'a', 'tick', 1],
      ['warning', 'MESSAGE_UNROUTED', 'm', { source: 'a' }],
    ],
    sharedWrites: [['a', 'k', 1, false]],
    snapshots: [['a', new Uint8Array([1]), null]],
    requests: [['a', 'r1', 'q']],
    failure: null,
    threadId: 7,
    timings: [['a', 1, 2, 1, 0, false]],
    ...overrides,
  } as StepReply;
}

describe('the shape of a reply from another process', () => {
  it('accepts a well-formed reply, with or without a failure', () => {
    expect(replyShapeProblem(reply())).toBeUndefined();
    const failure = { executorId: 'a', error: { code: 'EXECUTOR_FAILED', name: 'SuperstepError', message: 'boom' } };
    expect(replyShapeProblem(reply({ failure }))).toBeUndefined();
  });

  it.each([
    ['outbox', 'nope', 'outbox: not a list'],
    ['outbox', [['a', [null]]], 'outbox[0]: malformed'],
    ['outbox', [['a', [7, 'payload']]], 'outbox[0]: malformed'],
    ['outbox', [[1, [null, 'payload']]], 'outbox[0]: malformed'],
    ['outputs', [['a']], 'outputs[0]: malformed'],
    ['events', [['shout', 'a', 'b', 1]], 'events[0]: malformed'],
    ['events', [['warning', 'CODE', 'm', 'not details']], 'events[0]: malformed'],
    ['sharedWrites', [['a', 'k', 1, 'yes']], 'sharedWrites[0]: malformed'],
    ['snapshots', [['a', 'not bytes', null]], 'snapshots[0]: malformed'],
    ['requests', [['a', 2, 'q']], 'requests[0]: malformed'],
    ['timings', [['a', 1, 2, 1, 0]], 'timings[0]: malformed'],
    ['failure', { executorId: 'a' }, 'failure: malformed'],
    ['failure', { executorId: 'a', error: { code: 1, message: 'm' } }, 'failure.error: malformed'],
    ['threadId', 'main', 'superstep or threadId'],
  ] as const)('names what is wrong: %s = %j', (field, value, problem) => {
    expect(replyShapeProblem(reply({ [field]: value }))).toBe(problem);
  });
});
