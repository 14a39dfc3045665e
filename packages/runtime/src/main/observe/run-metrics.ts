/**
 * A run's metrics through the OpenTelemetry API: counters and histograms of supersteps, messages, handler
 * time, checkpoints and waiting requests (names, units and attributes are listed in docs/observability.md).
 * The user registers a `MeterProvider`; with none registered, {@link runMetrics} returns `undefined` and a
 * run records nothing. Attributes are kept to values with few distinct members (executor ids, outcomes,
 * store kinds), never run or instance ids, so a metrics backend is not flooded with series.
 */
import { createNoopMeter, metrics, type Counter, type Histogram, type UpDownCounter } from '@opentelemetry/api';

/** The instruments one meter provider gives a run. */
export interface RunMetrics {
  /** Runs that ended, by `superstep.run.status`. */
  readonly runs: Counter;
  /** Supersteps that ended, by `superstep.outcome` (committed, failed, cancelled). */
  readonly supersteps: Counter;
  /** Attempts rolled back (replayed, failed or cancelled), by `superstep.attempt.outcome`. */
  readonly rolledBack: Counter;
  /** Messages delivered to executors. */
  readonly messages: Counter;
  /** Messages waiting in the queue when a superstep is dispatched: how much one superstep has to do. */
  readonly queueDepth: Histogram;
  /** Dispatch to the end of the commit, in seconds. */
  readonly stepDuration: Histogram;
  /** One handler invocation (all its messages, retries included), in seconds, by executor and outcome. */
  readonly handlerDuration: Histogram;
  /** One checkpoint write, in seconds, by store kind and outcome. */
  readonly checkpointDuration: Histogram;
  /** Requests asked and not answered yet. */
  readonly pendingRequests: UpDownCounter;
}

/** The instrumentation scope of the runtime's tracer and meter: what users filter on. */
export const INSTRUMENTATION_SCOPE = '@superstep/runtime';

const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop').constructor;
const cache = new WeakMap<object, RunMetrics | null>();

/**
 * The instruments of the registered meter provider, or `undefined` when none is registered (the API's
 * no-op meter): the caller then skips every measurement.
 */
export function runMetrics(): RunMetrics | undefined {
  const provider = metrics.getMeterProvider();
  let found = cache.get(provider);
  if (found === undefined) {
    found = createInstruments();
    cache.set(provider, found);
  }
  return found ?? undefined;
}

function createInstruments(): RunMetrics | null {
  const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { unit: 's', description });
  const stepDuration = seconds('superstep.step.duration', 'A superstep from dispatch to the end of its commit.');
  if (stepDuration instanceof NOOP_HISTOGRAM) return null;
  return {
    runs: meter.createCounter('superstep.runs', { unit: '{run}', description: 'Runs that ended.' }),
    supersteps: meter.createCounter('superstep.supersteps', {
      unit: '{superstep}',
      description: 'Supersteps that ended.',
    }),
    rolledBack: meter.createCounter('superstep.attempts.rolled_back', {
      unit: '{attempt}',
      description: 'Superstep attempts rolled back: replayed, failed or cancelled.',
    }),
    messages: meter.createCounter('superstep.messages', {
      unit: '{message}',
      description: 'Messages delivered to executors.',
    }),
    queueDepth: meter.createHistogram('superstep.queue.depth', {
      unit: '{message}',
      description: 'Messages in the queue when a superstep is dispatched.',
    }),
    stepDuration,
    handlerDuration: seconds('superstep.handler.duration', 'One handler invocation, retries included.'),
    checkpointDuration: seconds('superstep.checkpoint.duration', 'One checkpoint write.'),
    pendingRequests: meter.createUpDownCounter('superstep.requests.pending', {
      unit: '{request}',
      description: 'Requests asked and not answered yet.',
    }),
  };
}
