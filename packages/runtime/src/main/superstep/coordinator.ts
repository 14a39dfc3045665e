/**
 * The superstep coordinator (guarantees 1–8, 45): the only writer of an instance's run state. Each superstep
 * is attempt → judge → commit: partition the queue by host, send one batch per host and wait for every
 * reply (the barrier; {@link Coordinator.attempt}); {@link judge} the attempt (verdict.ts); on `commit`,
 * commit shared state and snapshots, route the outbox, emit outputs (instance-state.ts); on anything else,
 * roll every host back and commit nothing — then replay, fail or cancel.
 */
import { SuperstepError, fromErrorRecord } from '../../shared/errors.ts';
import { INPUT_SOURCE, type StepReply } from '../../shared/protocol.ts';
import type { Graph } from '../graph/graph.ts';
import type { WarningCode } from '../../shared/events.ts';
import type { LostHostCalls, RequestTrace } from '../observe/run-trace.ts';
import { gatherReplies, readBarrier, toEvent, type Barrier } from './barrier.ts';
import { BarrierCheckpoints } from './barrier-checkpoint.ts';
import {
  RunFailure,
  type ChildStepResult,
  type CoordinatorOutcome,
  type CoordinatorParts,
  type HostState,
  type InstanceCut,
  type PendingRequest,
  type RunContext,
} from './coordinator-types.ts';
import type { CheckpointRunStatus } from '../checkpoints/checkpoint-store.ts';
import { HostDispatch } from './host-dispatch.ts';
import { InstanceState, sharedWrites, snapshotsOf, type CommitSink } from './instance-state.ts';
import { Partitioner } from './partitioner.ts';
import { Progress } from './progress.ts';
import { ResponseValidator, checkAnswer } from './response-validator.ts';
import { SubWorkflowNodes } from './sub-workflow-nodes.ts';
import { Router, type Envelope } from './router.ts';
import { judge, lostCalls, type AttemptResult, type Verdict } from './verdict.ts';

/** One superstep as the coordinator drives it. */
interface Step {
  readonly run: RunContext;
  readonly superstep: number;
  /** The run's outputs so far; a commit adds to them. */
  readonly outputs: unknown[];
  readonly checkpoints: BarrierCheckpoints;
  /** The messages this superstep delivers (taken from the queue; put back unless it commits). */
  readonly delivered: readonly Envelope[];
  /** Each sub-workflow node's cut before this attempt, to undo it if the attempt does not commit. */
  readonly childCuts: Map<string, InstanceCut>;
}

/** An attempt at its barrier: every batch and every sub-workflow node settled. */
interface Attempt {
  readonly result: AttemptResult;
  readonly replies: readonly StepReply[];
  readonly childResults: readonly (readonly [string, ChildStepResult])[];
  /** Hosts the attempt lost and what they held (for the trace; empty when none was lost). */
  readonly lost: readonly LostHostCalls[];
}

/** What a superstep without sub-workflow messages gets from its nodes (no promise to wait for). */
const NO_NODES = { results: [], failures: [] };

const TRACED: Record<Verdict['kind'], 'committed' | 'replayed' | 'failed' | 'cancelled'> = {
  commit: 'committed',
  replay: 'replayed',
  fail: 'failed',
  cancel: 'cancelled',
};

export class Coordinator {
  readonly instance: string;
  private readonly nodes: SubWorkflowNodes;
  /** The instance's committed state at the last barrier; this coordinator is its only writer. */
  private readonly state: InstanceState;
  private readonly maxWorkerRestarts: number;
  private readonly graph: Graph;
  private readonly partitioner: Partitioner;
  private readonly dispatcher: HostDispatch;
  /** Counts this instance's runs: batches and aborts carry it, so an abort reaches only its own run. */
  private runNumber = 0;
  private readonly progress = new Progress();
  /** The running run's checkpoints: an accepted answer is written with them (guarantee 55). */
  private checkpoints: BarrierCheckpoints | undefined;

