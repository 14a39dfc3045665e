/**
 * The superstep coordinator (SPEC 1–8, 45): the only writer of an instance's run state. Each superstep:
 * partition the queue by host → one batch per host → wait for every reply (the barrier) → on failure roll
 * every host back and commit nothing; on success commit shared state and snapshots, route the outbox,
 * emit outputs and `superstep.completed`.
 */
import { SuperstepError, fromErrorRecord, toErrorRecord, type ErrorRecord } from '../shared/errors.ts';
import type { WarningCode, WorkflowEvent } from '../shared/events.ts';
import { findUnserializable } from '../shared/codec.ts';
import {
  INPUT_SOURCE,
  RESPONSE_SOURCE,
  type Delivery,
  type ExecutorInfo,
  type HostEvent,
  type HostLink,
  type HostTimerMessage,
  type OutboxEntry,
  type SharedWrite,
  type StepReply,
} from '../shared/protocol.ts';
import type { PendingRequestRecord } from './checkpoints/checkpoint-body.ts';
import type { HostSet } from './actor-pool.ts';
import type { Graph } from './graph.ts';
import { ResponseValidator } from './response-validator.ts';
import { Router, type Envelope, type FanInBuffers } from './router.ts';
import { BarrierCheckpoints } from './barrier-checkpoint.ts';
import { markImmutable, rememberSnapshotHash } from './checkpoints/snapshot-bytes.ts';

/** One run as the coordinator sees it. */
export interface RunContext {
  readonly runId: string;
  /** A new input for the start executor, or carry on from the queue (after a restore). */
  readonly start: { readonly kind: 'input'; readonly input: unknown } | { readonly kind: 'resume' };
  readonly maxSupersteps: number;
  readonly signal: AbortSignal;
  readonly emit: (event: WorkflowEvent) => void;
  /**
   * Writes a checkpoint of a barrier's cut (absent when no store is configured). Never rejects: resolves
   * to the event reporting the outcome, `checkpoint.saved` or a `CHECKPOINT_FAILED` warning (SPEC 27).
   */
  readonly checkpoint: ((cut: InstanceCut) => Promise<WorkflowEvent>) | undefined;
  /** Asked when requests are pending and nothing is queued: wait for answers, or end the run (SPEC 6, 18). */
  readonly onPendingRequests: () => 'wait' | 'end';
  /** False once nobody will read the run's events: per-actor progress events are then not built. */
  readonly eventsWanted: () => boolean;
  /** Emits a status event if the status changed (the final one is emitted by the caller). */
  readonly status: (status: 'running' | 'running-with-pending-requests' | 'idle-with-pending-requests') => void;
}

/** A request waiting for its answer. */
export type PendingRequest = PendingRequestRecord;

/** The instance state at a barrier, as checkpoints capture it and restore/reset replace it. */
export interface InstanceCut {
  readonly superstep: number;
  readonly queue: readonly Envelope[];
  readonly fanIn: FanInBuffers;
  readonly shared: ReadonlyMap<string, unknown>;
  readonly snapshots: ReadonlyMap<string, Uint8Array>;
  readonly requests: readonly PendingRequestRecord[];
  /** The full state of each sub-workflow node (SPEC 44). */
  readonly children: ReadonlyMap<string, InstanceCut>;
}

/** What one parent superstep got out of a sub-workflow node. */
export interface ChildStepResult {
  readonly outputs: readonly unknown[];
  /** Requests the child made and the parent did not know yet. */
  readonly requests: readonly PendingRequest[];
}

/** A sub-workflow node as the coordinator drives it (SPEC 43). */
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

