/**
 * One run of a workflow instance, from its reservation to its final status: it drives the coordinator,
 * owns the run's event gate (event-gate.ts) and its stream, answers requests through `onRequest`, writes
 * its checkpoints, and releases the instance when it ends. Its {@link RunHandle} is what the caller holds.
 */
import { SuperstepError, isSuperstepError } from '../../shared/errors.ts';
import type { RequestEvent, RunStatus, WorkflowEvent } from '../../shared/events.ts';
import type { Checkpointer } from '../checkpoints/checkpointer.ts';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import { recorderSink, type RecorderSink } from '../observe/run-recorder.ts';
import { NO_TRACE, callerContext, epochNow, startRunTrace, type RunTrace } from '../observe/run-trace.ts';
import type { Coordinator } from '../superstep/coordinator.ts';
import { RunFailure, type CheckpointHow, type InstanceCut, type RunContext } from '../superstep/coordinator-types.ts';
import type { ResumeOptions } from '../workflow-options.ts';
import { EventChannel } from './event-channel.ts';
import { EventGate } from './event-gate.ts';
import type { Lifecycle, RunToken } from './lifecycle.ts';
import { runHandle, type RunControl, type RunHandle, type RunOutcome } from './run-handle.ts';
import { RunLease, type TakeLease } from './run-lease.ts';
import type { PublishedEvents } from './run-event-sink.ts';

export interface RunParts {
  readonly runId: string;
  /** The run's hold on the instance, reserved by the caller; released when the run ends. */
  readonly token: RunToken;
  readonly lifecycle: Lifecycle;
  readonly coordinator: Coordinator;
  readonly checkpointer: Checkpointer;
  readonly start: RunContext['start'];
  readonly maxSupersteps: number;
  /** Checked by the caller (`checkRunOptions`). */
  readonly options: ResumeOptions;
  readonly pendingMode: 'auto' | 'wait' | 'end';
  /** This run's checkpoint store: its own, or the workflow's (guarantee 36). */
  readonly store: CheckpointStore | undefined;
  /** Where failed checkpoint writes are logged (guarantee 27). */
  readonly logger: Pick<Console, 'warn'>;
  /** Called once the run has ended, just before the instance is released. */
  readonly onEnded: (run: Run<unknown>) => void;
  /** Takes the instance's lease (guarantee 52). */
  readonly takeLease: TakeLease;
  /** Where the run's events also go, for observers in other processes. */
  readonly events: PublishedEvents | undefined;
}

export class Run<Output> implements RunControl<Output> {
  readonly runId: string;
  readonly events = new EventChannel<WorkflowEvent>();
  readonly done: Promise<RunOutcome<Output>>;
  readonly handle: RunHandle<Output>;
  private readonly abort = new AbortController();
  private readonly gate = new EventGate((event) => {
    this.deliver(event);
  });
  private readonly recorder: RecorderSink | undefined;
  /** The caller's active span (taken synchronously, at `run()`) becomes the run's parent. */
  private readonly parentContext = callerContext();
  private trace: RunTrace = NO_TRACE;
  private ended = false;
  /** The run's hold on its leased instance, taken before anything runs (guarantee 52). */
  private lease = RunLease.NONE;
  /** A consumer is iterating the events right now (set by the handle). */
  iterating = false;
  private readonly onExternalAbort = (): void => {
    this.abort.abort(this.parts.options.signal?.reason);
  };

  constructor(private readonly parts: RunParts) {
    this.runId = parts.runId;
    this.recorder = recorderSink(parts.options.recorder);
    const external = parts.options.signal;
    if (external?.aborted === true) this.abort.abort(external.reason);
    else external?.addEventListener('abort', this.onExternalAbort, { once: true });
    this.done = this.execute();
    this.handle = runHandle(this);
  }

  get status(): RunStatus {
    return this.gate.status;
  }

  cancel(reason: string): void {
    this.abort.abort(reason);
  }

  respond(requestId: string, value: unknown): Promise<void> {
    if (this.ended) {
      return Promise.reject(
        new SuperstepError('RUN_ENDED', `run ${this.runId} has ended; answer with workflow.resume({ responses })`, {
          details: { runId: this.runId, requestId },
        }),
      );
    }
    return this.parts.coordinator.respond(requestId, value);
  }

  /** The whole run; never rejects. Exactly one final status on every exit path (guarantee 16). */
  private async execute(): Promise<RunOutcome<Output>> {
    // Let the caller attach its iteration first; the run starts on the next microtask.
    await Promise.resolve();
    const { lifecycle, token, coordinator } = this.parts;
    lifecycle.start(token);
    this.trace = startRunTrace({
      runId: this.runId,
      instance: coordinator.instance,
      parent: this.parentContext,
      recorder: this.recorder,
    });
    this.gate.emit({ type: 'run.started', runId: this.runId });
    this.gate.emit({ type: 'status', status: 'running', final: false });
    let outcome: RunOutcome<Output> | undefined;
    try {
      outcome = await this.drive();
    } catch (error) {
      const wrapped =
        error instanceof SuperstepError ? error : new SuperstepError('INTERNAL', String(error), { cause: error });
      this.gate.emit({ type: 'run.failed', error: wrapped.toRecord() });
      outcome = { ok: false, error: wrapped, status: 'failed' };
    } finally {
      await this.lease.release().catch(() => undefined);
      this.end(outcome);
      // Observers elsewhere have the final status before this run's result settles.
      await this.parts.events?.sink.flush().catch(() => undefined);
    }
    return outcome;
  }

