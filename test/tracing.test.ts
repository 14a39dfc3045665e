/**
 * Runs, supersteps, handler calls, checkpoints and requests traced through the OpenTelemetry API
 * (docs/observability.md): the span tree, handler spans made from the hosts' timings and parented under
 * their superstep across threads, attributes, error status, and a replayed superstep's failed attempt.
 * A real SDK (in-memory exporter), real worker threads, public API only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TRACER_NAME,
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  createRunRecorder,
  executorModule,
  subWorkflow,
  type ActorPool,
} from '@superstep/runtime';
import { drain, ofType, thrownBy } from './helpers.ts';
import type { Job } from './fixtures/tracing.ts';

const fixtures = executorModule<typeof import('./fixtures/tracing.ts')>(
  new URL('./fixtures/tracing.ts', import.meta.url),
);
const retries = executorModule<typeof import('./fixtures/retries.ts')>(
  new URL('./fixtures/retries.ts', import.meta.url),
);
const sw = executorModule<typeof import('./fixtures/sub-workflows.ts')>(
  new URL('./fixtures/sub-workflows.ts', import.meta.url),
);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const scratch = mkdtempSync(join(tmpdir(), 'superstep-tracing-'));

let pool: ActorPool;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  pool = await createPool({ threads: 2 });
});
afterEach(() => {
  exporter.reset();
});
afterAll(async () => {
  await pool.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
  rmSync(scratch, { recursive: true, force: true });
});

function pipeline(options: { readonly store?: ReturnType<typeof createMemoryStore> } = {}) {
  return new WorkflowBuilder(fixtures.executor('split'))
    .addEdge('split', fixtures.executor('work'))
    .addEdge('work', fixtures.executor('total'))
    .build({ pool, ...options });
}

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const childrenOf = (parent: ReadableSpan, name: string): ReadableSpan[] =>
  named(name).filter((span) => parentOf(span) === idOf(parent));
const stepSpan = (superstep: number): ReadableSpan => {
  return only(named('superstep.step').filter((span) => span.attributes['superstep.superstep'] === superstep));
};
/** The one span of a list (fails the test otherwise). */
function only(list: readonly ReadableSpan[]): ReadableSpan {
  const [span] = list;
  if (list.length !== 1 || span === undefined) throw new Error(`expected one span, got ${list.length}`);
  return span;
}
/** Nanoseconds since the epoch, for ordering spans. */
const failed = (span: ReadableSpan): boolean => SpanStatusCode[span.status.code] === 'ERROR';
const nanos = ([seconds, ns]: readonly [number, number]): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(ns);