export interface CoordinatorParts {
  readonly instance: string;
  readonly graph: Graph;
  readonly hosts: HostSet;
  /** After a cancel, handlers get this long to return before their worker is terminated. */
  readonly cancelGraceMs: number;
  /** How many times one superstep is replayed after a worker died (SPEC 39). */
  readonly maxWorkerRestarts: number;
  readonly executors: ReadonlyMap<string, ExecutorInfo>;
  /** Host index of each stateful actor. */
  readonly placement: ReadonlyMap<string, number>;
  readonly sharedState: ReadonlyMap<string, unknown>;
  /** Sub-workflow nodes by id. */
  readonly children: ReadonlyMap<string, ChildRunner>;
}

export class Coordinator {
  readonly instance: string;
  private readonly router: Router;
  private readonly hosts: HostSet;
  private readonly cancelGraceMs: number;
  private readonly maxWorkerRestarts: number;
  private readonly executors: ReadonlyMap<string, ExecutorInfo>;
  private readonly placement: ReadonlyMap<string, number>;
  private readonly graph: Graph;
  readonly children: ReadonlyMap<string, ChildRunner>;

  // ---- the instance's committed state at the last barrier ----
  /** Messages for the next superstep (after a failed run: the failed superstep's messages). */
  queue: Envelope[] = [];
  readonly fanIn: FanInBuffers = new Map();
  readonly shared = new Map<string, unknown>();
  /** Snapshot bytes of every actor whose state has changed since it was created. */
  readonly snapshots = new Map<string, Uint8Array>();
  /** The last committed barrier's number (a resumed run continues from it). */
  superstep = 0;
  /** Requests waiting for answers, in the order they were made (SPEC 17). */
  readonly pending = new Map<string, PendingRequest>();
  /** Ids answered since the last reset/restore, so a second answer is told apart from an unknown id. */
  private readonly answered = new Set<string>();
  /** Ids whose answer is being validated right now (a concurrent second answer is refused). */
  private readonly answering = new Set<string>();
  /** Wakes a run waiting for answers. */
  private wake: (() => void) | undefined;
  /** Armed timeouts of timed handler calls, by `host:seq` (SPEC 40). */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Hosts killed by a timeout in the current superstep, with the executor that overran. */
  private readonly timedOut = new Map<number, { executorId: string; timeoutMs: number }>();
  /** Committed shared writes each host has not heard of yet (sent with its next batch). */
  private readonly sharedDelta: Map<string, SharedWrite>[];
  /** Round-robin cursor spreading stateless messages over hosts. */
  private spread = 0;
  private readonly validator: ResponseValidator;
  /** Cancels the superstep in flight (set by dispatch); called by the run's abort listener. */
  private onAbort: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Counts this instance's runs: batches and aborts carry it, so an abort reaches only its own run. */
  private runNumber = 0;
  /** Completions of the current superstep already streamed live, per executor. */
  private readonly streamedCompletions = new Map<string, number>();

  constructor(parts: CoordinatorParts) {
    this.instance = parts.instance;
    this.graph = parts.graph;
    this.router = new Router(parts.graph);
    this.hosts = parts.hosts;
    this.cancelGraceMs = parts.cancelGraceMs;
    this.maxWorkerRestarts = parts.maxWorkerRestarts;
    this.executors = parts.executors;
    this.placement = parts.placement;
    this.children = parts.children;
    this.validator = new ResponseValidator(parts.graph.executors);
    for (const [key, value] of parts.sharedState) this.shared.set(key, value);
    this.sharedDelta = Array.from({ length: parts.hosts.size }, () => new Map<string, SharedWrite>());
  }

