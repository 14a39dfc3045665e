import { describe, expect, it } from 'vitest';
import { SuperstepError } from '../../shared/errors.ts';
import type { StepReply } from '../../shared/protocol.ts';
import { gatherReplies, readBarrier } from './barrier.ts';
import type { BatchResult } from './host-dispatch.ts';

function reply(fields: Partial<StepReply>): StepReply {
  return {
    op: 'done',
    instance: 'i',
    superstep: 3,
    seq: 1,
    outbox: [],
    outputs: [],
    events: [],
    sharedWrites: [],
    snapshots: [],
    requests: [],
    failure: null,
    threadId: 1,
    timings: [],
    ...fields,
  };
}

const lost = (hostIndex: number): BatchResult => ({
  ok: false,
  failure: { kind: 'host-lost', hostIndex, reason: 'exit', message: `host ${hostIndex} lost` },
  deliveries: [],
});

describe('gathering an attempt at its barrier', () => {
  it('reports a lost host once, however many of its batches failed, and keeps queue order', () => {
    const failed = new SuperstepError('EXECUTOR_FAILED', 'b threw').toRecord();
    const results: BatchResult[] = [
      lost(1),
      { ok: true, reply: reply({ failure: { executorId: 'b', error: failed } }) },
      lost(1),
      lost(0),
    ];
    const { replies, failures } = gatherReplies(results, () => undefined);
    expect(replies).toHaveLength(1);
    expect(failures.map((failure) => failure.kind)).toEqual(['host-lost', 'handler-failed', 'host-lost']);
    expect(failures[2]).toMatchObject({ hostIndex: 0 });
  });

  it("hands each reply's events on in order", () => {
    const seen: unknown[] = [];
    gatherReplies(
      [
        { ok: true, reply: reply({ events: [['custom', 'a', 'x', 1]] }) },
        { ok: true, reply: reply({ events: [['custom', 'b', 'y', 2]] }) },
      ],
      (event) => seen.push(event),
    );
    expect(seen).toEqual([
      ['custom', 'a', 'x', 1],
      ['custom', 'b', 'y', 2],
    ]);
  });
});

describe('reading a barrier before the commit', () => {
  it("copies snapshot bytes out of the reply's buffer, and lists sub-workflow outputs and requests after the hosts'", () => {
    const view = new Uint8Array([1, 2, 3]);
    const barrier = readBarrier(
      4,
      [
        reply({
          snapshots: [['a', view, null]],
          outbox: [['a', [null, 'm']]],
          outputs: [['a', 'out']],
          requests: [['a', 'r1', 'q']],
        }),
      ],
      [
        [
          'child',
          { outputs: ['c-out'], requests: [{ requestId: 'r2', executorId: 'child', data: 'q2', superstep: 2 }] },
        ],
      ],
    );
    const [snapshot] = barrier.snapshots;
    expect(snapshot?.[1]).toEqual(view);
    expect(snapshot?.[1]).not.toBe(view);
    expect(barrier.outbox).toEqual([
      ['a', [null, 'm']],
      ['child', [null, 'c-out']],
    ]);
    expect(barrier.outputs).toEqual([['a', 'out']]);
    // Requests are the parent's from this barrier on: numbered with the parent's superstep.
    expect(barrier.requests).toEqual([
      { requestId: 'r1', executorId: 'a', data: 'q', superstep: 4 },
      { requestId: 'r2', executorId: 'child', data: 'q2', superstep: 4 },
    ]);
  });
});
