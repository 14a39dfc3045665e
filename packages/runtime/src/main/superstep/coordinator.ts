/**
 * The superstep coordinator (guarantees 1–8, 45): the only writer of an instance's run state. Each superstep:
 * partition the queue by host → one batch per host → wait for every reply (the barrier) → on failure roll
 * every host back and commit nothing; on success commit shared state and snapshots, route the outbox,
 * emit outputs and `superstep.completed`.
 */
import { SuperstepError, fromErrorRecord, toErrorRecord, type ErrorRecord } from '../../shared/errors.ts';
import type { WarningCode, WorkflowEvent } from '../../shared/events.ts';
import { allHosts, type HostSet } from '../../shared/host-set.ts';
import { INPUT_SOURCE, type HostEvent, type OutboxEntry, type StepReply } from '../../shared/protocol.ts';
import { BarrierCheckpoints } from './barrier-checkpoint.ts';
import { rememberSnapshotKey } from '../checkpoints/snapshot-bytes.ts';
import type {
  ChildRunner,
  ChildStepResult,
  CoordinatorOutcome,
  CoordinatorParts,
  InstanceCut,
  PendingRequest,
  RunContext,
} from './coordinator-types.ts';
import { HostDispatch } from './host-dispatch.ts';
import type { Graph } from '../graph/graph.ts';
import { Partitioner } from './partitioner.ts';
import { RequestBook } from './request-book.ts';
import type { RequestTrace } from '../observe/run-trace.ts';
import { ResponseValidator } from './response-validator.ts';
import { Router, type Envelope, type FanInBuffers } from './router.ts';
import { SharedState } from './shared-state.ts';

export class Coordinator {
  readonly instance: string;
  private readonly router: Router;
  private readonly hosts: HostSet;
  private readonly maxWorkerRestarts: number;
  private readonly graph: Graph;
  readonly children: ReadonlyMap<string, ChildRunner>;

  // ---- the instance's committed state at the last barrier ----
  /** Messages for the next superstep (after a failed run: the failed superstep's messages). */
  queue: Envelope[] = [];
  readonly fanIn: FanInBuffers = new Map();
  /** Committed shared state (guarantee 45), and what each host has not heard of yet. */
  private readonly sharedState: SharedState;
  /** Snapshot bytes of every actor whose state has changed since it was created. */
  readonly snapshots = new Map<string, Uint8Array>();
  /** The last committed barrier's number (a resumed run continues from it). */
  superstep = 0;
  /** Committed shared state: read by checkpoints and by `Workflow` for state replacement. */
  get shared(): ReadonlyMap<string, unknown> {
    return this.sharedState.values;
  }
  /** Requests waiting for answers, and the checks an answer passes (guarantees 17–21). */
  readonly requests: RequestBook;
  private readonly partitioner: Partitioner;
  private readonly dispatcher: HostDispatch;
  private readonly validator: ResponseValidator;
  /** Counts this instance's runs: batches and aborts carry it, so an abort reaches only its own run. */
  private runNumber = 0;
  /** Completions of the current superstep already streamed live, per executor. */
  private readonly streamedCompletions = new Map<string, number>();
  /** Traced requests waiting for answers: a request's span lasts until it is answered or dropped. */
  private readonly requestTraces = new Map<string, RequestTrace>();

  constructor(parts: CoordinatorParts) {
    this.instance = parts.instance;
    this.graph = parts.graph;
    this.router = new Router(parts.graph);
    this.hosts = parts.hosts;
    this.maxWorkerRestarts = parts.maxWorkerRestarts;
    this.children = parts.children;
    this.validator = new ResponseValidator(parts.graph.executors);
    this.partitioner = new Partitioner({
      threads: parts.hosts.size,
      executors: parts.executors,
      placement: parts.placement,
      children: new Set(parts.children.keys()),
    });
    this.dispatcher = new HostDispatch({
      instance: parts.instance,
      hosts: parts.hosts,
      cancelGraceMs: parts.cancelGraceMs,
    });
    this.requests = new RequestBook({
      check: (request, value) => this.checkAnswer(request, value),
      deliver: (envelope) => {
        this.queue.push(envelope);
        const { requestId } = envelope.payload as { requestId: string };
        this.requestTraces.get(requestId)?.end('answered');
        this.requestTraces.delete(requestId);
      },
    });
    this.sharedState = new SharedState(parts.hosts.size, parts.sharedState);
  }