  /** Runs supersteps until the queue is empty, the limit is hit, a handler fails or the run is cancelled. */
  async execute(context: RunContext): Promise<CoordinatorOutcome> {
    // Checkpoint N is written while superstep N+1 runs; events stay in SPEC 3 order (barrier-checkpoint.ts).
    this.runNumber++;
    const barrier = new BarrierCheckpoints(context);
    const run = barrier.run;
    const outputs: unknown[] = [];
    let superstep: number;
    if (run.start.kind === 'input') {
      if (this.queue.length > 0) {
        this.warn(run, 0, 'QUEUE_DISCARDED', `discarding ${this.queue.length} messages left queued by an earlier run`, {
          messages: this.queue.length,
        });
      }
      superstep = this.superstep = 0;
      this.queue = [{ source: INPUT_SOURCE, target: this.graph.start, payload: run.start.input }];
      // The entry checkpoint: superstep 0, the input queued (SPEC 23).
      barrier.defer(0, () => this.cut(), false);
    } else {
      superstep = this.superstep;
    }
    const first = superstep;
    // Pending requests (from a restore, or an earlier run that ended waiting) are re-emitted (SPEC 21).
    for (const request of this.pending.values()) run.emit({ type: 'request', ...request });
    // One subscription serves every host, replacements included (the pool dispatches by instance).
    const unsubscribe = this.hosts.host(0).subscribe(this.instance, (message, hostIndex) => {
      if (message.superstep !== superstep) return;
      if (message.op === 'timer') {
        this.watchTimer(run, message, hostIndex);
        return;
      }
      for (const event of message.events) run.emit(toEvent(event, superstep));
      for (const executorId of message.completed) {
        this.streamedCompletions.set(executorId, (this.streamedCompletions.get(executorId) ?? 0) + 1);
        run.emit({ type: 'executor.completed', executorId, superstep });
      }
    });
    const abortListener = (): void => this.onAbort?.();
    run.signal.addEventListener('abort', abortListener, { once: true });
    try {
      for (;;) {
        if (run.signal.aborted) return this.cancelled(run);
        if (this.queue.length === 0) {
          if (this.pending.size === 0 || run.onPendingRequests() === 'end') break;
          run.status('idle-with-pending-requests');
          // The barrier's checkpoint must not wait for a human: it holds the requests being waited on.
          await barrier.flush();
          await this.answers(run.signal);
          continue;
        }
        run.status(this.pending.size > 0 ? 'running-with-pending-requests' : 'running');
        if (superstep - first >= run.maxSupersteps) {
          const error = new SuperstepError(
            'CONVERGENCE_LIMIT',
            `run ${run.runId} still had ${this.queue.length} messages queued after ${run.maxSupersteps} supersteps`,
            { details: { maxSupersteps: run.maxSupersteps, queued: this.queue.length } },
          );
          run.emit({ type: 'run.failed', error: error.toRecord() });
          return { kind: 'failed', error };
        }
        superstep++;
        const failed = await this.step(run, superstep, outputs, barrier);
        if (failed !== undefined) return failed;
      }
      return { kind: 'idle', outputs, supersteps: superstep - first, pendingRequests: [...this.pending.values()] };
    } finally {
      await barrier.flush();
      run.signal.removeEventListener('abort', abortListener);
      unsubscribe();
      // Hosts keep the last superstep's drafts until told; the verdict was given above. A host still
      // being replaced has no drafts (it is rebuilt from the barrier): do not wait for it to boot.
      await Promise.allSettled(
        this.allHosts()
          .filter((host) => host.isReady)
          .map((host) => host.control.commit(this.instance)),
      );
    }
  }

