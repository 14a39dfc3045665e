import { describe, expect, it } from 'vitest';
import type { WorkflowEvent } from '../../shared/events.ts';
import { EventGate } from './event-gate.ts';

function gate(): { gate: EventGate; seen: WorkflowEvent[] } {
  const seen: WorkflowEvent[] = [];
  return {
    gate: new EventGate((event) => {
      seen.push(event);
    }),
    seen,
  };
}

const output = (data: number): WorkflowEvent => ({ type: 'output', executorId: 'a', superstep: 1, data });

describe('the run event gate', () => {
  it('passes events through in order while nothing holds it', () => {
    const { gate: events, seen } = gate();
    events.emit(output(1));
    events.emit(output(2));
    expect(seen).toEqual([output(1), output(2)]);
  });

  it("holds events until released, then sends the release's own events first (guarantee 3)", () => {
    const { gate: events, seen } = gate();
    const release = events.hold();
    events.emit(output(1));
    events.changeStatus('running-with-pending-requests');
    expect(seen).toEqual([]);
    release([{ type: 'superstep.completed', superstep: 1 }]);
    expect(seen).toEqual([
      { type: 'superstep.completed', superstep: 1 },
      output(1),
      { type: 'status', status: 'running-with-pending-requests', final: false },
    ]);
    events.emit(output(2));
    expect(seen.at(-1)).toEqual(output(2));
  });

  it('emits a status change only if it differs from what observers have seen when it goes out', () => {
    const { gate: events, seen } = gate();
    events.changeStatus('running');
    expect(seen).toEqual([]);
    const release = events.hold();
    events.changeStatus('waiting-for-answers');
    events.changeStatus('waiting-for-answers');
    release([]);
    expect(seen).toEqual([{ type: 'status', status: 'waiting-for-answers', final: false }]);
    expect(events.status).toBe('waiting-for-answers');
  });

  it('joins a second hold to the first: one release sends everything held', () => {
    const { gate: events, seen } = gate();
    const first = events.hold();
    events.emit(output(1));
    events.hold();
    events.emit(output(2));
    first([]);
    expect(seen).toEqual([output(1), output(2)]);
  });
});
