/**
 * Run metrics through the OpenTelemetry API (docs/observability.md, "Metrics"): counters and histograms of
 * runs, supersteps, messages, handler time, rolled-back attempts, checkpoint writes and waiting requests,
 * read with the SDK's own reader from real runs on real worker threads. Each figure is checked against what
 * the run's events say happened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TRACER_NAME,
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  type ActorPool,
} from '@superstep/runtime';
import { drain, ofType } from './helpers.ts';
import type { Job } from './fixtures/tracing.ts';

const fixtures = executorModule<typeof import('./fixtures/tracing.ts')>(
  new URL('./fixtures/tracing.ts', import.meta.url),
);
// Delta temporality: each collection holds what happened since the previous one, so each test reads its own run.
const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });
const scratch = mkdtempSync(join(tmpdir(), 'superstep-metrics-'));

let pool: ActorPool;
beforeAll(async () => {
  metrics.setGlobalMeterProvider(provider);
  pool = await createPool({ threads: 2 });
});
beforeEach(async () => {
  await collect(); // drop what earlier tests left
});
afterAll(async () => {
  await pool.close();
  await provider.shutdown();
  metrics.disable();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every data point recorded since the last call, by instrument name. */
async function collect(): Promise<Map<string, DataPoint<number | Histogram>[]>> {
  await reader.forceFlush();
  const byName = new Map<string, DataPoint<number | Histogram>[]>();
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      if (scope.scope.name !== TRACER_NAME) continue;
      for (const metric of scope.metrics) {
        const points = byName.get(metric.descriptor.name) ?? [];
        points.push(...(metric.dataPoints as DataPoint<number | Histogram>[]));
        byName.set(metric.descriptor.name, points);
      }
    }
  }
  exporter.reset();
  return byName;
}

/** The sum of a counter's points whose attributes include `where`. */
function total(points: Map<string, DataPoint<number | Histogram>[]>, name: string, where = {}): number {
  return matching(points, name, where).reduce((sum, point) => sum + (point.value as number), 0);
}

/** How many values a histogram recorded at points whose attributes include `where`. */
function count(points: Map<string, DataPoint<number | Histogram>[]>, name: string, where = {}): number {
  return matching(points, name, where).reduce((sum, point) => sum + (point.value as Histogram).count, 0);
}

function matching(
  points: Map<string, DataPoint<number | Histogram>[]>,
  name: string,
  where: Record<string, string>,
): DataPoint<number | Histogram>[] {
  return (points.get(name) ?? []).filter((point) =>
    Object.entries(where).every(([key, value]) => point.attributes[key] === value),
  );
}

function pipeline(options: { readonly store?: ReturnType<typeof createMemoryStore> } = {}) {
  return new WorkflowBuilder(fixtures.executor('split'))
    .addEdge('split', fixtures.executor('work'))
    .addEdge('work', fixtures.executor('total'))
    .build({ pool, ...options });
}

describe('run metrics', () => {
  it('count a run, its supersteps, messages, handler calls and checkpoint writes as its events report them', async () => {
    const store = createMemoryStore();
    await using workflow = await pipeline({ store });
    const { events, result } = await drain(workflow.run({ items: [1, 2, 3] } satisfies Job));
    expect(result?.outputs.at(-1)).toBe(14);
    const points = await collect();

    const started = ofType(events, 'superstep.started');
    const completed = ofType(events, 'superstep.completed');
    expect(total(points, 'superstep.runs', { 'superstep.run.status': result?.status ?? '' })).toBe(1);
    expect(total(points, 'superstep.runs')).toBe(1);
    expect(total(points, 'superstep.supersteps', { 'superstep.outcome': 'committed' })).toBe(completed.length);
    // split gets the input, work three items, total three squares.
    expect(total(points, 'superstep.messages')).toBe(7);
    expect(count(points, 'superstep.queue.depth')).toBe(started.length);
    expect(count(points, 'superstep.step.duration')).toBe(completed.length);
    expect(count(points, 'superstep.checkpoint.duration', { 'superstep.checkpoint.outcome': 'saved' })).toBe(
      ofType(events, 'checkpoint.saved').length,
    );
    for (const executorId of ['split', 'work', 'total']) {
      expect(count(points, 'superstep.handler.duration', { 'superstep.executor.id': executorId })).toBeGreaterThan(0);
    }
    expect(count(points, 'superstep.handler.duration', { 'superstep.handler.outcome': 'failed' })).toBe(0);
    expect(total(points, 'superstep.attempts.rolled_back')).toBe(0);
  });

  it('count a failed handler, the failed superstep and the failed run', async () => {
    await using workflow = await pipeline();
    const { error } = await drain(workflow.run({ items: [1, 2, 3], failOn: 2 } satisfies Job));
    expect(error).toMatchObject({ code: 'EXECUTOR_FAILED' });
    const points = await collect();
    expect(total(points, 'superstep.runs', { 'superstep.run.status': 'failed' })).toBe(1);
    expect(total(points, 'superstep.supersteps', { 'superstep.outcome': 'failed' })).toBe(1);
    expect(total(points, 'superstep.attempts.rolled_back', { 'superstep.attempt.outcome': 'failed' })).toBe(1);
    expect(
      count(points, 'superstep.handler.duration', {
        'superstep.executor.id': 'work',
        'superstep.handler.outcome': 'failed',
      }),
    ).toBeGreaterThan(0);
  });

  it('count the attempt a lost worker rolled back, and the replay that committed', async () => {
    await using workflow = await pipeline();
    const crashOnce = join(scratch, 'crash-once');
    const { events, result } = await drain(workflow.run({ items: [0, 1, 2, 3], crashOnce } satisfies Job));
    expect(result?.outputs).toEqual([0, 1, 5, 14]);
    expect(ofType(events, 'worker.restarted')).toHaveLength(1);
    const points = await collect();
    expect(total(points, 'superstep.attempts.rolled_back', { 'superstep.attempt.outcome': 'replayed' })).toBe(1);
    expect(total(points, 'superstep.attempts.rolled_back')).toBe(1);
    expect(total(points, 'superstep.supersteps', { 'superstep.outcome': 'failed' })).toBe(0);
  });

  it('hold a request as pending from its asking until its answer', async () => {
    await using workflow = await pipeline();
    const asked = await workflow.run({ items: [1, 2], ask: true } satisfies Job, { onPendingRequests: 'end' }).result();
    expect(asked.status).toBe('idle-with-pending-requests');
    expect(total(await collect(), 'superstep.requests.pending')).toBe(1);

    const resumed = await workflow.resume({ responses: { 'approve-sum': { ok: true } } }).result();
    expect(resumed.outputs).toEqual([5]);
    expect(total(await collect(), 'superstep.requests.pending')).toBe(-1);
  });
});