  private async step(
    run: RunContext,
    superstep: number,
    outputs: unknown[],
    barrier: BarrierCheckpoints,
  ): Promise<CoordinatorOutcome | undefined> {
    run.emit({ type: 'superstep.started', superstep });
    const delivered = this.queue;
    this.queue = [];
    let replies: StepReply[];
    let childResults: (readonly [string, ChildStepResult])[] = [];
    // The coordinator knows every mailbox it delivers: it emits `executor.invoked` itself (a stateless
    // executor is invoked once per message), and `executor.completed` at a successful barrier.
    const progress = run.eventsWanted();
    const invocations = progress ? this.invocations(delivered) : [];
    for (const [executorId, calls, messages] of invocations) {
      for (let call = 0; call < calls; call++) run.emit({ type: 'executor.invoked', executorId, superstep, messages });
    }
    this.streamedCompletions.clear();
    for (let attempt = 1; ; attempt++) {
      const { batches, childDeliveries } = this.partition(delivered);
      const participants = [...batches.keys()];
      this.timedOut.clear();
      // A sub-workflow advances inside this superstep: keep its cut to undo it if the superstep fails.
      const childCuts = new Map([...childDeliveries.keys()].map((id) => [id, this.child(id).capture()] as const));
      const dispatched = this.dispatch(run, superstep, batches);
      const stepped =
        childDeliveries.size === 0
          ? []
          : Promise.allSettled(
              [...childDeliveries].map(
                async ([id, messages]) => [id, await this.child(id).step(messages, run)] as const,
              ),
            );
      // The batches are posted: the last barrier's checkpoint is written while the hosts work.
      const written = barrier.start();
      const [settled, childSettled] = await Promise.all([dispatched, stepped]);
      await written;
      this.clearTimers();

      // ---- the barrier: every handler of this superstep has finished ----
      replies = [];
      const failures: { executorId: string; error: ErrorRecord }[] = [];
      const lost: SuperstepError[] = [];
      for (const result of settled) {
        if (result.status === 'rejected') {
          const error =
            result.reason instanceof SuperstepError
              ? result.reason
              : new SuperstepError('INTERNAL', String(result.reason));
          const overrun = error.code === 'WORKER_LOST' ? this.timedOut.get(Number(error.details.hostIndex)) : undefined;
          if (overrun !== undefined) {
            const timeout = new SuperstepError(
              'EXECUTOR_TIMEOUT',
              `executor "${overrun.executorId}" ran past its ${overrun.timeoutMs} ms timeout; its worker was replaced`,
              { details: { executorId: overrun.executorId, timeoutMs: overrun.timeoutMs } },
            );
            failures.push({ executorId: overrun.executorId, error: timeout.toRecord() });
            lost.push(error);
          } else if (error.code === 'WORKER_LOST') lost.push(error);
          else failures.push({ executorId: '', error: error.toRecord() });
          continue;
        }
        replies.push(result.value);
        for (const event of result.value.events) run.emit(toEvent(event, superstep));
        if (result.value.failure !== null) failures.push(result.value.failure);
      }
      childResults = [];
      childSettled.forEach((result, index) => {
        const id = [...childDeliveries.keys()][index] ?? '';
        if (result.status === 'fulfilled') childResults.push(result.value);
        else failures.push({ executorId: id, error: toErrorRecord(result.reason) });
      });
      if (failures.length === 0 && lost.length === 0 && !run.signal.aborted) break;
      await Promise.all([...childCuts].map(([id, cut]) => this.child(id).restore(cut)));

      // Nothing of this superstep survives (SPEC 8): hosts drop their drafts. A lost host needs no
      // rollback — its replacement is rebuilt from the last barrier — and must not be waited for.
      const lostHosts = new Set(lost.map((error) => Number(error.details.hostIndex)));
      await Promise.allSettled(
        participants
          .filter((index) => !lostHosts.has(index))
          .map((index) => this.hosts.host(index).control.rollback(this.instance)),
      );
      if (run.signal.aborted) {
        this.queue = [...delivered, ...this.queue];
        return this.cancelled(run);
      }
      if (failures.length === 0 && attempt <= this.maxWorkerRestarts) {
        for (const error of lost) {
          run.emit({
            type: 'worker.restarted',
            hostIndex: Number(error.details.hostIndex),
            superstep,
            attempt,
            reason: String(error.details.reason),
          });
        }
        continue; // replay the superstep on the rebuilt host (SPEC 39)
      }
      this.queue = [...delivered, ...this.queue];
      for (const failure of failures) {
        if (failure.executorId !== '') {
          run.emit({ type: 'executor.failed', executorId: failure.executorId, superstep, error: failure.error });
        }
      }
      const firstError =
        failures[0]?.error ??
        new SuperstepError('WORKER_LOST', `superstep ${superstep} lost a worker ${attempt} times; giving up`, {
          details: { superstep, attempts: attempt, reason: lost[0]?.message },
        }).toRecord();
      run.emit({ type: 'run.failed', error: firstError });
      return { kind: 'failed', error: fromErrorRecord(firstError) };
    }

    for (const [executorId, calls] of invocations) {
      const streamed = this.streamedCompletions.get(executorId) ?? 0;
      for (let call = streamed; call < calls; call++) run.emit({ type: 'executor.completed', executorId, superstep });
    }

    // ---- commit ----
    this.commitShared(run, superstep, replies);
    const outbox: OutboxEntry[] = [];
    for (const reply of replies) {
      for (const [actorId, view, hash] of reply.snapshots) {
        // Own copy, so the reply's buffer can go; immutable from here on (see snapshot-hashes.ts).
        const bytes = markImmutable(Uint8Array.prototype.slice.call(view));
        if (hash !== null) rememberSnapshotHash(bytes, hash);
        this.snapshots.set(actorId, bytes);
      }
      for (const entry of reply.outbox) outbox.push(entry);
    }
    // A sub-workflow's outputs flow on as its node's messages (SPEC 43).
    for (const [id, result] of childResults) for (const output of result.outputs) outbox.push([id, null, output]);
    this.router.route(outbox, this.queue, this.fanIn, (code, message, details) => {
      this.warn(run, superstep, code, message, details);
    });
    for (const reply of replies) {
      for (const [executorId, data] of reply.outputs) {
        outputs.push(data);
        run.emit({ type: 'output', executorId, superstep, data });
      }
    }
    const childRequests = childResults.flatMap(([, result]) =>
      result.requests.map((r) => [r.executorId, r.requestId, r.data] as const),
    );
    for (const reply of [...replies, { requests: childRequests }]) {
      for (const [executorId, requestId, data] of reply.requests) {
        if (this.pending.has(requestId) || this.answered.has(requestId)) {
          this.warn(
            run,
            superstep,
            'REQUEST_DUPLICATE',
            `executor "${executorId}" reused request id "${requestId}"; ignored`,
            {
              executorId,
              requestId,
            },
          );
          continue;
        }
        const request: PendingRequest = { requestId, executorId, data, superstep };
        this.pending.set(requestId, request);
        run.emit({ type: 'request', ...request });
      }
    }
    this.superstep = superstep;
    barrier.defer(superstep, () => this.cut(), true);
    return undefined;
  }

