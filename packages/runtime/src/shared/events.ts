/**
 * The event vocabulary of a run (guarantees 14–16): one discriminated union on `type`.
 */
import type { ErrorRecord } from './errors.ts';
import type { WarningCode } from './warnings.ts';

/** A run's status (guarantee 15). The last four are terminal for a run. */
export type RunStatus =
  'running' | 'running-with-pending-requests' | 'idle' | 'idle-with-pending-requests' | 'failed' | 'cancelled';

/**
 * Statuses a run can end with. Each run emits exactly one status event with `final: true` (guarantee 16);
 * `idle-with-pending-requests` is also emitted with `final: false` by a run that waits for answers.
 */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'idle',
  'idle-with-pending-requests',
  'failed',
  'cancelled',
]);

/** Warning codes carried by `warning` events: the keys of `WARNING_CODES` (warnings.ts). */
export type { WarningCode };

export interface RunStartedEvent {
  readonly type: 'run.started';
  readonly runId: string;
}
export interface StatusEvent {
  readonly type: 'status';
  readonly status: RunStatus;
  /**
   * True for the one status that ends the run (guarantee 16). A run that waits for answers emits
   * `idle-with-pending-requests` with `final: false`, and goes on when they come.
   */
  readonly final: boolean;
}
/**
 * A superstep begins. It carries the superstep's totals, so a progress bar knows its length: each
 * executor's invocations will each be followed by one `executor.completed` when the superstep succeeds.
 */
export interface SuperstepStartedEvent {
  readonly type: 'superstep.started';
  readonly superstep: number;
  /** Messages delivered in this superstep. */
  readonly messages: number;
  /**
   * Per executor: how many invocations (an actor drains its mailbox once; a stateless executor is invoked
   * once per message) and how many messages. Empty when nobody reads the run's events.
   */
  readonly executors: readonly ExecutorWork[];
}
/** One executor's share of a superstep (see {@link SuperstepStartedEvent}). */
export interface ExecutorWork {
  readonly executorId: string;
  readonly invocations: number;
  readonly messages: number;
}
export interface SuperstepCompletedEvent {
  readonly type: 'superstep.completed';
  readonly superstep: number;
}
/** An actor began draining its mailbox for a superstep (a stateless executor: one message). */
export interface ExecutorInvokedEvent {
  readonly type: 'executor.invoked';
  readonly executorId: string;
  readonly superstep: number;
  readonly messages: number;
}
export interface ExecutorCompletedEvent {
  readonly type: 'executor.completed';
  readonly executorId: string;
  readonly superstep: number;
}
export interface ExecutorFailedEvent {
  readonly type: 'executor.failed';
  readonly executorId: string;
  readonly superstep: number;
  readonly error: ErrorRecord;
}
export interface OutputEvent<T = unknown> {
  readonly type: 'output';
  readonly executorId: string;
  readonly superstep: number;
  readonly data: T;
}
export interface WarningEvent {
  readonly type: 'warning';
  readonly code: WarningCode;
  readonly message: string;
  readonly superstep: number;
  readonly details: Readonly<Record<string, unknown>>;
}
export interface RunFailedEvent {
  readonly type: 'run.failed';
  readonly error: ErrorRecord;
}
/** An executor asked a question (guarantee 17); answer it with `handle.respond(requestId, value)`. */
export interface RequestEvent<T = unknown> {
  readonly type: 'request';
  readonly requestId: string;
  readonly executorId: string;
  /** The superstep that made the request (a re-emitted request keeps its original superstep). */
  readonly superstep: number;
  readonly data: T;
}
/** A checkpoint was written at the barrier of `superstep` (0: the run's entry checkpoint). */
export interface CheckpointSavedEvent {
  readonly type: 'checkpoint.saved';
  readonly checkpointId: string;
  readonly superstep: number;
  readonly store: string;
}
/** A worker thread died (crash, memory limit, or killed by a cancel) and was replaced (guarantee 39). */
export interface WorkerRestartedEvent {
  readonly type: 'worker.restarted';
  readonly hostIndex: number;
  readonly superstep: number;
  /** The attempt of this superstep that lost the worker; the superstep is replayed. */
  readonly attempt: number;
  readonly reason: string;
}
/** An event of a sub-workflow, seen in its parent's stream (guarantee 43). */
export interface SubWorkflowEvent {
  readonly type: 'subworkflow';
  /** The sub-workflow node in this workflow. */
  readonly executorId: string;
  /** Node ids from this workflow down to the workflow that emitted `event`. */
  readonly path: readonly string[];
  readonly event: WorkflowEvent;
}
/** An event an executor emitted with `ctx.emit(name, data)`. */
export interface CustomEvent<T = unknown> {
  readonly type: 'custom';
  readonly executorId: string;
  readonly superstep: number;
  readonly name: string;
  readonly data: T;
}

/** Every event a run can stream. Switch on `type`. */
export type WorkflowEvent =
  | RunStartedEvent
  | StatusEvent
  | SuperstepStartedEvent
  | SuperstepCompletedEvent
  | ExecutorInvokedEvent
  | ExecutorCompletedEvent
  | ExecutorFailedEvent
  | OutputEvent
  | RequestEvent
  | WarningEvent
  | RunFailedEvent
  | CheckpointSavedEvent
  | WorkerRestartedEvent
  | SubWorkflowEvent
  | CustomEvent;

/** The framework's event types; executors cannot emit custom events under these names. */
export const FRAMEWORK_EVENT_TYPES: ReadonlySet<string> = new Set([
  'run.started',
  'status',
  'superstep.started',
  'superstep.completed',
  'executor.invoked',
  'executor.completed',
  'executor.failed',
  'output',
  'request',
  'warning',
  'checkpoint.saved',
  'run.failed',
  'worker.restarted',
  'subworkflow',
  'custom',
]);