  /** Runs supersteps until the queue is empty, the limit is hit, a handler fails or the run is cancelled. */
  async execute(context: RunContext): Promise<CoordinatorOutcome> {
    // Checkpoint N is written while superstep N+1 runs; events stay in guarantee 3 order (barrier-checkpoint.ts).
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
      // The entry checkpoint: superstep 0, the input queued (guarantee 23).
      barrier.defer(0, () => this.cut(), false);
    } else {
      superstep = this.superstep;
    }
    const first = superstep;
    // Pending requests (from a restore, or an earlier run that ended waiting) are re-emitted (guarantee 21).
    for (const request of this.requests.pending.values()) run.emit({ type: 'request', ...request });
    // One subscription per host, renewed on a replacement host before it gets a batch (host-dispatch.ts).
    const unsubscribe = this.dispatcher.listen((message, hostIndex) => {
      if (message.superstep !== superstep) return;
      if (message.op === 'timer') {
        this.dispatcher.watchTimer(run, message, hostIndex);
        return;
      }
      for (const event of message.events) run.emit(toEvent(event, superstep));
      for (const executorId of message.completed) {
        this.streamedCompletions.set(executorId, (this.streamedCompletions.get(executorId) ?? 0) + 1);
        run.emit({ type: 'executor.completed', executorId, superstep });
      }
    });
    const abortListener = (): void => {
      this.dispatcher.abortInFlight();
    };
    run.signal.addEventListener('abort', abortListener, { once: true });
    try {
      for (;;) {
        if (run.signal.aborted) return this.cancelled(run);
        if (this.queue.length === 0) {
          if (this.requests.pending.size === 0 || run.onPendingRequests() === 'end') break;
          run.status('idle-with-pending-requests');
          // The barrier's checkpoint must not wait for a human: it holds the requests being waited on.
          await barrier.flush();
          await this.requests.answers(run.signal);
          continue;
        }
        run.status(this.requests.pending.size > 0 ? 'running-with-pending-requests' : 'running');
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
      return {
        kind: 'idle',
        outputs,
        supersteps: superstep - first,
        pendingRequests: [...this.requests.pending.values()],
      };
    } finally {
      await barrier.flush();
      run.signal.removeEventListener('abort', abortListener);
      unsubscribe();
      // Hosts keep the last superstep's drafts until told; the verdict was given above. A host still
      // being replaced has no drafts (it is rebuilt from the barrier): do not wait for it to boot.
      const mark = { run: this.runNumber, superstep };
      await Promise.allSettled(
        allHosts(this.hosts)
          .filter((host) => host.isReady)
          .map((host) => host.control.commit(this.instance, mark)),
      );
    }
  }

  /**
   * One superstep. A failure of the runtime itself before the barrier commits (a batch that cannot be
   * encoded, a reply it cannot read, a host call that throws) fails it like a handler's failure: hosts
   * roll back, sub-workflows return to their cut, the messages are queued again, and the run fails with
   * `INTERNAL` — so the instance is exactly as at the last barrier and the next run or resume works.
   */
  private async step(
    run: RunContext,
    superstep: number,
    outputs: unknown[],
    barrier: BarrierCheckpoints,
  ): Promise<CoordinatorOutcome | undefined> {
    const delivered = this.queue;
    this.queue = [];
    const childCuts = new Map<string, InstanceCut>();
    let reached: Barrier;
    try {
      const outcome = await this.reachBarrier(run, superstep, delivered, childCuts, barrier);
      if (outcome.kind !== 'barrier') return outcome;
      reached = outcome;
    } catch (error) {
      return await this.abandon(run, superstep, delivered, childCuts, error);
    }
    this.commitBarrier(run, superstep, outputs, barrier, reached);
    run.trace.stepEnded(superstep, 'committed');
    return undefined;
  }