  constructor(parts: CoordinatorParts) {
    this.instance = parts.instance;
    this.graph = parts.graph;
    this.maxWorkerRestarts = parts.maxWorkerRestarts;
    this.nodes = new SubWorkflowNodes(parts.children);
    this.partitioner = new Partitioner({
      threads: parts.hosts.size,
      executors: parts.executors,
      placement: parts.placement,
      children: new Set(parts.children.keys()),
    });
    const answers = {
      instance: parts.instance,
      validator: new ResponseValidator(parts.graph.executors),
      children: parts.children,
      hostOf: (executorId: string) => parts.hosts.host(this.partitioner.hostOf(executorId)),
    };
    this.state = new InstanceState({
      router: new Router(parts.graph),
      hosts: parts.hosts.size,
      sharedState: parts.sharedState,
      check: (request, value) => checkAnswer(answers, request, value),
      children: parts.children,
    });
    this.dispatcher = new HostDispatch({
      instance: parts.instance,
      hosts: parts.hosts,
      cancelGraceMs: parts.cancelGraceMs,
      shared: this.state.sharedDeltas,
    });
  }

  /** Runs supersteps until the queue is empty, the limit is hit, a handler fails or the run is cancelled. */
  async execute(run: RunContext): Promise<CoordinatorOutcome> {
    this.runNumber++;
    // Checkpoint N is written while superstep N+1 runs; events stay in guarantee 3 order (barrier-checkpoint.ts).
    const checkpoints = new BarrierCheckpoints(run);
    this.checkpoints = checkpoints;
    const cursor = { superstep: this.begin(run, checkpoints) };
    // Pending requests (from a restore, or an earlier run that ended waiting) are re-emitted (guarantee 21).
    for (const request of this.state.requests.pending.values()) run.events.emit({ type: 'request', ...request });
    // One subscription per host, renewed on a replacement host before it gets a batch (host-dispatch.ts).
    const unsubscribe = this.dispatcher.listen(run, (message) => {
      if (message.superstep !== cursor.superstep) return;
      for (const event of message.events) run.events.emit(toEvent(event, cursor.superstep));
      this.progress.streamedLive(run.events, cursor.superstep, message.completed);
    });
    const abortListener = (): void => {
      this.dispatcher.abortInFlight();
    };
    run.signal.addEventListener('abort', abortListener, { once: true });
    let outcome: CoordinatorOutcome | undefined;
    try {
      outcome = await this.loop(run, checkpoints, cursor);
      return outcome;
    } finally {
      // The last checkpoint says how the run ended (guarantee 56).
      await checkpoints.finish(finalStatus(outcome), () => this.state.cut());
      if (this.checkpoints === checkpoints) this.checkpoints = undefined;
      run.signal.removeEventListener('abort', abortListener);
      unsubscribe();
      this.dispatcher.release({ run: this.runNumber, superstep: cursor.superstep });
    }
  }

  /** Queues a new run's input (and takes the entry checkpoint, guarantee 23), or resumes; returns the superstep. */
  private begin(run: RunContext, checkpoints: BarrierCheckpoints): number {
    if (run.start.kind === 'resume') {
      // Answers given with the resume are written before its first superstep's handlers see them.
      if (this.state.answersSince.length > 0) {
        checkpoints.defer(this.state.superstep, () => this.state.checkpointCut(), ANSWERS_ON_RESUME);
      } else if (run.checkpoint !== undefined) {
        checkpoints.rebase(this.state.checkpointCut());
      }
      return this.state.superstep;
    }
    const dropped = this.state.startWith({ source: INPUT_SOURCE, target: this.graph.start, payload: run.start.input });
    if (dropped > 0) {
      const message = `discarding ${dropped} messages left queued by an earlier run`;
      const details = { messages: dropped };
      run.events.emit({ type: 'warning', code: 'QUEUE_DISCARDED', message, superstep: 0, details });
    }
    checkpoints.defer(0, () => this.state.checkpointCut(), { completed: false, reason: 'entry' });
    return 0;
  }