  /**
   * A copy of the committed state at the last barrier (sub-workflows included). A copy, not a view: a cut
   * kept to undo a child's superstep must not change as the child goes on. Snapshot bytes are immutable
   * and shared; the collections holding them are copied.
   */
  cut(): InstanceCut {
    return {
      superstep: this.superstep,
      queue: [...this.queue],
      fanIn: new Map(
        [...this.fanIn].map(([index, perSource]) => [
          index,
          new Map([...perSource].map(([id, list]) => [id, [...list]])),
        ]),
      ),
      shared: new Map(this.shared),
      snapshots: new Map(this.snapshots),
      requests: [...this.pending.values()],
      children: new Map([...this.children].map(([id, child]) => [id, child.capture()])),
    };
  }

  /**
   * Checks an answer to a pending request without recording it (a parent validating for its child).
   * Resolves to the accepted value.
   */
  async validate(requestId: string, value: unknown): Promise<unknown> {
    const request = this.pending.get(requestId);
    if (request === undefined) {
      if (this.answered.has(requestId)) throw alreadyAnswered(requestId);
      throw new SuperstepError('REQUEST_UNKNOWN', `no pending request "${requestId}"`, { details: { requestId } });
    }
    const unserializable = findUnserializable(value);
    if (unserializable !== undefined) {
      throw new SuperstepError('RESPONSE_INVALID', `answer to "${requestId}" cannot be serialised: ${unserializable}`, {
        details: { requestId, executorId: request.executorId, issues: [unserializable] },
      });
    }
    const child = this.children.get(request.executorId);
    if (child !== undefined) return await child.validate(requestId, value);
    // Checked here, not on the (possibly busy) host: an answer must not wait for a long handler.
    const check =
      (await this.validator.check(request.executorId, value)) ??
      (await this.hosts
        .host(this.hostOf(request.executorId))
        .control.validateResponse(this.instance, request.executorId, value));
    if (!check.ok) {
      throw new SuperstepError('RESPONSE_INVALID', `answer to "${requestId}" rejected: ${check.issues.join('; ')}`, {
        details: { requestId, executorId: request.executorId, issues: check.issues },
      });
    }
    return check.value;
  }