  /** Undoes a superstep the runtime failed in (see {@link step}) and fails the run with `INTERNAL`. */
  private async abandon(
    run: RunContext,
    superstep: number,
    delivered: Envelope[],
    childCuts: ReadonlyMap<string, InstanceCut>,
    cause: unknown,
  ): Promise<CoordinatorOutcome> {
    this.dispatcher.clearTimers();
    await Promise.allSettled([...childCuts].map(([id, cut]) => this.child(id).restore(cut)));
    await this.rollBack(superstep, new Set());
    this.queue = [...delivered, ...this.queue];
    const error =
      cause instanceof SuperstepError && cause.code === 'INTERNAL'
        ? cause
        : new SuperstepError('INTERNAL', `superstep ${superstep} failed inside the runtime: ${String(cause)}`, {
            cause,
            details: { superstep },
          });
    run.trace.stepEnded(superstep, 'failed', error.toRecord());
    run.emit({ type: 'run.failed', error: error.toRecord() });
    return { kind: 'failed', error };
  }

  /**
   * Hosts that took a batch of this superstep drop its drafts (see {@link HostDispatch.received}). A host
   * whose rollback fails might keep them and commit them with its next batch: it is replaced instead, and
   * its replacement is rebuilt from the last barrier.
   */
  private async rollBack(superstep: number, lostHosts: ReadonlySet<number>): Promise<void> {
    const hosts = [...this.dispatcher.received].filter((index) => !lostHosts.has(index));
    const mark = { run: this.runNumber, superstep };
    const results = await Promise.allSettled(
      hosts.map((index) => this.hosts.host(index).control.rollback(this.instance, mark)),
    );
    results.forEach((result, at) => {
      const index = hosts[at];
      if (result.status === 'rejected' && index !== undefined && this.hosts.host(index).isReady) {
        this.hosts.kill(index, `rollback of instance ${this.instance} failed: ${String(result.reason)}`);
      }
    });
  }

