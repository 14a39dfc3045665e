/**
 * What a host tells the coordinator while a superstep is still running, outside the step's reply: the
 * events gathered so far (streamed at most every flush interval, guarantee 14), and the start and end of each
 * timed call (at once, so the main thread can time it out).
 */
import { performance } from 'node:perf_hooks';
import { encode } from '../shared/codec.ts';
import type { HostEventsMessage, HostTimerMessage } from '../shared/protocol.ts';
import type { StepOutput } from './step-output.ts';

export interface LiveUpdatesOptions {
  /** Posts a message to the coordinator (the host task wires this to the data port). */
  readonly post: (bytes: Uint8Array) => void;
  /** Events are streamed early once a superstep has run this long since the last flush. */
  readonly flushIntervalMs: number;
}

/** A call under a timeout: the main thread times it from its `start` to its `end` message. */
export interface TimedCall {
  readonly instance: string;
  readonly superstep: number;
  readonly executorId: string;
  readonly timeoutMs: number;
}

export class LiveUpdates {
  private lastFlush = performance.now();
  private flushTimer: NodeJS.Timeout | undefined;
  private timerSeq = 0;
  /** Step outputs with events waiting for {@link flushTimer}. */
  private readonly due = new Map<StepOutput, { readonly instance: string; readonly superstep: number }>();

  constructor(private readonly options: LiveUpdatesOptions) {}

  /** A superstep starts: the flush interval counts from here. */
  stepStarted(): void {
    this.lastFlush = performance.now();
  }

  /**
   * Makes sure events reach the coordinator within the flush interval even while a handler awaits: a
   * timer that fires only if the event loop gets a turn (a synchronous handler is covered by
   * {@link maybeFlush} after it returns). One timer serves every step output waiting for it — of any
   * instance, and of a step started after the timer was set — so none is left behind by another's timer.
   */
  scheduleFlush(instance: string, superstep: number, output: StepOutput): void {
    this.due.set(output, { instance, superstep });
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const due = [...this.due];
      this.due.clear();
      for (const [waiting, { instance: key, superstep: step }] of due) this.flush(key, step, waiting);
    }, this.options.flushIntervalMs);
  }

  /** Streams the events gathered so far if the superstep has been running for a while. */
  maybeFlush(instance: string, superstep: number, output: StepOutput): void {
    if (performance.now() - this.lastFlush < this.options.flushIntervalMs) return;
    this.flush(instance, superstep, output);
  }

  private flush(instance: string, superstep: number, output: StepOutput): void {
    if ((output.events.length === 0 && output.completed.length === 0) || output.done) return;
    this.lastFlush = performance.now();
    const message: HostEventsMessage = {
      op: 'events',
      instance,
      superstep,
      events: output.events,
      completed: output.completed,
    };
    output.events = [];
    output.completed = [];
    this.options.post(encode(message));
  }

  /** Tells the main thread at once (not batched) that a timed call started or ended. */
  timer(call: TimedCall, phase: 'start' | 'end', seq = ++this.timerSeq): number {
    const { instance, superstep, executorId, timeoutMs } = call;
    const message: HostTimerMessage = { op: 'timer', instance, superstep, executorId, phase, timeoutMs, seq };
    this.options.post(encode(message));
    return seq;
  }
}