  /**
   * Answers a pending request (SPEC 18, 20): checked first — unknown id, second answer, a value the
   * executor's schema rejects — and only then recorded, so a refused answer changes nothing. The answer
   * is delivered to the executor's `onResponse` in the next superstep.
   */
  async respond(requestId: string, value: unknown): Promise<void> {
    if (this.answering.has(requestId)) throw alreadyAnswered(requestId);
    this.answering.add(requestId);
    let accepted: unknown;
    try {
      accepted = await this.validate(requestId, value);
    } finally {
      this.answering.delete(requestId);
    }
    this.record(requestId, accepted);
  }

  /**
   * Answers several requests at once: all are checked before any is recorded, so one refused answer
   * leaves every request pending (SPEC 20).
   */
  async respondAll(responses: ReadonlyMap<string, unknown>): Promise<void> {
    const ids = [...responses.keys()];
    const busy = ids.find((requestId) => this.answering.has(requestId));
    if (busy !== undefined) throw alreadyAnswered(busy);
    // Hold every id while checking, so a concurrent respond() to one of them is refused, not interleaved.
    for (const requestId of ids) this.answering.add(requestId);
    const accepted = new Map<string, unknown>();
    try {
      for (const [requestId, value] of responses) accepted.set(requestId, await this.validate(requestId, value));
    } finally {
      for (const requestId of ids) this.answering.delete(requestId);
    }
    for (const [requestId, value] of accepted) this.record(requestId, value);
  }

  /** Records a checked answer; it is delivered to the executor's `onResponse` in the next superstep. */
  private record(requestId: string, accepted: unknown): void {
    const request = this.pending.get(requestId);
    if (request === undefined) throw alreadyAnswered(requestId);
    this.pending.delete(requestId);
    this.answered.add(requestId);
    this.queue.push({
      source: RESPONSE_SOURCE,
      target: request.executorId,
      payload: { requestId, request: request.data, value: accepted },
    });
    this.wake?.();
  }