  private async loop(
    run: RunContext,
    checkpoints: BarrierCheckpoints,
    cursor: { superstep: number },
  ): Promise<CoordinatorOutcome> {
    const first = cursor.superstep;
    const outputs: unknown[] = [];
    const { requests } = this.state;
    for (;;) {
      if (run.signal.aborted) return this.cancelled(run);
      if (this.state.queued === 0) {
        if (requests.pending.size === 0 || run.onPendingRequests() === 'end') break;
        run.events.changeStatus('waiting-for-answers');
        // The barrier's checkpoint must not wait for a human: it holds the requests being waited on.
        await checkpoints.flush('waiting');
        await requests.answers(run.signal);
        continue;
      }
      run.events.changeStatus(requests.pending.size > 0 ? 'running-with-pending-requests' : 'running');
      if (cursor.superstep - first >= run.maxSupersteps) return this.limitReached(run);
      cursor.superstep++;
      const delivered = this.state.take();
      const step: Step = { run, superstep: cursor.superstep, outputs, checkpoints, delivered, childCuts: new Map() };
      const ended = await this.step(step);
      if (ended !== undefined) return ended;
    }
    const pendingRequests = [...requests.pending.values()];
    return { kind: 'idle', outputs, supersteps: cursor.superstep - first, pendingRequests };
  }

  /**
   * One superstep: attempts until the verdict is not `replay`, then commits, or ends the run. A failure of
   * the runtime itself before the barrier commits (a batch that cannot be encoded, a reply it cannot read,
   * a host call that throws) is {@link abandon}ed like a handler's failure, with `INTERNAL`.
   */
  private async step(step: Step): Promise<CoordinatorOutcome | undefined> {
    let reached: Barrier | CoordinatorOutcome;
    try {
      this.announce(step);
      reached = await this.reachBarrier(step);
    } catch (error) {
      return await this.abandon(step, error);
    }
    if (reached.kind !== 'barrier') return reached;
    this.commit(step, reached);
    return undefined;
  }

  /** Attempt → judge, until the verdict is not `replay`: the barrier to commit, or how the run ends. */
  private async reachBarrier(step: Step): Promise<Barrier | CoordinatorOutcome> {
    const { run, superstep } = step;
    for (let attempt = 1; ; attempt++) {
      const settled = await this.attempt(step, attempt);
      const verdict = judge(settled.result, { superstep, maxWorkerRestarts: this.maxWorkerRestarts });
      const { replies, lost } = settled;
      run.trace.attemptEnded({ superstep, attempt, replies, outcome: TRACED[verdict.kind], lost });
      // Anything but a commit: nothing of this superstep survives (guarantee 8).
      switch (verdict.kind) {
        case 'commit':
          return readBarrier(superstep, settled.replies, settled.childResults);
        case 'replay':
          await this.undo(step, verdict.lostHosts);
          for (const { hostIndex, reason } of verdict.lost) {
            run.events.emit({ type: 'worker.restarted', hostIndex, superstep, attempt, reason });
          }
          continue; // on the rebuilt hosts (guarantee 39)
        case 'cancel':
          await this.undo(step, verdict.lostHosts);
          this.state.requeue(step.delivered);
          run.trace.stepEnded(superstep, 'cancelled');
          return this.cancelled(run);
        case 'fail':
          await this.undo(step, verdict.lostHosts);
          return this.failed(step, verdict);
      }
    }
  }

  /** The superstep starts: its trace span, and its totals for a progress bar (progress.ts). */
  private announce({ run, superstep, delivered }: Step): void {
    run.trace.stepStarted(superstep, delivered.length);
    const invocations = run.eventsWanted() ? this.partitioner.invocations(delivered) : [];
    this.progress.started(run.events, superstep, { messages: delivered.length, invocations });
  }

