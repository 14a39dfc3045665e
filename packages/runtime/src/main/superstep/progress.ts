/**
 * Per-executor progress events (docs/design.md, "Live events"). The coordinator knows every mailbox it
 * delivers: it emits `executor.invoked` itself (a stateless executor is invoked once per message) with
 * `superstep.started`, whose totals go out first so a progress bar knows its length; `executor.completed`
 * streams live as hosts report finished calls, and the rest go out at a successful barrier.
 */
import type { EventGate } from '../run/event-gate.ts';
import type { Invocations } from './partitioner.ts';

export class Progress {
  /** This superstep's invocations (empty when nobody reads the events). */
  private invocations: Invocations = [];
  /** Completions of the current superstep already streamed live, per executor. */
  private readonly streamed = new Map<string, number>();

  /** A superstep starts: `invocations` are its mailboxes (see `Partitioner.invocations`). */
  started(events: EventGate, superstep: number, work: { messages: number; invocations: Invocations }): void {
    const { messages, invocations } = work;
    this.invocations = invocations;
    this.streamed.clear();
    events.emit({
      type: 'superstep.started',
      superstep,
      messages,
      // `invocations` lists messages per call (what `executor.invoked` says); the totals multiply it out.
      executors: invocations.map(([executorId, calls, perCall]) => ({
        executorId,
        invocations: calls,
        messages: calls * perCall,
      })),
    });
    for (const [executorId, calls, perCall] of invocations) {
      for (let call = 0; call < calls; call++) {
        events.emit({ type: 'executor.invoked', executorId, superstep, messages: perCall });
      }
    }
  }

  /** Calls a host reports finished while the superstep runs. */
  streamedLive(events: EventGate, superstep: number, executorIds: readonly string[]): void {
    for (const executorId of executorIds) {
      this.streamed.set(executorId, (this.streamed.get(executorId) ?? 0) + 1);
      events.emit({ type: 'executor.completed', executorId, superstep });
    }
  }

  /** The barrier commits: every call not streamed yet completes now. */
  committed(events: EventGate, superstep: number): void {
    for (const [executorId, calls] of this.invocations) {
      const streamed = this.streamed.get(executorId) ?? 0;
      for (let call = streamed; call < calls; call++)
        events.emit({ type: 'executor.completed', executorId, superstep });
    }
  }
}