  /**
   * Sends the superstep's work and waits for the barrier; replays it on rebuilt hosts after a lost
   * worker. Resolves to what the barrier commits, or to the run's end (a failure or a cancel).
   */
  private async reachBarrier(
    run: RunContext,
    superstep: number,
    delivered: Envelope[],
    childCuts: Map<string, InstanceCut>,
    barrier: BarrierCheckpoints,
  ): Promise<Barrier | CoordinatorOutcome> {
    let replies: StepReply[];
    let childResults: (readonly [string, ChildStepResult])[] = [];
    // The coordinator knows every mailbox it delivers: it emits `executor.invoked` itself (a stateless
    // executor is invoked once per message), and `executor.completed` at a successful barrier. The
    // totals go out first, with `superstep.started`, so a progress bar knows its length.
    const progress = run.eventsWanted();
    const invocations = progress ? this.partitioner.invocations(delivered) : [];
    run.trace.stepStarted(superstep, delivered.length);
    run.emit({
      type: 'superstep.started',
      superstep,
      messages: delivered.length,
      // `invocations` lists messages per call (what `executor.invoked` says); the totals multiply it out.
      executors: invocations.map(([executorId, calls, perCall]) => ({
        executorId,
        invocations: calls,
        messages: calls * perCall,
      })),
    });
    for (const [executorId, calls, messages] of invocations) {
      for (let call = 0; call < calls; call++) run.emit({ type: 'executor.invoked', executorId, superstep, messages });
    }
    this.streamedCompletions.clear();
    for (let attempt = 1; ; attempt++) {
      const { batches, slices, starts, childDeliveries } = this.partitioner.partition(delivered);
      this.dispatcher.timedOut.clear();
      // A sub-workflow advances inside this superstep: keep its cut to undo it if the superstep fails.
      childCuts.clear();
      for (const id of childDeliveries.keys()) childCuts.set(id, this.child(id).capture());
      const header = {
        run: this.runNumber,
        superstep,
        keySnapshots: run.checkpoint !== undefined,
        timed: run.trace.timed,
      };
      const dispatched = this.dispatcher.send(run, header, { batches, slices, starts }, this.sharedState);
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
      this.dispatcher.clearTimers();

      // ---- the barrier: every handler of this superstep has finished ----
      replies = [];
      const failures: { executorId: string; error: ErrorRecord }[] = [];
      const lost: SuperstepError[] = [];
      /** A host that died fails every batch it held (it may hold two): it is reported once. */
      const lostHosts = new Set<number>();
      for (const result of settled) {
        if (result.status === 'rejected') {
          const error =
            result.reason instanceof SuperstepError
              ? result.reason
              : new SuperstepError('INTERNAL', String(result.reason));
          if (error.code === 'WORKER_LOST') {
            const hostIndex = Number(error.details.hostIndex);
            if (lostHosts.has(hostIndex)) continue;
            lostHosts.add(hostIndex);
          }
          const overrun =
            error.code === 'WORKER_LOST' ? this.dispatcher.timedOut.get(Number(error.details.hostIndex)) : undefined;
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
      if (failures.length === 0 && lost.length === 0 && !run.signal.aborted) {
        run.trace.attemptEnded({ superstep, attempt, replies, outcome: 'committed' });
        break;
      }
      const replayed = !run.signal.aborted && failures.length === 0 && attempt <= this.maxWorkerRestarts;
      run.trace.attemptEnded({
        superstep,
        attempt,
        replies,
        outcome: run.signal.aborted ? 'cancelled' : replayed ? 'replayed' : 'failed',
      });
      await Promise.all([...childCuts].map(([id, cut]) => this.child(id).restore(cut)));

      // Nothing of this superstep survives (guarantee 8): hosts drop their drafts. A lost host needs no
      // rollback — its replacement is rebuilt from the last barrier — and must not be waited for.
      await this.rollBack(superstep, lostHosts);
      if (run.signal.aborted) {
        this.queue = [...delivered, ...this.queue];
        run.trace.stepEnded(superstep, 'cancelled');
        return this.cancelled(run);
      }
      if (replayed) {
        for (const error of lost) {
          run.emit({
            type: 'worker.restarted',
            hostIndex: Number(error.details.hostIndex),
            superstep,
            attempt,
            reason: String(error.details.reason),
          });
        }
        continue; // replay the superstep on the rebuilt host (guarantee 39)
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
      run.trace.stepEnded(superstep, 'failed', firstError);
      run.emit({ type: 'run.failed', error: firstError });
      return { kind: 'failed', error: fromErrorRecord(firstError) };
    }

    // Read everything the replies carry before anything is committed: a reply the runtime cannot read
    // fails the superstep here, with nothing changed.
    const snapshots: (readonly [string, Uint8Array, string | null])[] = [];
    const outbox: OutboxEntry[] = [];
    for (const reply of replies) {
      for (const [actorId, view, key] of reply.snapshots) {
        // Own copy, so the reply's buffer can go; never written from here on (see snapshot-bytes.ts).
        snapshots.push([actorId, Uint8Array.prototype.slice.call(view), key]);
      }
      for (const entry of reply.outbox) outbox.push(entry);
    }
    // A sub-workflow's outputs flow on as its node's messages (guarantee 43).
    for (const [id, result] of childResults) for (const output of result.outputs) outbox.push([id, null, output]);
    return { kind: 'barrier', replies, childResults, invocations, snapshots, outbox };
  }

  /** Commits a superstep that reached its barrier: nothing here fails on what the hosts sent. */
  private commitBarrier(
    run: RunContext,
    superstep: number,
    outputs: unknown[],
    barrier: BarrierCheckpoints,
    { replies, childResults, invocations, snapshots, outbox }: Barrier,
  ): void {
    for (const [executorId, calls] of invocations) {
      const streamed = this.streamedCompletions.get(executorId) ?? 0;
      for (let call = streamed; call < calls; call++) run.emit({ type: 'executor.completed', executorId, superstep });
    }

    // ---- commit ----
    this.sharedState.commit(replies, ({ key, writers, winner }) => {
      this.warn(
        run,
        superstep,
        'SHARED_STATE_CONFLICT',
        `shared key "${key}" written by ${writers.join(', ')}; "${winner}" wins`,
        {
          key,
          writers,
          winner,
        },
      );
    });
    for (const [actorId, bytes, key] of snapshots) {
      if (key !== null) rememberSnapshotKey(bytes, key);
      this.snapshots.set(actorId, bytes);
    }
    this.router.route(outbox, { queue: this.queue, fanIn: this.fanIn }, (code, message, details) => {
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
        if (this.requests.knows(requestId)) {
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
        this.requests.add(request);
        const traced = run.trace.requestOpened(requestId, executorId, superstep);
        if (traced !== undefined) this.requestTraces.set(requestId, traced);
        run.emit({ type: 'request', ...request });
      }
    }
    this.superstep = superstep;
    barrier.defer(superstep, () => this.cut(), true);
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
      shared: new Map(this.sharedState.values),
      snapshots: new Map(this.snapshots),
      requests: [...this.requests.pending.values()],
      children: new Map([...this.children].map(([id, child]) => [id, child.capture()])),
    };
  }

  /** Checks an answer without recording it (a parent validating for its child); see {@link RequestBook}. */
  validate(requestId: string, value: unknown): Promise<unknown> {
    return this.requests.validate(requestId, value);
  }

  /** Answers a pending request (guarantees 18, 20); see {@link RequestBook.respond}. */
  respond(requestId: string, value: unknown): Promise<void> {
    return this.requests.respond(requestId, value);
  }

  /** Answers several requests, all checked before any is recorded (guarantee 20). */
  respondAll(responses: ReadonlyMap<string, unknown>): Promise<void> {
    return this.requests.respondAll(responses);
  }

  /** The requesting executor's own check of an answer: its child's, or its response schema. */
  private async checkAnswer(request: PendingRequest, value: unknown): Promise<unknown> {
    const child = this.children.get(request.executorId);
    if (child !== undefined) return await child.validate(request.requestId, value);
    // Checked here, not on the (possibly busy) host: an answer must not wait for a long handler.
    const check =
      (await this.validator.check(request.executorId, value)) ??
      (await this.hosts
        .host(this.partitioner.hostOf(request.executorId))
        .control.validateResponse(this.instance, request.executorId, value));
    if (!check.ok) {
      throw new SuperstepError(
        'RESPONSE_INVALID',
        `answer to "${request.requestId}" rejected: ${check.issues.join('; ')}`,
        { details: { requestId: request.requestId, executorId: request.executorId, issues: check.issues } },
      );
    }
    return check.value;
  }

  /** Replaces the main-thread half of the instance state (the hosts' half is replaced by the caller). */
  replace(cut: InstanceCut): void {
    this.superstep = cut.superstep;
    this.queue = [...cut.queue];
    this.fanIn.clear();
    for (const [index, perSource] of cut.fanIn)
      this.fanIn.set(index, new Map([...perSource].map(([k, v]) => [k, [...v]])));
    this.sharedState.replace(cut.shared);
    this.snapshots.clear();
    for (const [id, bytes] of cut.snapshots) this.snapshots.set(id, bytes);
    this.requests.replace(cut.requests);
    for (const traced of this.requestTraces.values()) traced.end('dropped');
    this.requestTraces.clear();
  }

  /** Placed actors per host, for state replacement. */
  actorsOn(index: number): string[] {
    return this.partitioner.actorsOn(index);
  }

  private child(id: string): ChildRunner {
    const child = this.children.get(id);
    if (child === undefined) throw new SuperstepError('INTERNAL', `no sub-workflow node "${id}"`);
    return child;
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

/** A superstep at its barrier: every reply read, nothing committed yet. */
interface Barrier {
  readonly kind: 'barrier';
  readonly replies: readonly StepReply[];
  readonly childResults: readonly (readonly [string, ChildStepResult])[];
  /** Per executor: how many times it was invoked, and with how many messages. */
  readonly invocations: readonly (readonly [string, number, number])[];
  readonly snapshots: readonly (readonly [actorId: string, bytes: Uint8Array, key: string | null])[];
  readonly outbox: readonly OutboxEntry[];
}

function toEvent(event: HostEvent, superstep: number): WorkflowEvent {
  switch (event[0]) {
    case 'custom':
      return { type: 'custom', executorId: event[1], superstep, name: event[2], data: event[3] };
    case 'warning':
      return { type: 'warning', code: event[1], message: event[2], superstep, details: event[3] };
  }
}