  /** Sends the superstep's work and waits for the barrier: every batch and sub-workflow node settled. */
  private async attempt(step: Step, attempt: number): Promise<Attempt> {
    const { run, superstep, childCuts } = step;
    const { batches, slices, starts, childDeliveries } = this.partitioner.partition(step.delivered);
    // A sub-workflow advances inside this superstep: keep its cut to undo it if the superstep fails.
    this.nodes.capture(childDeliveries.keys(), childCuts);
    const header = {
      run: this.runNumber,
      superstep,
      keySnapshots: run.checkpoint !== undefined,
      timed: run.trace.timed,
    };
    const dispatched = this.dispatcher.send(run, header, { batches, slices, starts });
    const stepped = childDeliveries.size === 0 ? NO_NODES : this.nodes.step(run, childDeliveries);
    // The batches are posted: the last barrier's checkpoint is written while the hosts work.
    const written = step.checkpoints.start();
    const [results, children] = await Promise.all([dispatched, stepped]);
    await written;
    this.dispatcher.clearTimers();

    // ---- the barrier: every handler of this superstep has finished ----
    const { replies, failures } = gatherReplies(results, (event) => {
      run.events.emit(toEvent(event, superstep));
    });
    failures.push(...children.failures);
    const cancelled = run.signal.aborted;
    const lost = failures.length === 0 ? [] : lostCalls(results.filter((result) => !result.ok));
    return { result: { attempt, failures, cancelled }, replies, childResults: children.results, lost };
  }

  /** Sub-workflows return to their cut; hosts that took a batch drop its drafts (lost ones are rebuilt). */
  private async undo(step: Step, lostHosts: ReadonlySet<number>): Promise<void> {
    await this.nodes.restore(step.childCuts);
    await this.dispatcher.rollBack({ run: this.runNumber, superstep: step.superstep }, lostHosts);
  }

  /** The superstep failed: its messages stay queued (a resume runs it again) and the run fails. */
  private failed(step: Step, verdict: Extract<Verdict, { kind: 'fail' }>): CoordinatorOutcome {
    const { run, superstep } = step;
    this.state.requeue(step.delivered);
    for (const { executorId, error } of verdict.executors) {
      run.events.emit({ type: 'executor.failed', executorId, superstep, error });
    }
    run.trace.stepEnded(superstep, 'failed', verdict.error);
    run.events.emit({ type: 'run.failed', error: verdict.error });
    return { kind: 'failed', error: fromErrorRecord(verdict.error) };
  }

  /**
   * Undoes a superstep the runtime failed in (see {@link step}) and fails the run with `INTERNAL` — so the
   * instance is exactly as at the last barrier and the next run or resume works.
   */
  private async abandon(step: Step, cause: unknown): Promise<CoordinatorOutcome> {
    const { run, superstep } = step;
    this.dispatcher.clearTimers();
    await this.nodes.restoreAll(step.childCuts);
    await this.dispatcher.rollBack({ run: this.runNumber, superstep }, new Set());
    this.state.requeue(step.delivered);
    const error =
      cause instanceof SuperstepError && cause.code === 'INTERNAL'
        ? cause
        : new SuperstepError('INTERNAL', `superstep ${superstep} failed inside the runtime: ${String(cause)}`, {
            cause,
            details: { superstep },
          });
    run.trace.stepEnded(superstep, 'failed', error.toRecord());
    run.events.emit({ type: 'run.failed', error: error.toRecord() });
    return { kind: 'failed', error };
  }

  /** Commits a superstep that reached its barrier: nothing here fails on what the hosts sent. */
  private commit(step: Step, barrier: Barrier): void {
    const { run, superstep } = step;
    this.progress.committed(run.events, superstep);
    this.state.commit(barrier, new CommitEvents(step, this.graph.outputFrom));
    step.checkpoints.defer(superstep, () => this.state.checkpointCut(), { completed: true, reason: 'barrier' });
    run.trace.stepEnded(superstep, 'committed');
  }

  /** Checks an answer without recording it (a parent validating for its child); see {@link RequestBook}. */
  validate(requestId: string, value: unknown): Promise<unknown> {
    return this.state.requests.validate(requestId, value);
  }

  /** Answers a pending request (guarantees 18, 20); see {@link RequestBook.respond}. */
  async respond(requestId: string, value: unknown): Promise<void> {
    await this.state.requests.respond(requestId, value);
    // Durable before it is acknowledged (guarantee 55): written with the run's checkpoints.
    await this.checkpoints?.answered((base) => this.state.withAnswers(base));
  }