  private async drive(): Promise<RunOutcome<Output>> {
    const { coordinator, options, store } = this.parts;
    // Across processes the instance is held by a lease: taken before anything runs (guarantee 52).
    this.lease = await this.parts.takeLease({
      store,
      onLost: (error) => {
        this.abort.abort(error);
      },
    });
    // Answers given with resume() are checked all together before any is applied (guarantees 20, 21).
    if (options.responses !== undefined) await coordinator.respondAll(new Map(Object.entries(options.responses)));
    const outcome = await this.trace.within(() => coordinator.execute(this.context()));
    const lost = this.lease.lost;
    if (lost !== undefined) {
      // Stopped because the lease ended: whatever the coordinator made of the abort, the run failed.
      this.gate.emit({ type: 'run.failed', error: lost.toRecord() });
      return { ok: false, error: lost, status: 'failed' };
    }
    if (outcome.kind !== 'idle') return { ok: false, error: outcome.error, status: outcome.kind };
    const { outputs, supersteps, pendingRequests } = outcome;
    const status = pendingRequests.length > 0 ? 'idle-with-pending-requests' : 'idle';
    return {
      ok: true,
      result: { runId: this.runId, status, outputs: outputs as Output[], supersteps, pendingRequests },
    };
  }

  /** The run as the coordinator drives it. */
  private context(): RunContext {
    const { start, maxSupersteps, store } = this.parts;
    return {
      runId: this.runId,
      start,
      maxSupersteps,
      signal: this.abort.signal,
      events: this.gate,
      checkpoint: store === undefined ? undefined : (cut, how) => this.writeCheckpoint(store, cut, how),
      onPendingRequests: () => this.onPendingRequests(),
      // Not forced by a recorder: it draws handlers from the hosts' timings, not from progress events.
      eventsWanted: () => !this.events.discarding,
      trace: this.trace,
    };
  }

  private end(outcome: RunOutcome<Output> | undefined): void {
    this.ended = true;
    this.parts.options.signal?.removeEventListener('abort', this.onExternalAbort);
    const final: RunStatus = outcome === undefined ? 'failed' : outcome.ok ? outcome.result.status : outcome.status;
    this.gate.emit({ type: 'status', status: final, final: true });
    this.trace.ended(final, outcome?.ok === false ? outcome.error : undefined);
    this.events.close();
    this.parts.onEnded(this);
    this.parts.lifecycle.release(this.parts.token);
  }

  /** Requests pending and nothing queued: wait while someone can answer (`'auto'`), or as the caller said. */
  private onPendingRequests(): 'wait' | 'end' {
    const { pendingMode, options } = this.parts;
    if (pendingMode !== 'auto') return pendingMode;
    return options.onRequest !== undefined || this.iterating ? 'wait' : 'end';
  }

  /** Where the gate's events go: the recorder, the handle's stream, and `onRequest` for requests. */
  private deliver(event: WorkflowEvent): void {
    this.recorder?.event(event, epochNow());
    const published = this.parts.events;
    published?.sink.publish(event, { instance: published.instance, runId: this.runId });
    this.events.push(event);
    const onRequest = this.parts.options.onRequest;
    // The answer is its own task (the run does not wait for it); its failure is reported as an event.
    if (event.type === 'request' && onRequest !== undefined) void this.answer(event, onRequest);
  }

  /**
   * Answers a request with `onRequest`; a failure leaves it pending and is reported, or, for an answer the schema
   * refused under `onInvalidAnswer: 'fail'`, fails the run. Never rejects.
   */
  private async answer(request: RequestEvent, onRequest: (request: RequestEvent) => unknown): Promise<void> {
    try {
      await this.respond(request.requestId, await onRequest(request));
    } catch (error) {
      if (this.parts.options.onInvalidAnswer === 'fail' && isSuperstepError(error, 'RESPONSE_INVALID')) {
        if (!this.ended) this.abort.abort(new RunFailure(error));
        return;
      }
      this.gate.emit({
        type: 'warning',
        code: 'REQUEST_HANDLER_FAILED',
        message: `onRequest for "${request.requestId}" failed: ${String(error)}; the request stays pending`,
        superstep: request.superstep,
        details: { requestId: request.requestId, error: String(error) },
      });
    }
  }

  /** A failed write is reported and leaves the lineage as it was (guarantee 27); the run goes on. */
  private async writeCheckpoint(store: CheckpointStore, cut: InstanceCut, how: CheckpointHow): Promise<WorkflowEvent> {
    const { superstep } = cut;
    const trace = this.trace;
    const start = trace === NO_TRACE ? 0 : epochNow();
    try {
      const meta = await this.parts.checkpointer.write(store, cut, {
        runId: this.runId,
        ...how,
        fence: this.lease.fence,
      });
      trace.checkpointWritten(superstep, start, { ok: true, checkpointId: meta.id, store: store.kind });
      return { type: 'checkpoint.saved', checkpointId: meta.id, superstep, store: store.kind };
    } catch (error) {
      const message = `checkpoint of superstep ${superstep} to the ${store.kind} store failed: ${String(error)}`;
      trace.checkpointWritten(superstep, start, { ok: false, store: store.kind, error: String(error) });
      // A refused fence is not a failed write to shrug off: another coordinator holds the instance.
      if (error instanceof SuperstepError && error.code === 'LEASE_LOST') this.lease.lose(error);
      this.parts.logger.warn(`superstep: ${message}`);
      return {
        type: 'warning',
        code: 'CHECKPOINT_FAILED',
        message,
        superstep,
        details: { store: store.kind, error: String(error) },
      };
    }
  }
}
