/**
 * What a run recorder holds (run-recorder.ts) and a timeline is drawn from (timeline-html.ts): a run's
 * supersteps, attempts, handler invocations, checkpoint writes, requests and events, with their times.
 */
import type { WorkflowEvent } from '../../shared/events.ts';

/** One handler invocation on a host thread. Times are epoch milliseconds with fractions. */
export interface HandlerRecord {
  readonly executorId: string;
  readonly superstep: number;
  /** The superstep's attempt (a superstep is replayed after a lost worker). */
  readonly attempt: number;
  readonly threadId: number;
  readonly start: number;
  readonly end: number;
  readonly messages: number;
  /** Calls retried under the executor's retry policy. */
  readonly retries: number;
  readonly failed: boolean;
  /** Its superstep attempt was rolled back: nothing it did was kept. */
  readonly rolledBack: boolean;
}

/** One attempt of a superstep, from its dispatch to its barrier. */
export interface AttemptRecord {
  readonly superstep: number;
  readonly attempt: number;
  readonly start: number;
  readonly end: number;
  readonly outcome: 'committed' | 'failed' | 'replayed' | 'cancelled';
}

/** One superstep, from its start to its commit (or the run's end in it). */
export interface StepRecord {
  readonly superstep: number;
  readonly start: number;
  readonly end: number;
  readonly outcome: 'committed' | 'failed' | 'cancelled';
  readonly attempts: number;
}

/** One checkpoint write (of the barrier of `superstep`, written while the next superstep runs). */
export type CheckpointRecord = {
  readonly superstep: number;
  readonly start: number;
  readonly end: number;
  readonly store: string;
} & ({ readonly ok: true; readonly checkpointId: string } | { readonly ok: false; readonly error: string });

/** A request from the barrier that made it to its answer (`end` undefined: still waiting). */
export interface RequestRecord {
  readonly requestId: string;
  readonly executorId: string;
  readonly superstep: number;
  readonly start: number;
  end?: number;
  outcome?: 'answered' | 'dropped';
}

export interface RunRecord {
  readonly runId: string;
  readonly start: number;
  end?: number;
  status?: string;
}

/** A run's events with the time each was emitted. */
export interface TimedEvent {
  readonly at: number;
  readonly event: WorkflowEvent;
}

/** Everything a recorder holds; what the timeline is drawn from. */
export interface TimelineData {
  readonly runs: readonly RunRecord[];
  readonly steps: readonly StepRecord[];
  readonly attempts: readonly AttemptRecord[];
  readonly handlers: readonly HandlerRecord[];
  readonly checkpoints: readonly CheckpointRecord[];
  readonly requests: readonly RequestRecord[];
  readonly events: readonly TimedEvent[];
}
