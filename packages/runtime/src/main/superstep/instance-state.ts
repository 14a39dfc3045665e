/**
 * The committed state of one workflow instance at its last barrier, main thread's half: the queue, the
 * fan-in buffers, shared state, the actors' snapshot bytes (the hosts hold the live actors) and the
 * pending requests. The coordinator owns it and is its only writer: a superstep takes the queue, and
 * either commits a {@link Barrier} or puts the messages back; a restore or reset replaces it whole.
 */
import type { WarningCode } from '../../shared/events.ts';
import type { SharedWrite } from '../../shared/protocol.ts';
import { Snapshot } from '../checkpoints/snapshot-bytes.ts';
import type { RequestTrace } from '../observe/run-trace.ts';
import type { Barrier } from './barrier.ts';
import type { ChildRunner, InstanceCut, PendingRequest } from './coordinator-types.ts';
import type { SharedDeltas } from './host-dispatch.ts';
import { RequestBook } from './request-book.ts';
import type { Envelope, FanInBuffers, Router } from './router.ts';
import { SharedState } from './shared-state.ts';

export interface InstanceStateParts {
  readonly router: Router;
  /** How many hosts hear of shared-state writes. */
  readonly hosts: number;
  readonly sharedState: ReadonlyMap<string, unknown>;
  /** The requesting executor's own check of an answer (see {@link RequestBook}). */
  readonly check: (request: PendingRequest, value: unknown) => Promise<unknown>;
  /** Sub-workflow nodes: their state is part of every cut (guarantee 44). */
  readonly children: ReadonlyMap<string, ChildRunner>;
}

/** Where a commit reports what it did: the run's events, as the coordinator emits them. */
export interface CommitSink {
  warn(code: WarningCode, message: string, details: Record<string, unknown>): void;
  output(executorId: string, data: unknown): void;
  /** A request is pending from now on; returns what ends its trace span, if it is traced. */
  request(request: PendingRequest): RequestTrace | undefined;
}

export class InstanceState {
  /** The last committed barrier's number (a resumed run continues from it). */
  private committed = 0;
  /** Messages for the next superstep (after a failed run: the failed superstep's messages). */
  private queue: Envelope[] = [];
  private readonly fanIn: FanInBuffers = new Map();
  /** Committed shared state (guarantee 45), and what each host has not heard of yet. */
  private readonly sharedState: SharedState;
  /** The snapshot of every actor whose state has changed since it was created. */
  private readonly snapshots = new Map<string, Snapshot>();
  /** Requests waiting for answers, and the checks an answer passes (guarantees 17–21). */
  readonly requests: RequestBook;
  /** Traced requests waiting for answers: a request's span lasts until it is answered or dropped. */
  private readonly requestTraces = new Map<string, RequestTrace>();
  /** Answers accepted since the last barrier or {@link checkpointCut}, as queued (guarantee 55). */
  private answers: Envelope[] = [];

  constructor(private readonly parts: InstanceStateParts) {
    this.sharedState = new SharedState(parts.hosts, parts.sharedState);
    this.requests = new RequestBook({
      check: parts.check,
      deliver: (envelope) => {
        this.queue.push(envelope);
        this.answers.push(envelope);
        const { requestId } = envelope.payload as { requestId: string };
        this.requestTraces.get(requestId)?.end('answered');
        this.requestTraces.delete(requestId);
      },
    });
  }

  get superstep(): number {
    return this.committed;
  }

  /** Answers accepted since the last barrier or {@link checkpointCut}. */
  get answersSince(): readonly Envelope[] {
    return this.answers;
  }

  /** How many messages wait for the next superstep. */
  get queued(): number {
    return this.queue.length;
  }

  /** The shared-state writes each host has yet to hear of. */
  get sharedDeltas(): SharedDeltas {
    return this.sharedState;
  }

  /** A new run's input replaces whatever is queued and restarts the numbering; returns how many were dropped. */
  startWith(input: Envelope): number {
    const dropped = this.queue.length;
    this.committed = 0;
    this.queue = [input];
    this.answers = [];
    return dropped;
  }

  /** Takes the queue for a superstep; {@link requeue} puts it back if the superstep does not commit. */
  take(): Envelope[] {
    const delivered = this.queue;
    this.queue = [];
    return delivered;
  }

  /** Puts an uncommitted superstep's messages back, ahead of answers that arrived meanwhile. */
  requeue(delivered: readonly Envelope[]): void {
    this.queue = [...delivered, ...this.queue];
  }

