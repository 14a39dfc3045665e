/**
 * The coordinator's contracts with the rest of the main thread: a run as it drives it, the instance cut
 * that checkpoints capture and restore/reset replace, sub-workflow nodes, and the outcome of a run.
 */
import type { SuperstepError } from '../../shared/errors.ts';
import type { WorkflowEvent } from '../../shared/events.ts';
import type { ExecutorInfo, SharedWrite } from '../../shared/protocol.ts';
import type { HostSet } from '../../shared/host-set.ts';
import type { BarrierState, PendingRequestRecord } from '../checkpoints/checkpoint-body.ts';
import type { CheckpointReason, CheckpointRunStatus } from '../checkpoints/checkpoint-store.ts';
import type { Snapshot } from '../checkpoints/snapshot-bytes.ts';
import type { Graph } from '../graph/graph.ts';
import type { RunTrace } from '../observe/run-trace.ts';
import type { EventGate } from '../run/event-gate.ts';

/** One run as the coordinator sees it. */
export interface RunContext {
  readonly runId: string;
  /** A new input for the start executor, or carry on from the queue (after a restore). */
  readonly start: { readonly kind: 'input'; readonly input: unknown } | { readonly kind: 'resume' };
  readonly maxSupersteps: number;
  readonly signal: AbortSignal;
  /**
   * The run's event gate: the only way its events go out. It holds them while a barrier's checkpoint is
   * outstanding (barrier-checkpoint.ts), so everything emitted for the run stays in guarantee 3 order.
   */
  readonly events: EventGate;
  /**
   * Writes a checkpoint of a barrier's cut (absent when no store is configured). Never rejects: resolves
   * to the event reporting the outcome, `checkpoint.saved` or a `CHECKPOINT_FAILED` warning (guarantee 27).
   */
  readonly checkpoint: ((cut: InstanceCut, how: CheckpointHow) => Promise<WorkflowEvent>) | undefined;
  /** Asked when requests are pending and nothing is queued: wait for answers, or end the run (guarantees 6, 18). */
  readonly onPendingRequests: () => 'wait' | 'end';
  /** False once nobody will read the run's events: per-actor progress events are then not built. */
  readonly eventsWanted: () => boolean;
  /** The run's tracing and recording (a no-op when nobody watches: see run-trace.ts). */
  readonly trace: RunTrace;
}

/** Why a checkpoint is written and how the run stands (guarantee 56). */
export interface CheckpointHow {
  readonly reason: CheckpointReason;
  readonly runStatus: CheckpointRunStatus;
}

/** A request waiting for its answer. */
export type PendingRequest = PendingRequestRecord;

/** The instance state at a barrier, as checkpoints capture it and restore/reset replace it. */
export interface InstanceCut extends BarrierState {
  /** The snapshot of every actor whose state has changed since it was created. */
  readonly snapshots: ReadonlyMap<string, Snapshot>;
  /** The full state of each sub-workflow node (guarantee 44). */
  readonly children: ReadonlyMap<string, InstanceCut>;
}

/** What one parent superstep got out of a sub-workflow node. */
export interface ChildStepResult {
  readonly outputs: readonly unknown[];
  /** Requests the child made and the parent did not know yet. */
  readonly requests: readonly PendingRequest[];
}

/** A sub-workflow node as the coordinator drives it (guarantee 43). */
export interface ChildRunner {
  /** Handles one superstep's messages for the node: each input runs the child; each answer resumes it. */
  step(messages: readonly (readonly [source: string, payload: unknown])[], run: RunContext): Promise<ChildStepResult>;
  /** Checks an answer to one of the child's pending requests; resolves to the accepted value. */
  validate(requestId: string, value: unknown): Promise<unknown>;
  capture(): InstanceCut;
  restore(cut: InstanceCut): Promise<void>;
}

export type CoordinatorOutcome =
  | {
      readonly kind: 'idle';
      readonly outputs: unknown[];
      readonly supersteps: number;
      readonly pendingRequests: readonly PendingRequest[];
    }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'cancelled'; readonly error: Error };

/** What a host holds of an instance: its actors, their snapshots and the shared state. */
export interface HostState {
  readonly actors: string[];
  readonly snapshots: (readonly [string, Uint8Array])[];
  readonly shared: SharedWrite[];
}

export interface CoordinatorParts {
  readonly instance: string;
  readonly graph: Graph;
  readonly hosts: HostSet;
  /** After a cancel, handlers get this long to return before their worker is terminated. */
  readonly cancelGraceMs: number;
  /** How many times one superstep is replayed after a worker died (guarantee 39). */
  readonly maxWorkerRestarts: number;
  readonly executors: ReadonlyMap<string, ExecutorInfo>;
  /** Host index of each stateful actor. */
  readonly placement: ReadonlyMap<string, number>;
  readonly sharedState: ReadonlyMap<string, unknown>;
  /** Sub-workflow nodes by id. */
  readonly children: ReadonlyMap<string, ChildRunner>;
}

/**
 * The reason a run is aborted with when it must fail rather than be cancelled (an `onRequest` answer refused under
 * `onInvalidAnswer: 'fail'`): the coordinator stops as for a cancel, and reports `error` as the run's failure.
 */
export class RunFailure {
  constructor(readonly error: SuperstepError) {}
}
