/**
 * What the coordinator tells about a run as it goes — supersteps, their attempts, handler timings from
 * the hosts, checkpoint writes, requests — turned into OpenTelemetry spans and handed to a run recorder.
 * This is the one module that imports `@opentelemetry/api` (span names and attributes are documented in
 * docs/observability.md). With no provider registered the run's span does not record: nothing else is
 * built, and hosts are told not to time handlers (`StepBatch.timed`), unless a recorder is attached.
 */
import {
  SpanStatusCode,
  context as otelContext,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { ErrorRecord } from '../../shared/errors.ts';
import type { StepReply } from '../../shared/protocol.ts';
import type { RecorderSink } from './run-recorder.ts';
import { INSTRUMENTATION_SCOPE, runMetrics, type RunMetrics } from './run-metrics.ts';

/** The tracer's name: the instrumentation scope users filter on. */
export const TRACER_NAME = INSTRUMENTATION_SCOPE;

/** Epoch milliseconds with fractions, comparable with the hosts' handler timings. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** How a superstep attempt ended. */
export type AttemptOutcome = 'committed' | 'failed' | 'replayed' | 'cancelled';

/** The coordinator's side: a run's tracing and recording, or nothing at all ({@link NO_TRACE}). */
export interface RunTrace {
  /** Whether hosts should time handler invocations for this run. */
  readonly timed: boolean;
  /** A superstep begins with `messages` delivered. */
  stepStarted(superstep: number, messages: number): void;
  /** One attempt of the current superstep reached its barrier (or failed): its replies' timings. */
  attemptEnded(ended: AttemptTrace): void;
  /** The current superstep is over (`committed`) or the run ends in it. */
  stepEnded(superstep: number, outcome: Exclude<AttemptOutcome, 'replayed'>, error?: ErrorRecord): void;
  /** A checkpoint write of barrier `superstep`, timed by the caller. */
  checkpointWritten(superstep: number, start: number, result: CheckpointResult): void;
  /** A request was made at the barrier of `superstep`; returns what ends its span. */
  requestOpened(requestId: string, executorId: string, superstep: number): RequestTrace | undefined;
  /** The run ended with `status`. */
  ended(status: string, error?: Error): void;
  /**
   * Runs `work` with the run's span active, so what it starts — a sub-workflow's run, spans of the user's
   * own code called from the run — nests under the run.
   */
  within<T>(work: () => T): T;
}

/** One attempt at its barrier, as the trace records it. */
export interface AttemptTrace {
  readonly superstep: number;
  readonly attempt: number;
  /** The replies of the hosts that answered, with their handler timings. */
  readonly replies: readonly StepReply[];
  readonly outcome: AttemptOutcome;
  /** Hosts lost during the attempt (died, or killed for a handler past its timeout): their calls sent no timings. */
  readonly lost: readonly LostHostCalls[];
}

/** What a lost host had been given in an attempt: the calls that died with it. */
export interface LostHostCalls {
  readonly hostIndex: number;
  /** `WORKER_LOST` (the host died or stopped answering) or `EXECUTOR_TIMEOUT` (killed for a hung handler). */
  readonly code: 'WORKER_LOST' | 'EXECUTOR_TIMEOUT';
  readonly reason: string;
  /** The executors of the batch the host held (its stateful actors), and how many messages it had for them. */
  readonly executorIds: readonly string[];
  readonly messages: number;
}

export type CheckpointResult =
  | { readonly ok: true; readonly checkpointId: string; readonly store: string }
  | { readonly ok: false; readonly store: string; readonly error: string };

/** The end of one request's wait: answered, or dropped by a restore or reset. */
export interface RequestTrace {
  end(outcome: 'answered' | 'dropped'): void;
}

/** A run nobody watches: every call is a no-op and hosts time nothing. */
export const NO_TRACE: RunTrace = {
  timed: false,
  stepStarted: () => undefined,
  attemptEnded: () => undefined,
  stepEnded: () => undefined,
  checkpointWritten: () => undefined,
  requestOpened: () => undefined,
  ended: () => undefined,
  within: (work) => work(),
};

export interface RunTraceOptions {
  readonly runId: string;
  readonly instance: string;
  /** The caller's context when the run was started: its active span becomes the run's parent. */
  readonly parent: Context;
  readonly recorder: RecorderSink | undefined;
}

/**
 * Starts a run's trace. Returns {@link NO_TRACE} when no provider records the run's span, no meter provider
 * is registered and no recorder is attached, so an unobserved run does no tracing work past this call.
 */
export function startRunTrace(options: RunTraceOptions): RunTrace {
  const tracer = trace.getTracer(TRACER_NAME);
  const start = epochNow();
  const span = tracer.startSpan(
    'superstep.run',
    { startTime: start, attributes: { 'superstep.run.id': options.runId, 'superstep.instance': options.instance } },
    options.parent,
  );
  const meters = runMetrics();
  if (!span.isRecording() && options.recorder === undefined && meters === undefined) return NO_TRACE;
  return new ObservedRun({ span: span.isRecording() ? span : undefined, meters, start }, options);
}

/** The context to start a run's span under: the caller's active one. */
export function callerContext(): Context {
  return otelContext.active();
}

/** Wraps a checkpoint restore in a `superstep.checkpoint.restore` span (if a provider records it). */
export async function traceRestore<T extends { readonly superstep: number }>(
  checkpointId: string,
  restore: () => Promise<T>,
): Promise<T> {
  const span = trace.getTracer(TRACER_NAME).startSpan('superstep.checkpoint.restore', {
    attributes: { 'superstep.checkpoint.id': checkpointId },
  });
  if (!span.isRecording()) return await restore();
  try {
    const restored = await restore();
    span.setAttribute('superstep.superstep', restored.superstep);
    return restored;
  } catch (error) {
    failSpan(span, errorType(error), String(error));
    throw error;
  } finally {
    span.end();
  }
}

class ObservedRun implements RunTrace {
  readonly timed = true;
  private readonly runContext: Context | undefined;
  private step:
    { span: Span | undefined; superstep: number; start: number; attempts: number; barrierAt: number } | undefined;
  private readonly attemptStart = new Map<number, number>();
  private readonly span: Span | undefined;
  private readonly meters: RunMetrics | undefined;

  constructor(
    observers: { readonly span: Span | undefined; readonly meters: RunMetrics | undefined; readonly start: number },
    private readonly options: RunTraceOptions,
  ) {
    this.span = observers.span;
    this.meters = observers.meters;
    this.runContext = this.span === undefined ? undefined : trace.setSpan(options.parent, this.span);
    options.recorder?.runStarted(options.runId, observers.start);
  }

  private startSpan(name: string, start: number, attributes: Attributes): Span | undefined {
    return this.startSpanUnder(this.runContext, name, { start, attributes });
  }

  /** A span under `parent` (none if the run is not traced). */
  private startSpanUnder(
    parent: Context | undefined,
    name: string,
    { start, attributes }: { readonly start: number; readonly attributes: Attributes },
  ): Span | undefined {
    if (parent === undefined) return undefined;
    return trace.getTracer(TRACER_NAME).startSpan(name, { startTime: start, attributes }, parent);
  }

  stepStarted(superstep: number, messages: number): void {
    const start = epochNow();
    const span = this.startSpan('superstep.step', start, {
      'superstep.superstep': superstep,
      'superstep.messages': messages,
    });
    this.step = { span, superstep, start, attempts: 0, barrierAt: start };
    this.attemptStart.set(1, start);
    this.meters?.messages.add(messages);
    this.meters?.queueDepth.record(messages);
  }

  attemptEnded({ superstep, attempt, replies, outcome, lost }: AttemptTrace): void {
    const step = this.step;
    if (step === undefined) return;
    const end = epochNow();
    const start = this.attemptStart.get(attempt) ?? step.start;
    this.attemptStart.set(attempt + 1, end);
    step.attempts = attempt;
    step.barrierAt = end;
    // A rolled-back attempt gets its own failed span; its handlers sit under it, not under the step.
    const rolledBack = outcome !== 'committed';
    let parent = step.span === undefined ? undefined : trace.setSpan(this.options.parent, step.span);
    let attemptSpan: Span | undefined;
    if (rolledBack && parent !== undefined) {
      attemptSpan = this.startSpanUnder(parent, 'superstep.attempt', {
        start,
        attributes: {
          'superstep.superstep': superstep,
          'superstep.attempt': attempt,
          'superstep.attempt.outcome': outcome,
        },
      });
      if (attemptSpan !== undefined) parent = trace.setSpan(this.options.parent, attemptSpan);
    }
    for (const reply of replies) {
      for (const [executorId, from, to, messages, retries, failed] of reply.timings) {
        this.options.recorder?.handler({
          executorId,
          superstep,
          attempt,
          threadId: reply.threadId,
          start: from,
          end: to,
          messages,
          retries,
          failed,
          rolledBack,
        });
        this.meters?.handlerDuration.record((to - from) / 1000, {
          'superstep.executor.id': executorId,
          'superstep.handler.outcome': failed ? 'failed' : 'ok',
        });
        if (parent === undefined) continue;
        const handler = this.startSpanUnder(parent, 'superstep.handler', {
          start: from,
          attributes: {
            'superstep.executor.id': executorId,
            'superstep.superstep': superstep,
            'superstep.attempt': attempt,
            'superstep.handler.messages': messages,
            'superstep.handler.retries': retries,
            'superstep.handler.outcome': failed ? 'failed' : 'ok',
            'thread.id': reply.threadId,
          },
        });
        if (handler === undefined) continue;
        if (failed) {
          const error = reply.failure?.executorId === executorId ? reply.failure.error : undefined;
          failSpan(handler, error?.code ?? 'EXECUTOR_FAILED', error?.message ?? 'handler failed');
        }
        handler.end(to);
      }
    }
    if (parent !== undefined) this.lostHosts(lost, { superstep, attempt, start, end, parent });
    this.options.recorder?.attempt({ superstep, attempt, start, end, outcome });
    if (rolledBack) this.meters?.rolledBack.add(1, { 'superstep.attempt.outcome': outcome });
    if (attemptSpan !== undefined) {
      failSpan(attemptSpan, outcome, `superstep ${superstep} attempt ${attempt} rolled back (${outcome})`);
      attemptSpan.end(end);
    }
    step.span?.addEvent('superstep.barrier', { 'superstep.attempt': attempt }, end);
  }

  /**
   * A `superstep.host.lost` span per host lost in the attempt, from dispatch to the barrier: its own calls
   * sent no timings (they died with it), so this is what the trace can say of them.
   */
  private lostHosts(
    lost: readonly LostHostCalls[],
    at: { superstep: number; attempt: number; start: number; end: number; parent: Context },
  ): void {
    for (const host of lost) {
      const span = this.startSpanUnder(at.parent, 'superstep.host.lost', {
        start: at.start,
        attributes: {
          'superstep.superstep': at.superstep,
          'superstep.attempt': at.attempt,
          'superstep.host.index': host.hostIndex,
          'superstep.executor.ids': [...host.executorIds],
          'superstep.handler.messages': host.messages,
        },
      });
      if (span === undefined) continue;
      failSpan(span, host.code, host.reason);
      span.end(at.end);
    }
  }

  stepEnded(superstep: number, outcome: Exclude<AttemptOutcome, 'replayed'>, error?: ErrorRecord): void {
    const step = this.step;
    if (step?.superstep !== superstep) return;
    this.step = undefined;
    this.attemptStart.clear();
    const end = epochNow();
    this.options.recorder?.step({ superstep, start: step.start, end, outcome, attempts: step.attempts });
    this.meters?.supersteps.add(1, { 'superstep.outcome': outcome });
    this.meters?.stepDuration.record((end - step.start) / 1000, { 'superstep.outcome': outcome });
    const span = step.span;
    if (span === undefined) return;
    span.setAttributes({
      'superstep.attempts': step.attempts,
      'superstep.outcome': outcome,
      // Dispatch to the last barrier (every attempt included), then the barrier to the end of the commit.
      'superstep.barrier_ms': step.barrierAt - step.start,
      'superstep.commit_ms': end - step.barrierAt,
    });
    if (outcome === 'failed') failSpan(span, error?.code ?? 'INTERNAL', error?.message ?? 'superstep failed');
    span.end(end);
  }

  checkpointWritten(superstep: number, start: number, result: CheckpointResult): void {
    const end = epochNow();
    this.options.recorder?.checkpoint({ superstep, start, end, ...result });
    this.meters?.checkpointDuration.record((end - start) / 1000, {
      'superstep.checkpoint.store': result.store,
      'superstep.checkpoint.outcome': result.ok ? 'saved' : 'failed',
    });
    const span = this.startSpan('superstep.checkpoint.save', start, {
      'superstep.superstep': superstep,
      'superstep.checkpoint.store': result.store,
    });
    if (span === undefined) return;
    if (result.ok) span.setAttribute('superstep.checkpoint.id', result.checkpointId);
    else failSpan(span, 'CHECKPOINT_FAILED', result.error);
    span.end(end);
  }

  requestOpened(requestId: string, executorId: string, superstep: number): RequestTrace | undefined {
    const start = epochNow();
    const span = this.startSpan('superstep.request', start, {
      'superstep.request.id': requestId,
      'superstep.executor.id': executorId,
      'superstep.superstep': superstep,
    });
    const recorder = this.options.recorder;
    recorder?.requestOpened({ requestId, executorId, superstep, start });
    const meters = this.meters;
    meters?.pendingRequests.add(1);
    let open = true;
    return {
      end: (outcome) => {
        if (!open) return;
        open = false;
        const end = epochNow();
        meters?.pendingRequests.add(-1);
        recorder?.requestClosed(requestId, end, outcome);
        span?.setAttribute('superstep.request.outcome', outcome);
        span?.end(end);
      },
    };
  }

  within<T>(work: () => T): T {
    return this.runContext === undefined ? work() : otelContext.with(this.runContext, work);
  }

  ended(status: string, error?: Error): void {
    const end = epochNow();
    this.options.recorder?.runEnded(this.options.runId, end, status);
    this.meters?.runs.add(1, { 'superstep.run.status': status });
    if (this.span === undefined) return;
    this.span.setAttribute('superstep.run.status', status);
    if (status === 'failed') failSpan(this.span, errorType(error), error?.message ?? 'run failed');
    this.span.end(end);
  }
}

/** Marks a span failed the semantic-conventions way: `error.type` and an ERROR status with a message. */
function failSpan(span: Span, type: string, message: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error';
}