  /** Resolves when an answer arrives or the run is cancelled. No polling: `respond` wakes it. */
  private answers(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private hostOf(executorId: string): number {
    return this.executors.get(executorId)?.stateless === true ? 0 : (this.placement.get(executorId) ?? 0);
  }

  /** Replaces the main-thread half of the instance state (the hosts' half is replaced by the caller). */
  replace(cut: InstanceCut): void {
    this.superstep = cut.superstep;
    this.queue = [...cut.queue];
    this.fanIn.clear();
    for (const [index, perSource] of cut.fanIn)
      this.fanIn.set(index, new Map([...perSource].map(([k, v]) => [k, [...v]])));
    this.shared.clear();
    for (const [key, value] of cut.shared) this.shared.set(key, value);
    this.snapshots.clear();
    for (const [id, bytes] of cut.snapshots) this.snapshots.set(id, bytes);
    this.pending.clear();
    for (const request of cut.requests) this.pending.set(request.requestId, request);
    this.answered.clear();
    // Every host gets the whole shared state with the state replacement itself.
    for (const delta of this.sharedDelta) delta.clear();
  }

  /** Placed actors per host, for state replacement. */
  actorsOn(index: number): string[] {
    return [...this.placement]
      .filter(([id, host]) => host === index && this.executors.get(id)?.stateless !== true)
      .map(([id]) => id);
  }

  /**
   * Sends one batch per participating host and waits for all of them. On cancel: handlers are told
   * (cooperative), and a host still busy after the grace period has its thread terminated (SPEC 38).
   */
  private async dispatch(
    run: RunContext,
    superstep: number,
    batches: ReadonlyMap<number, Delivery[]>,
  ): Promise<PromiseSettledResult<StepReply>[]> {
    const busy = new Set(batches.keys());
    const runNumber = this.runNumber;
    // The run's abort listener (registered once per run) acts on the superstep in flight.
    this.onAbort = () => {
      const reason = String(run.signal.reason);
      for (const index of busy) {
        void this.hosts
          .host(index)
          .control.abort(this.instance, reason, runNumber)
          .catch(() => undefined);
      }
      this.graceTimer = setTimeout(() => {
        for (const index of busy) {
          this.hosts.kill(index, `run ${run.runId} cancelled; handler still running after ${this.cancelGraceMs} ms`);
        }
      }, this.cancelGraceMs);
    };
    if (run.signal.aborted) this.onAbort();
    const hashSnapshots = run.checkpoint !== undefined;
    try {
      return await Promise.allSettled(
        [...batches].map(async ([index, deliveries]) => {
          const delta = this.sharedDelta[index];
          const shared = delta === undefined || delta.size === 0 ? [] : [...delta.values()];
          delta?.clear();
          try {
            return await this.hosts
              .host(index)
              .step({
                op: 'step',
                instance: this.instance,
                run: runNumber,
                superstep,
                shared,
                deliveries,
                hashSnapshots,
              });
          } finally {
            busy.delete(index);
          }
        }),
      );
    } finally {
      this.onAbort = undefined;
      clearTimeout(this.graceTimer);
    }
  }

  /** Arms or disarms the watchdog of one timed handler call; an overrun kills the host (SPEC 40). */
  private watchTimer(run: RunContext, message: HostTimerMessage, hostIndex: number): void {
    const key = `${hostIndex}:${message.seq}`;
    if (message.phase === 'end') {
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.timedOut.set(hostIndex, { executorId: message.executorId, timeoutMs: message.timeoutMs });
        this.hosts.kill(
          hostIndex,
          `executor "${message.executorId}" ran past its ${message.timeoutMs} ms timeout in run ${run.runId}`,
        );
      }, message.timeoutMs),
    );
  }

  private clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private allHosts(): HostLink[] {
    return Array.from({ length: this.hosts.size }, (_, index) => this.hosts.host(index));
  }

  /** `[executorId, calls, messages per call]` for each mailbox of a superstep, in queue order. */
  private invocations(queue: readonly Envelope[]): [string, number, number][] {
    const perTarget = new Map<string, number>();
    for (const envelope of queue) perTarget.set(envelope.target, (perTarget.get(envelope.target) ?? 0) + 1);
    return [...perTarget].map(([executorId, messages]) =>
      this.executors.get(executorId)?.stateless === true ? [executorId, messages, 1] : [executorId, 1, messages],
    );
  }

  /** Groups the queue into one batch per host: actors to their host, stateless messages spread round-robin. */
  private partition(queue: readonly Envelope[]): {
    batches: Map<number, Delivery[]>;
    childDeliveries: Map<string, [string, unknown][]>;
  } {
    const threads = this.hosts.size;
    const batches = new Map<number, Delivery[]>();
    const childDeliveries = new Map<string, [string, unknown][]>();
    /** Per target: its mailbox (stateful actor or child), or, for a stateless executor, one per host. */
    const mailboxes = new Map<
      string,
      | { readonly spread: false; readonly box: [string, unknown][] }
      | { readonly spread: true; readonly perHost: [string, unknown][][] }
    >();
    const mailbox = (index: number, target: string): [string, unknown][] => {
      const messages: [string, unknown][] = [];
      let deliveries = batches.get(index);
      if (deliveries === undefined) batches.set(index, (deliveries = []));
      deliveries.push([target, messages]);
      return messages;
    };
    for (const envelope of queue) {
      const { target } = envelope;
      let entry = mailboxes.get(target);
      if (entry === undefined) {
        if (this.children.has(target)) {
          const box: [string, unknown][] = [];
          childDeliveries.set(target, box);
          entry = { spread: false, box };
        } else if (this.executors.get(target)?.stateless === true) {
          entry = { spread: true, perHost: [] };
        } else {
          entry = { spread: false, box: mailbox(this.placement.get(target) ?? 0, target) };
        }
        mailboxes.set(target, entry);
      }
      if (entry.spread) {
        // Stateless: spread round-robin over the hosts, one mailbox per host.
        const index = this.spread++ % threads;
        (entry.perHost[index] ??= mailbox(index, target)).push([envelope.source, envelope.payload]);
      } else {
        entry.box.push([envelope.source, envelope.payload]);
      }
    }
    return { batches, childDeliveries };
  }

  private child(id: string): ChildRunner {
    const child = this.children.get(id);
    if (child === undefined) throw new SuperstepError('INTERNAL', `no sub-workflow node "${id}"`);
    return child;
  }

  /**
   * Shared-state writes of one superstep become visible at the barrier. Two executors writing one key:
   * the write of the executor whose id sorts last wins, and a warning names them (SPEC 45).
   */
  private commitShared(run: RunContext, superstep: number, replies: readonly StepReply[]): void {
    if (replies.every((reply) => reply.sharedWrites.length === 0)) return;
    const byKey = new Map<string, { executorId: string; value: unknown; deleted: boolean }[]>();
    for (const reply of replies) {
      for (const [executorId, key, value, deleted] of reply.sharedWrites) {
        let writes = byKey.get(key);
        if (writes === undefined) byKey.set(key, (writes = []));
        writes.push({ executorId, value, deleted });
      }
    }
    for (const [key, writes] of byKey) {
      const writers = [...new Set(writes.map((w) => w.executorId))].sort();
      const lastWriter = writers[writers.length - 1];
      const winner = writes.filter((w) => w.executorId === lastWriter).at(-1);
      if (winner === undefined) continue;
      if (writers.length > 1) {
        this.warn(
          run,
          superstep,
          'SHARED_STATE_CONFLICT',
          `shared key "${key}" written by ${writers.join(', ')}; "${lastWriter}" wins`,
          {
            key,
            writers,
            winner: lastWriter,
          },
        );
      }
      if (winner.deleted) this.shared.delete(key);
      else this.shared.set(key, winner.value);
      const write: SharedWrite = [key, winner.value, winner.deleted];
      for (const delta of this.sharedDelta) delta.set(key, write);
    }
  }

  private cancelled(run: RunContext): CoordinatorOutcome {
    const error = new SuperstepError('RUN_CANCELLED', `run ${run.runId} was cancelled: ${String(run.signal.reason)}`, {
      details: { reason: String(run.signal.reason) },
    });
    return { kind: 'cancelled', error };
  }

  private warn(
    run: RunContext,
    superstep: number,
    code: WarningCode,
    message: string,
    details: Record<string, unknown>,
  ): void {
    run.emit({ type: 'warning', code, message, superstep, details });
  }
}

function alreadyAnswered(requestId: string): SuperstepError {
  return new SuperstepError('REQUEST_ALREADY_ANSWERED', `request "${requestId}" was already answered`, {
    details: { requestId },
  });
}

function toEvent(event: HostEvent, superstep: number): WorkflowEvent {
  switch (event[0]) {
    case 'custom':
      return { type: 'custom', executorId: event[1], superstep, name: event[2], data: event[3] };
    case 'warning':
      return { type: 'warning', code: event[1], message: event[2], superstep, details: event[3] };
  }
}