describe('tracing', () => {
  it('makes a run span under the caller, a span per superstep, and a handler span per invocation on its thread', async () => {
    await using workflow = await pipeline();
    const caller = trace.getTracer('test');
    const result = await caller.startActiveSpan('caller', async (span) => {
      try {
        return await workflow.run({ items: [1, 2, 3, 4] } satisfies Job).result();
      } finally {
        span.end();
      }
    });
    expect(result.outputs).toEqual([1, 5, 14, 30]);

    const run = only(named('superstep.run'));
    expect(parentOf(run)).toBe(idOf(only(named('caller'))));
    expect(run.instrumentationScope.name).toBe(TRACER_NAME);
    expect(run.attributes['superstep.run.id']).toBe(result.runId);
    expect(run.attributes['superstep.run.status']).toBe('idle');
    expect(run.status.code).not.toBe(SpanStatusCode.ERROR);

    // split, work (4 stateless calls), total: three supersteps, each under the run.
    expect(childrenOf(run, 'superstep.step').map((span) => span.attributes['superstep.superstep'])).toEqual([1, 2, 3]);
    expect([1, 2, 3].map((n) => stepSpan(n).attributes['superstep.messages'])).toEqual([1, 4, 4]);
    expect(stepSpan(2).attributes['superstep.attempts']).toBe(1);
    for (const n of [1, 2, 3]) {
      const { attributes, events } = stepSpan(n);
      expect(attributes['superstep.barrier_ms']).toBeGreaterThan(0);
      expect(attributes['superstep.commit_ms']).toBeGreaterThanOrEqual(0);
      expect(events.map((event) => event.name)).toEqual(['superstep.barrier']);
    }

    const handlers = named('superstep.handler');
    expect(handlers.map((span) => span.attributes['superstep.executor.id']).sort()).toEqual([
      'split',
      'total',
      'work',
      'work',
      'work',
      'work',
    ]);
    for (const handler of handlers) {
      const step = stepSpan(Number(handler.attributes['superstep.superstep']));
      // Recorded in a worker, turned into a span here, parented under its superstep.
      expect(parentOf(handler)).toBe(idOf(step));
      expect(handler.spanContext().traceId).toBe(run.spanContext().traceId);
      expect(handler.attributes['thread.id']).toBeGreaterThan(0);
      expect(handler.attributes['superstep.attempt']).toBe(1);
      expect(handler.attributes['superstep.handler.outcome']).toBe('ok');
      expect(nanos(handler.startTime)).toBeGreaterThanOrEqual(nanos(step.startTime));
      expect(nanos(handler.endTime)).toBeLessThanOrEqual(nanos(step.endTime));
    }
    // The actor drains its mailbox in one invocation; the stateless executor is invoked per message.
    const total = handlers.find((span) => span.attributes['superstep.executor.id'] === 'total');
    expect(total?.attributes['superstep.handler.messages']).toBe(4);
  });

  it('marks a failing handler, its superstep and the run as errors', async () => {
    await using workflow = await pipeline();
    const { error } = await drain(workflow.run({ items: [1, 2, 3], failOn: 2 } satisfies Job));
    expect((error as { code?: string }).code).toBe('EXECUTOR_FAILED');

    const errors = named('superstep.handler').filter(failed);
    expect(errors).toHaveLength(1);
    const [handler] = errors;
    expect(handler?.attributes['superstep.executor.id']).toBe('work');
    expect(handler?.attributes['superstep.handler.outcome']).toBe('failed');
    expect(handler?.attributes['error.type']).toBe('EXECUTOR_FAILED');
    expect(handler?.status.message).toContain('work refuses item 2');

    const step = stepSpan(2);
    expect(step.status.code).toBe(SpanStatusCode.ERROR);
    expect(step.attributes['superstep.outcome']).toBe('failed');
    const [run] = named('superstep.run');
    expect(run?.status.code).toBe(SpanStatusCode.ERROR);
    expect(run?.attributes['superstep.run.status']).toBe('failed');
    expect(run?.attributes['error.type']).toBe('EXECUTOR_FAILED');
  });

  it('shows a superstep replayed after a lost worker as one failed attempt and a committed superstep', async () => {
    await using workflow = await pipeline();
    const crashOnce = join(scratch, 'crash-once');
    const { events, result } = await drain(workflow.run({ items: [0, 1, 2, 3], crashOnce } satisfies Job));
    expect(result?.outputs).toEqual([0, 1, 5, 14]);
    expect(ofType(events, 'worker.restarted')).toHaveLength(1);

    const step = stepSpan(2);
    expect(step.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(step.attributes['superstep.attempts']).toBe(2);
    expect(step.attributes['superstep.outcome']).toBe('committed');

    const attempts = childrenOf(step, 'superstep.attempt');
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts as [ReadableSpan];
    expect(attempt.attributes['superstep.attempt']).toBe(1);
    expect(attempt.attributes['superstep.attempt.outcome']).toBe('replayed');
    expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
    // The lost host's calls sent no timings: one span under the attempt names what died with it.
    const [hostLost, ...more] = childrenOf(attempt, 'superstep.host.lost');
    expect(more).toEqual([]);
    expect(hostLost?.status.code).toBe(SpanStatusCode.ERROR);
    expect(hostLost?.attributes['error.type']).toBe('WORKER_LOST');
    expect(hostLost?.attributes['superstep.executor.ids']).toContain('work');
    expect(hostLost?.attributes['superstep.handler.messages']).toBeGreaterThan(0);
    expect(typeof hostLost?.attributes['superstep.host.index']).toBe('number');
    // What the surviving thread did in the lost attempt sits under that attempt, not under the superstep.
    for (const handler of childrenOf(attempt, 'superstep.handler')) {
      expect(handler.attributes['superstep.attempt']).toBe(1);
    }
    const committed = childrenOf(step, 'superstep.handler');
    expect(committed.map((span) => span.attributes['superstep.attempt'])).toEqual([2, 2, 2, 2]);
    expect(committed.filter(failed)).toEqual([]);
    expect(named('superstep.run')[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('traces checkpoint saves, a restore, and a request from its asking to its answer', async () => {
    const store = createMemoryStore();
    await using workflow = await pipeline({ store });
    const asked = await workflow.run({ items: [1, 2], ask: true } satisfies Job, { onPendingRequests: 'end' }).result();
    expect(asked.status).toBe('idle-with-pending-requests');
    const firstRun = only(named('superstep.run'));
    const saves = childrenOf(firstRun, 'superstep.checkpoint.save');
    expect(saves.map((span) => span.attributes['superstep.superstep'])).toEqual([0, 1, 2, 3]);
    expect(saves.every((span) => span.attributes['superstep.checkpoint.store'] === 'memory')).toBe(true);
    // Still waiting: its span is not finished yet.
    expect(named('superstep.request')).toEqual([]);

    const resumed = await workflow.resume({ responses: { 'approve-sum': { ok: true } } }).result();
    expect(resumed.outputs).toEqual([5]);
    const request = only(named('superstep.request'));
    expect(parentOf(request)).toBe(idOf(firstRun));
    expect(request.attributes['superstep.request.id']).toBe('approve-sum');
    expect(request.attributes['superstep.executor.id']).toBe('total');
    expect(request.attributes['superstep.request.outcome']).toBe('answered');

    const [latest] = await store.list({});
    await workflow.restore(latest?.id ?? '');
    const [restore] = named('superstep.checkpoint.restore');
    expect(restore?.attributes['superstep.checkpoint.id']).toBe(latest?.id);
    expect(restore?.attributes['superstep.superstep']).toBe(latest?.superstep);
  });

  it("nests a sub-workflow's runs under the run of its parent", async () => {
    const inner = new WorkflowBuilder(sw.executor('stamp', { id: 'inner-stamp' })).addEdge(
      'inner-stamp',
      sw.executor('emitOut', { id: 'inner-out' }),
    );
    await using workflow = await new WorkflowBuilder(sw.executor('stamp', { id: 'start' }))
      .addEdge('start', subWorkflow('inner', inner))
      .addEdge('inner', sw.executor('emitOut', { id: 'out' }))
      .build({ pool });
    const { outputs } = await workflow.run({ item: 'a' }).result();
    expect(outputs).toEqual([{ item: 'a', trail: ['start', 'inner-stamp'] }]);

    const runs = named('superstep.run');
    expect(runs).toHaveLength(2);
    const outer = only(runs.filter((run) => parentOf(run) === undefined));
    const child = only(runs.filter((run) => run !== outer));
    expect(parentOf(child)).toBe(idOf(outer));
    expect(child.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(named('superstep.handler').map((span) => span.attributes['superstep.executor.id'])).toContain('inner-stamp');
  });

  it('counts the calls a retry policy retried on the handler span, which succeeds', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('flaky')).build({ pool });
    const { outputs } = await workflow.run({ id: 'traced', failures: 2, code: 'E_FLAKY' }).result();
    expect(outputs).toHaveLength(1);
    const handler = only(named('superstep.handler'));
    expect(handler.attributes['superstep.executor.id']).toBe('flaky');
    expect(handler.attributes['superstep.handler.retries']).toBe(2);
    expect(handler.attributes['superstep.handler.outcome']).toBe('ok');
    expect(failed(handler)).toBe(false);
  });

  it('refuses a recorder that createRunRecorder did not make', async () => {
    await using workflow = await pipeline();
    const fake = { ...createRunRecorder() };
    expect(thrownBy(() => workflow.run({ items: [1] } satisfies Job, { recorder: fake })).code).toBe('INVALID_OPTION');
  });
});