  /** Commits a superstep that reached its barrier: nothing here fails on what the hosts sent. */
  commit(barrier: Barrier, sink: CommitSink): void {
    this.sharedState.commit(barrier.replies, ({ key, writers, winner }) => {
      sink.warn('SHARED_STATE_CONFLICT', `shared key "${key}" written by ${writers.join(', ')}; "${winner}" wins`, {
        key,
        writers,
        winner,
      });
    });
    for (const [actorId, bytes, key] of barrier.snapshots) this.snapshots.set(actorId, new Snapshot(bytes, key));
    this.parts.router.route(barrier.outbox, { queue: this.queue, fanIn: this.fanIn }, (code, message, details) => {
      sink.warn(code, message, details);
    });
    for (const [executorId, data] of barrier.outputs) sink.output(executorId, data);
    for (const request of barrier.requests) {
      const { executorId, requestId } = request;
      if (this.requests.knows(requestId)) {
        sink.warn('REQUEST_DUPLICATE', `executor "${executorId}" reused request id "${requestId}"; ignored`, {
          executorId,
          requestId,
        });
        continue;
      }
      this.requests.add(request);
      const traced = sink.request(request);
      if (traced !== undefined) this.requestTraces.set(requestId, traced);
    }
    this.committed = barrier.superstep;
    this.answers = [];
  }

  /**
   * A copy of the committed state (sub-workflows included). A copy, not a view: a cut kept to undo a
   * child's superstep must not change as the child goes on. Snapshot bytes are immutable and shared; the
   * collections holding them are copied.
   */
  cut(): InstanceCut {
    return {
      superstep: this.committed,
      queue: [...this.queue],
      fanIn: copyFanIn(this.fanIn),
      shared: new Map(this.sharedState.values),
      snapshots: new Map(this.snapshots),
      requests: [...this.requests.pending.values()],
      children: new Map([...this.parts.children].map(([id, child]) => [id, child.capture()])),
    };
  }

  /** A {@link cut} for a checkpoint: answers accepted after it are those {@link withAnswers} adds. */
  checkpointCut(): InstanceCut {
    this.answers = [];
    return this.cut();
  }

  /**
   * `base` (the last {@link checkpointCut}) with the answers accepted since: queued for their executors,
   * no longer pending. What a response checkpoint holds, whatever superstep is running meanwhile.
   */
  withAnswers(base: InstanceCut): InstanceCut {
    const { pending } = this.requests;
    return {
      ...base,
      queue: [...base.queue, ...this.answers],
      requests: base.requests.filter((request) => pending.has(request.requestId)),
    };
  }

  /** The committed snapshots and shared state, as read-only views (not copies: read them at once). */
  committedState(): Pick<InstanceCut, 'snapshots' | 'shared'> {
    return { snapshots: this.snapshots, shared: this.sharedState.values };
  }

  /** Replaces this level's state (sub-workflows and the hosts' half are replaced by the caller). */
  replace(cut: InstanceCut): void {
    this.committed = cut.superstep;
    this.queue = [...cut.queue];
    this.fanIn.clear();
    for (const [index, perSource] of copyFanIn(cut.fanIn)) this.fanIn.set(index, perSource);
    this.sharedState.replace(cut.shared);
    this.snapshots.clear();
    for (const [id, snapshot] of cut.snapshots) this.snapshots.set(id, snapshot);
    this.requests.replace(cut.requests);
    this.answers = [];
    for (const traced of this.requestTraces.values()) traced.end('dropped');
    this.requestTraces.clear();
  }
}

function copyFanIn(fanIn: FanInBuffers): FanInBuffers {
  return new Map([...fanIn].map(([index, perSource]) => [index, new Map([...perSource].map(([k, v]) => [k, [...v]]))]));
}

/** The snapshots of those of `actors` that have one. */
export function snapshotsOf(
  actors: readonly string[],
  snapshots: ReadonlyMap<string, Snapshot>,
): (readonly [string, Uint8Array])[] {
  return actors.flatMap((id) => {
    const snapshot = snapshots.get(id);
    return snapshot === undefined ? [] : [[id, snapshot.bytes] as const];
  });
}

/** Shared state as the writes that set it. */
export function sharedWrites(shared: ReadonlyMap<string, unknown>): SharedWrite[] {
  return [...shared].map(([key, value]) => [key, value, false] as const);
}
