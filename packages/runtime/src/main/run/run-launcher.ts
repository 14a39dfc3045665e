/**
 * Starts a workflow instance's runs: reserves the instance, wires one run's events, status, answers to
 * requests, cancellation and checkpoints to its `RunHandle`, and keeps hold of the active run so closing
 * the workflow can cancel it and wait for it.
 */
import { SuperstepError } from '../../shared/errors.ts';
import type { RunStatus, WorkflowEvent } from '../../shared/events.ts';
import type { Checkpointer } from '../checkpoints/checkpointer.ts';
import type { CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import type { Coordinator } from '../superstep/coordinator.ts';
import type { InstanceCut, RunContext } from '../superstep/coordinator-types.ts';
import { EventChannel } from './event-channel.ts';
import type { Lifecycle } from './lifecycle.ts';
import { RunHandle, type RunOutcome } from './run-handle.ts';
import { RunLease, type RunLeaseParts } from './run-lease.ts';
import type { RunEventSink } from './run-event-sink.ts';
import { recorderSink } from '../observe/run-recorder.ts';
import { NO_TRACE, callerContext, epochNow, startRunTrace, type RunTrace } from '../observe/run-trace.ts';
import type { ResumeOptions } from '../workflow.ts';
import { checkRunOptions } from '../workflow-options.ts';

/** What runs need of their workflow instance. */
export interface RunLauncherParts {
  readonly lifecycle: Lifecycle;
  readonly coordinator: Coordinator;
  readonly checkpointer: Checkpointer;
  /** Makes run ids. */
  readonly createId: () => string;
  /** The workflow's store; a run's own store takes its place for that run. */
  readonly store: CheckpointStore | undefined;
  /** Where failed checkpoint writes are logged (guarantee 27). */
  readonly logger: Pick<Console, 'warn'>;
  /** Takes the instance's lease for one run (guarantee 52); `RunLease.NONE` when the workflow has none. */
  readonly takeLease: (parts: Pick<RunLeaseParts, 'store' | 'onLost'>) => Promise<RunLease>;
  /** Where every run's events also go (a stream other processes follow), with the instance's name. */
  readonly events?: { readonly sink: RunEventSink; readonly instance: string };
}

export class RunLauncher {
  private active: { token: symbol; abort: AbortController; done: Promise<unknown> } | undefined;

  constructor(private readonly parts: RunLauncherParts) {}

  /** Starts a run; throws at once if an option is refused or another run holds the instance (guarantee 29). */
  start<Output>(start: RunContext['start'], maxSupersteps: number, options: ResumeOptions): RunHandle<Output> {
    const { lifecycle, coordinator } = this.parts;
    const pendingMode = checkRunOptions(options);
    // Set once the handle exists: whether its events are being iterated right now.
    let iterating = (): boolean => false;
    const onPendingRequests = (): 'wait' | 'end' =>
      pendingMode !== 'auto' ? pendingMode : options.onRequest !== undefined || iterating() ? 'wait' : 'end';
    const token = Symbol('run');
    lifecycle.reserve(token);

    const runId = this.parts.createId();
    // The caller's active span (taken now, synchronously) becomes the run's parent.
    const parentContext = callerContext();
    const recorder = recorderSink(options.recorder);
    let trace: RunTrace = NO_TRACE;
    const events = new EventChannel<WorkflowEvent>();
    const abort = new AbortController();
    const external = options.signal;
    const onExternalAbort = (): void => {
      abort.abort(external?.reason);
    };
    if (external?.aborted === true) abort.abort(external.reason);
    else external?.addEventListener('abort', onExternalAbort, { once: true });

    let status: RunStatus = 'running';
    let ended = false;
    const respond = (requestId: string, value: unknown): Promise<void> => {
      if (ended) {
        return Promise.reject(
          new SuperstepError('RUN_ENDED', `run ${runId} has ended; answer with workflow.resume({ responses })`, {
            details: { runId, requestId },
          }),
        );
      }
      return coordinator.respond(requestId, value);
    };
    const onRequest = options.onRequest;
    const published = this.parts.events;
    const emit = (event: WorkflowEvent): void => {
      if (event.type === 'status') status = event.status;
      recorder?.event(event, epochNow());
      published?.sink.publish(event, { instance: published.instance, runId });
      events.push(event);
      if (event.type === 'request' && onRequest !== undefined) {
        void (async () => {
          try {
            await respond(event.requestId, await onRequest(event));
          } catch (error) {
            emit({
              type: 'warning',
              code: 'REQUEST_HANDLER_FAILED',
              message: `onRequest for "${event.requestId}" failed: ${String(error)}; the request stays pending`,
              superstep: event.superstep,
              details: { requestId: event.requestId, error: String(error) },
            });
          }
        })();
      }
    };
    const setStatus = (next: RunStatus): void => {
      if (next !== status) emit({ type: 'status', status: next, final: false });
    };
    // A per-run store belongs to this run only: it lives in this closure, not on the instance (guarantee 36).
    const store = options.store ?? this.parts.store;
    let lease = RunLease.NONE;
    const checkpoint =
      store === undefined
        ? undefined
        : (cut: InstanceCut): Promise<WorkflowEvent> => this.writeCheckpoint(store, { runId, lease }, cut, trace);

    const outcome = (async (): Promise<RunOutcome<Output>> => {
      // Let the caller attach its iteration first; the run starts on the next microtask.
      await Promise.resolve();
      lifecycle.start(token);
      trace = startRunTrace({ runId, instance: coordinator.instance, parent: parentContext, recorder });
      emit({ type: 'run.started', runId });
      emit({ type: 'status', status: 'running', final: false });
      let final: RunStatus = 'failed';
      let failure: Error | undefined;
      try {
        // Across processes the instance is held by a lease: taken before anything runs (guarantee 52).
        lease = await this.parts.takeLease({
          store,
          onLost: (error) => {
            abort.abort(error);
          },
        });
        // Answers given with resume() are checked all together before any is applied (guarantees 20, 21).
        if (options.responses !== undefined) await coordinator.respondAll(new Map(Object.entries(options.responses)));
        const outcome = await trace.within(() =>
          coordinator.execute({
            runId,
            start,
            maxSupersteps,
            signal: abort.signal,
            emit,
            checkpoint,
            onPendingRequests,
            // Not forced by a recorder: it draws handlers from the hosts' timings, not from progress events.
            eventsWanted: () => !events.discarding,
            status: setStatus,
            trace,
          }),
        );
        if (lease.lost !== undefined) {
          // Stopped because the lease ended: whatever the coordinator made of the abort, it failed.
          emit({ type: 'run.failed', error: lease.lost.toRecord() });
          failure = lease.lost;
          return { ok: false, error: lease.lost, status: 'failed' };
        }
        if (outcome.kind === 'idle') {
          final = outcome.pendingRequests.length > 0 ? 'idle-with-pending-requests' : 'idle';
          return {
            ok: true,
            result: {
              runId,
              status: final,
              outputs: outcome.outputs as Output[],
              supersteps: outcome.supersteps,
              pendingRequests: outcome.pendingRequests,
            },
          };
        }
        final = outcome.kind;
        failure = outcome.error;
        return { ok: false, error: outcome.error, status: outcome.kind };
      } catch (error) {
        const wrapped =
          error instanceof SuperstepError ? error : new SuperstepError('INTERNAL', String(error), { cause: error });
        emit({ type: 'run.failed', error: wrapped.toRecord() });
        failure = wrapped;
        return { ok: false, error: wrapped, status: 'failed' };
      } finally {
        await lease.release().catch(() => undefined);
        ended = true;
        external?.removeEventListener('abort', onExternalAbort);
        // Exactly one final status per run, on every exit path (guarantee 16).
        emit({ type: 'status', status: final, final: true });
        trace.ended(final, failure);
        // Observers elsewhere have the final status before this run's result settles.
        await published?.sink.flush().catch(() => undefined);
        events.close();
        if (this.active?.token === token) this.active = undefined;
        lifecycle.release(token);
      }
    })();
    this.active = { token, abort, done: outcome };
    const handle = new RunHandle<Output>({
      runId,
      events,
      outcome,
      status: () => status,
      cancel: (reason) => {
        abort.abort(reason);
      },
      respond,
    });
    iterating = () => handle.isIterating;
    return handle;
  }

  /** Cancels the active run, if any, and waits until it has ended. */
  async cancelActive(reason: string): Promise<void> {
    const active = this.active;
    if (active !== undefined) {
      active.abort.abort(reason);
      await active.done;
    }
  }

  /** A failed write is reported and leaves the lineage as it was (guarantee 27); the run goes on. */
  private async writeCheckpoint(
    store: CheckpointStore,
    { runId, lease }: { runId: string; lease: RunLease },
    cut: InstanceCut,
    trace: RunTrace,
  ): Promise<WorkflowEvent> {
    const { superstep } = cut;
    const start = trace === NO_TRACE ? 0 : epochNow();
    try {
      const meta = await this.parts.checkpointer.write(store, cut, { runId, fence: lease.fence });
      trace.checkpointWritten(superstep, start, { ok: true, checkpointId: meta.id, store: store.kind });
      return { type: 'checkpoint.saved', checkpointId: meta.id, superstep, store: store.kind };
    } catch (error) {
      const message = `checkpoint of superstep ${superstep} to the ${store.kind} store failed: ${String(error)}`;
      trace.checkpointWritten(superstep, start, { ok: false, store: store.kind, error: String(error) });
      // A refused fence is not a failed write to shrug off: another coordinator holds the instance.
      if (error instanceof SuperstepError && error.code === 'LEASE_LOST') lease.lose(error);
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