  /** The requests waiting for answers, in the order they were made. */
  get pendingRequests(): readonly PendingRequest[] {
    return [...this.state.requests.pending.values()];
  }

  /** Answers several requests, all checked before any is recorded (guarantee 20). */
  respondAll(responses: ReadonlyMap<string, unknown>): Promise<void> {
    return this.state.requests.respondAll(responses);
  }

  /** How many messages wait for the next superstep (a failed run leaves its superstep's queued). */
  get queued(): number {
    return this.state.queued;
  }

  /** A copy of the committed state, sub-workflows included (see {@link InstanceState.cut}). */
  cut(): InstanceCut {
    return this.state.cut();
  }

  /** Replaces this level's state at a restore or reset, once every host has prepared its half. */
  replace(cut: InstanceCut): void {
    this.state.replace(cut);
  }

  /**
   * The actors placed on host `index`, with their snapshots and the shared state: as committed (a
   * replacement host is rebuilt from the last barrier), or as `cut` has them (a restore or reset).
   */
  hostState(index: number, cut: Pick<InstanceCut, 'snapshots' | 'shared'> = this.state.committedState()): HostState {
    const actors = this.partitioner.actorsOn(index);
    return { actors, snapshots: snapshotsOf(actors, cut.snapshots), shared: sharedWrites(cut.shared) };
  }

  private limitReached(run: RunContext): CoordinatorOutcome {
    const { queued } = this.state;
    const { runId, maxSupersteps } = run;
    const message = `run ${runId} still had ${queued} messages queued after ${maxSupersteps} supersteps`;
    const error = new SuperstepError('CONVERGENCE_LIMIT', message, { details: { maxSupersteps, queued } });
    run.events.emit({ type: 'run.failed', error: error.toRecord() });
    return { kind: 'failed', error };
  }

  private cancelled(run: RunContext): CoordinatorOutcome {
    const reason: unknown = run.signal.reason;
    if (reason instanceof RunFailure) {
      run.events.emit({ type: 'run.failed', error: reason.error.toRecord() });
      return { kind: 'failed', error: reason.error };
    }
    const error = new SuperstepError('RUN_CANCELLED', `run ${run.runId} was cancelled: ${String(run.signal.reason)}`, {
      details: { reason: String(run.signal.reason) },
    });
    return { kind: 'cancelled', error };
  }
}

/**
 * What a barrier's commit reports, as the run's events. A class rather than an object of arrow functions:
 * one is made per superstep, and methods cost nothing to create.
 */
class CommitEvents implements CommitSink {
  constructor(
    private readonly step: Step,
    private readonly outputFrom: ReadonlySet<string> | null,
  ) {}

  warn(code: WarningCode, message: string, details: Record<string, unknown>): void {
    const { run, superstep } = this.step;
    run.events.emit({ type: 'warning', code, message, superstep, details });
  }

  output(executorId: string, data: unknown): void {
    const { run, superstep, outputs } = this.step;
    if (this.outputFrom !== null && !this.outputFrom.has(executorId)) {
      run.events.emit({ type: 'output.intermediate', executorId, superstep, data });
      return;
    }
    outputs.push(data);
    run.events.emit({ type: 'output', executorId, superstep, data });
  }

  request(request: PendingRequest): RequestTrace | undefined {
    const { run, superstep } = this.step;
    const traced = run.trace.requestOpened(request.requestId, request.executorId, superstep);
    run.events.emit({ type: 'request', ...request });
    return traced;
  }
}

const ANSWERS_ON_RESUME = { completed: false, reason: 'response' } as const;

/** How a run that ended with `outcome` stood (`undefined`: the loop threw, the run failed). */
function finalStatus(outcome: CoordinatorOutcome | undefined): CheckpointRunStatus {
  if (outcome === undefined) return 'failed';
  if (outcome.kind !== 'idle') return outcome.kind;
  return outcome.pendingRequests.length > 0 ? 'waiting' : 'completed';
}
