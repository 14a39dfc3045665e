/**
 * Guarantees 17–21 (docs/guarantees.md#requests): human in the loop — requests become pending at their barrier and are streamed at once,
 * answers reach `onResponse` in the next superstep, the three ways of consuming a run, typed refusals that
 * change nothing, and pending requests in checkpoints. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  type ActorPool,
  type CheckpointStore,
  type RunStatus,
  type WorkflowEvent,
  type WorkflowOptions,
} from '@superstep/runtime';
import { createGate, drain, indexOf, ofType, rejectionOf, statuses, thrownBy } from './helpers.ts';
import type { Answered } from './fixtures/requests.ts';

const req = executorModule<typeof import('./fixtures/requests.ts')>(new URL('./fixtures/requests.ts', import.meta.url));
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** `ask` alone: it asks in superstep 1. */
function soloAsker(options: WorkflowOptions = {}) {
  return new WorkflowBuilder(req.executor('asker', { id: 'ask' })).build({ pool, ...options });
}

/** kick fans out to two askers, `ask-a` and `ask-b`: both ask in superstep 2. */
function twoAskers(options: WorkflowOptions = {}) {
  return new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
    .addFanOut('kick', [req.executor('asker', { id: 'ask-a' }), req.executor('asker', { id: 'ask-b' })])
    .build({ pool, ...options });
}

/** The final status events of a run (guarantee 16: exactly one). */
function finals(events: readonly WorkflowEvent[]) {
  return ofType(events, 'status').filter((event) => event.final);
}

/** The `Answered` outputs of a run, sorted by asker id. */
function answers(outputs: readonly unknown[] | undefined): Answered[] {
  return ((outputs ?? []) as Answered[])
    .filter((o) => 'approved' in o)
    .sort((a, b) => a.executorId.localeCompare(b.executorId));
}

describe('guarantee 17: requests', () => {
  it('guarantee 17: a request becomes pending at its barrier, is streamed at once as a `request` event, and other actors go on', async () => {
    // kick → { ask, tick }; tick → tick. ask asks in superstep 2; tick keeps ticking through superstep 5.
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [req.executor('asker', { id: 'ask' }), req.executor('ticker', { id: 'tick' })])
      .addEdge('tick', 'tick')
      .build({ pool });
    const run = wf.run({ item: 'invoice-7', ticks: 3 }, { onPendingRequests: 'end' });
    const { events, result } = await drain(run);

    const requests = ofType(events, 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ executorId: 'ask', superstep: 2, data: { item: 'invoice-7', asker: 'ask' } });
    expect(typeof requests[0]?.requestId).toBe('string');
    // Streamed at the barrier of superstep 2, not when the run ends.
    const requestAt = indexOf(events, (e) => e.type === 'request');
    expect(requestAt).toBeLessThan(indexOf(events, (e) => e.type === 'superstep.completed' && e.superstep === 2));
    expect(requestAt).toBeGreaterThan(indexOf(events, (e) => e.type === 'superstep.started' && e.superstep === 2));
    // The other actor did not wait for the answer.
    expect(result?.outputs).toEqual([
      { tick: 3, superstep: 2 },
      { tick: 2, superstep: 3 },
      { tick: 1, superstep: 4 },
      { tick: 0, superstep: 5 },
    ]);
    expect(statuses(events)).toEqual(['running', 'running-with-pending-requests', 'idle-with-pending-requests']);
    expect(finals(events)).toEqual([{ type: 'status', status: 'idle-with-pending-requests', final: true }]);
    expect(result?.status).toBe('idle-with-pending-requests');
    expect(result?.supersteps).toBe(5);
    expect(result?.pendingRequests).toEqual([
      { requestId: requests[0]?.requestId, executorId: 'ask', superstep: 2, data: { item: 'invoice-7', asker: 'ask' } },
    ]);
  });

  it("guarantee 17: by default (onPendingRequests 'wait') a run with only pending requests left waits, holding the instance, with status waiting-for-answers (final: false)", async () => {
    await using wf = await soloAsker();
    const run = wf.run({ item: 'po-1' });
    const events: WorkflowEvent[] = [];
    let instanceWhileWaiting: string | undefined;
    let busy: ReturnType<typeof thrownBy> | undefined;
    for await (const event of run) {
      events.push(event);
      if (event.type === 'status' && event.status === 'waiting-for-answers') {
        instanceWhileWaiting = wf.status;
        busy = thrownBy(() => wf.run({ item: 'other' }));
        await run.respond(ofType(events, 'request')[0]?.requestId ?? '', { approved: true });
      }
    }
    expect(instanceWhileWaiting).toBe('running');
    expect(busy?.code).toBe('WORKFLOW_BUSY');
    expect(ofType(events, 'status')).toEqual([
      { type: 'status', status: 'running', final: false },
      { type: 'status', status: 'waiting-for-answers', final: false },
      { type: 'status', status: 'running', final: false },
      { type: 'status', status: 'idle', final: true },
    ]);
    expect((await run.result()).status).toBe('idle');
    expect(wf.status).toBe('idle');
  });
});

describe('guarantee 18: respond on the live run handle', () => {
  it('guarantee 18: respond() while the run is still running delivers the answer, with the original request, to onResponse in the next superstep', async () => {
    // kick → { ask, relay }; relay → hold. ask asks in superstep 2; hold sits at the gate all of superstep 3.
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [req.executor('asker', { id: 'ask' }), basic.executor('forward', { id: 'relay' })])
      .addEdge('relay', req.executor('holder', { id: 'hold' }))
      .build({ pool });
    const run = wf.run({ item: 'invoice-9', port: gate.port });
    const events: WorkflowEvent[] = [];
    let statusWhenAnswered: RunStatus | undefined;
    for await (const event of run) {
      events.push(event);
      if (event.type === 'superstep.started' && event.superstep === 3) {
        // Superstep 3 cannot end before the gate opens: the run is certainly still running.
        statusWhenAnswered = run.status;
        await run.respond(ofType(events, 'request')[0]?.requestId ?? '', { approved: true });
        gate.open();
      }
    }
    const result = await run.result();
    expect(statusWhenAnswered).toBe('running-with-pending-requests');
    expect(result.outputs).toContainEqual({ held: 'go', superstep: 3 });
    expect(answers(result.outputs)).toEqual([
      {
        executorId: 'ask',
        requestId: ofType(events, 'request')[0]?.requestId,
        request: { item: 'invoice-9', asker: 'ask' },
        approved: true,
        superstep: 4,
        asked: 1,
      },
    ]);
    // No re-execution: ask handled its message once (superstep 2) and the answer once (superstep 4).
    expect(
      ofType(events, 'executor.invoked')
        .filter((e) => e.executorId === 'ask')
        .map((e) => e.superstep),
    ).toEqual([2, 4]);
    expect(statuses(events)).toEqual(['running', 'running-with-pending-requests', 'running', 'idle']);
    expect(finals(events)).toHaveLength(1);
  });

  it('guarantee 18: respond() after the run went idle wakes it; the answer reaches onResponse in the next superstep', async () => {
    await using wf = await soloAsker();
    const run = wf.run({ item: 'po-2' });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'status' && event.status === 'waiting-for-answers') {
        await run.respond(ofType(events, 'request')[0]?.requestId ?? '', { approved: false });
      }
    }
    const result = await run.result();
    expect(ofType(events, 'request')).toMatchObject([{ superstep: 1, executorId: 'ask' }]);
    expect(answers(result.outputs)).toMatchObject([
      { approved: false, superstep: 2, asked: 1, request: { item: 'po-2' } },
    ]);
    expect(result.supersteps).toBe(2);
    expect(result.pendingRequests).toEqual([]);
  });
});

describe('guarantee 19: ways to consume a run', () => {
  it('guarantee 19: an onRequest callback that returns the answer: just await result(), no iteration', async () => {
    await using wf = await twoAskers();
    const result = await wf
      .run(
        { item: 'lamp' },
        { onRequest: (request) => ({ approved: (request.data as { asker: string }).asker === 'ask-a' }) },
      )
      .result();
    expect(result.status).toBe('idle');
    expect(answers(result.outputs).map((a) => [a.executorId, a.approved, a.asked])).toEqual([
      ['ask-a', true, 1],
      ['ask-b', false, 1],
    ]);
    // Each answer is validated on its own, so the two may reach their askers in different supersteps.
    expect(answers(result.outputs).every((a) => a.superstep > 2)).toBe(true);
  });

  it('guarantee 19: an onRequest callback that resolves to the answer (async)', async () => {
    await using wf = await soloAsker();
    const result = await wf
      .run(
        { item: 'desk' },
        {
          onRequest: async (request) => {
            await new Promise<void>((resolve) => setImmediate(resolve));
            return { approved: (request.data as { item: string }).item === 'desk' };
          },
        },
      )
      .result();
    expect(answers(result.outputs)).toMatchObject([{ approved: true, superstep: 2 }]);
  });

  it("guarantee 19: just await result() with onPendingRequests 'end', then answer with resume({ responses })", async () => {
    await using wf = await twoAskers();
    const first = await wf.run({ item: 'chair' }, { onPendingRequests: 'end' }).result();
    expect(first.status).toBe('idle-with-pending-requests');
    expect(first.outputs).toEqual([]);
    const ids = Object.fromEntries(first.pendingRequests.map((r) => [r.executorId, r.requestId]));
    const second = await wf
      .resume({ responses: { [ids['ask-a'] ?? '']: { approved: true }, [ids['ask-b'] ?? '']: { approved: false } } })
      .result();
    expect(second.status).toBe('idle');
    expect(answers(second.outputs).map((a) => [a.executorId, a.approved, a.asked])).toEqual([
      ['ask-a', true, 1],
      ['ask-b', false, 1],
    ]);
  });

  it('guarantee 19: an onRequest answer the schema refuses is reported as a REQUEST_HANDLER_FAILED warning and the request stays pending', async () => {
    await using wf = await soloAsker();
    const run = wf.run({ item: 'sofa' }, { onRequest: () => ({ approved: 'sure' }) });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'warning' && event.code === 'REQUEST_HANDLER_FAILED') {
        expect(run.status).toBe('waiting-for-answers');
        await run.respond(String(event.details.requestId), { approved: true });
      }
    }
    const result = await run.result();
    expect(ofType(events, 'warning').filter((w) => w.code === 'REQUEST_HANDLER_FAILED')).toHaveLength(1);
    expect(answers(result.outputs)).toMatchObject([{ approved: true, superstep: 2 }]);
  });

  it("guarantee 19: with onInvalidAnswer: 'fail', an onRequest answer the schema refuses fails the run with RESPONSE_INVALID instead of leaving it waiting", async () => {
    await using wf = await soloAsker();
    const { events, error } = await drain(
      wf.run({ item: 'lamp' }, { onRequest: () => ({ approved: 'sure' }), onInvalidAnswer: 'fail' }),
    );
    expect(error).toMatchObject({ code: 'RESPONSE_INVALID' });
    expect(ofType(events, 'run.failed').map((e) => e.error.code)).toEqual(['RESPONSE_INVALID']);
    expect(statuses(events).at(-1)).toBe('failed');
    expect(ofType(events, 'warning').filter((w) => w.code === 'REQUEST_HANDLER_FAILED')).toEqual([]);
    // The instance is free again, and the question is still pending there for resume() to answer.
    expect(wf.status).toBe('idle');
    const resumed = await wf
      .resume({ responses: { [ofType(events, 'request')[0]?.requestId ?? '']: { approved: true } } })
      .result();
    expect(answers(resumed.outputs)).toMatchObject([{ approved: true }]);
  });

  it("guarantee 19: onInvalidAnswer must be 'warn' or 'fail' (INVALID_OPTION)", async () => {
    await using wf = await soloAsker();
    expect(thrownBy(() => wf.run({ item: 'x' }, { onInvalidAnswer: 'explode' as 'fail' }))).toMatchObject({
      code: 'INVALID_OPTION',
      details: { option: 'options.onInvalidAnswer' },
    });
  });

  it('guarantee 19: an onRequest callback that throws is reported as a warning; the request stays pending', async () => {
    await using wf = await soloAsker();
    const { events, result } = await drain(
      wf.run(
        { item: 'bed' },
        {
          onPendingRequests: 'end',
          onRequest: () => {
            throw new Error('no human available');
          },
        },
      ),
    );
    const warnings = ofType(events, 'warning').filter((w) => w.code === 'REQUEST_HANDLER_FAILED');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details.requestId).toBe(ofType(events, 'request')[0]?.requestId);
    expect(result?.status).toBe('idle-with-pending-requests');
    expect(result?.pendingRequests.map((r) => r.requestId)).toEqual([ofType(events, 'request')[0]?.requestId]);
  });
});

describe('guarantee 20: refused answers change nothing', () => {
  /** Starts a run of `ask` alone and resolves once it waits for its answer. */
  async function waitingRun(wf: Awaited<ReturnType<typeof soloAsker>>) {
    const run = wf.run({ item: 'crate' });
    const events: WorkflowEvent[] = [];
    const iterator = run[Symbol.asyncIterator]();
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) throw new Error('the run ended before it waited');
      events.push(next.value);
      if (next.value.type === 'status' && next.value.status === 'waiting-for-answers') break;
    }
    const rest = (async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return events;
        events.push(next.value);
      }
    })();
    return { run, events, rest, requestId: ofType(events, 'request')[0]?.requestId ?? '' };
  }

  it('guarantee 20: an unknown request id is refused with REQUEST_UNKNOWN; the run still waits and the real request can be answered', async () => {
    await using wf = await soloAsker();
    const { run, rest, requestId } = await waitingRun(wf);
    const error = await rejectionOf(run.respond('no-such-request', { approved: true }));
    expect(error.code).toBe('REQUEST_UNKNOWN');
    expect(run.status).toBe('waiting-for-answers');
    await run.respond(requestId, { approved: true });
    await rest;
    expect(answers((await run.result()).outputs)).toMatchObject([{ approved: true, asked: 1 }]);
  });

  it('guarantee 20: a second answer to the same request is refused with REQUEST_ALREADY_ANSWERED; the first one stands', async () => {
    await using wf = await soloAsker();
    const { run, rest, requestId } = await waitingRun(wf);
    await run.respond(requestId, { approved: true });
    const error = await rejectionOf(run.respond(requestId, { approved: false }));
    expect(error.code).toBe('REQUEST_ALREADY_ANSWERED');
    await rest;
    const result = await run.result();
    expect(answers(result.outputs)).toMatchObject([{ approved: true }]);
    expect(result.outputs).toHaveLength(1);
  });

  it('guarantee 20: of two simultaneous answers to one request exactly one is accepted; the other gets REQUEST_ALREADY_ANSWERED', async () => {
    await using wf = await soloAsker();
    const { run, rest, requestId } = await waitingRun(wf);
    const settled = await Promise.allSettled([
      run.respond(requestId, { approved: true }),
      run.respond(requestId, { approved: false }),
    ]);
    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect((refused?.reason as { code?: unknown }).code).toBe('REQUEST_ALREADY_ANSWERED');
    await rest;
    const accepted = settled[0].status === 'fulfilled';
    expect(answers((await run.result()).outputs)).toMatchObject([{ approved: accepted }]);
  });

  it("guarantee 20: a value the executor's responseSchema rejects is refused with RESPONSE_INVALID; the same request can still be answered correctly", async () => {
    await using wf = await soloAsker();
    const { run, events, rest, requestId } = await waitingRun(wf);
    const invalid = await rejectionOf(run.respond(requestId, { approved: 'yes' }));
    expect(invalid.code).toBe('RESPONSE_INVALID');
    expect(invalid.details?.requestId).toBe(requestId);
    expect(invalid.details?.issues).toEqual(expect.arrayContaining([expect.stringContaining('approved')]));
    const unserialisable = await rejectionOf(run.respond(requestId, { approved: true, callback: () => 1 }));
    expect(unserialisable.code).toBe('RESPONSE_INVALID');
    expect(run.status).toBe('waiting-for-answers');
    await run.respond(requestId, { approved: false });
    await rest;
    const result = await run.result();
    expect(answers(result.outputs)).toMatchObject([{ approved: false, superstep: 2, asked: 1 }]);
    expect(ofType(events, 'executor.invoked').filter((e) => e.executorId === 'ask')).toHaveLength(2);
  });

  it('guarantee 20: respond() on a handle whose run has ended is refused with RUN_ENDED; the request stays pending for resume()', async () => {
    await using wf = await soloAsker();
    const run = wf.run({ item: 'box' }, { onPendingRequests: 'end' });
    const result = await run.result();
    const requestId = result.pendingRequests[0]?.requestId ?? '';
    const error = await rejectionOf(run.respond(requestId, { approved: true }));
    expect(error.code).toBe('RUN_ENDED');
    const resumed = await wf.resume({ responses: { [requestId]: { approved: true } } }).result();
    expect(answers(resumed.outputs)).toMatchObject([{ approved: true, asked: 1 }]);
  });

  it('guarantee 20: resume({ responses }) naming an unknown request is refused with REQUEST_UNKNOWN before any answer is applied', async () => {
    await using wf = await twoAskers();
    const first = await wf.run({ item: 'shelf' }, { onPendingRequests: 'end' }).result();
    const [a, b] = first.pendingRequests.map((r) => r.requestId);
    const refused = wf.resume({ responses: { [a ?? '']: { approved: true }, 'no-such-request': { approved: true } } });
    expect((await rejectionOf(refused.result())).code).toBe('REQUEST_UNKNOWN');
    // Nothing was applied: both requests are still pending and both can be answered.
    const resumed = await wf
      .resume({ responses: { [a ?? '']: { approved: false }, [b ?? '']: { approved: true } } })
      .result();
    expect(resumed.status).toBe('idle');
    expect(answers(resumed.outputs).map((o) => [o.executorId, o.approved])).toEqual([
      ['ask-a', false],
      ['ask-b', true],
    ]);
  });

  it('guarantee 20: resume({ responses }) with one answer the schema rejects is refused with RESPONSE_INVALID before any answer is applied', async () => {
    await using wf = await twoAskers();
    const first = await wf.run({ item: 'stool' }, { onPendingRequests: 'end' }).result();
    const ids = Object.fromEntries(first.pendingRequests.map((r) => [r.executorId, r.requestId]));
    const a = ids['ask-a'] ?? '';
    const b = ids['ask-b'] ?? '';
    // The valid answer comes first, so applying answers one by one would already have taken it.
    const refused = wf.resume({ responses: { [a]: { approved: true }, [b]: { approved: 'maybe' } } });
    expect((await rejectionOf(refused.result())).code).toBe('RESPONSE_INVALID');
    const resumed = await wf.resume({ responses: { [a]: { approved: false }, [b]: { approved: true } } }).result();
    expect(answers(resumed.outputs).map((o) => [o.executorId, o.approved])).toEqual([
      ['ask-a', false],
      ['ask-b', true],
    ]);
  });
});

describe('guarantee 21: pending requests in checkpoints', () => {
  let store: CheckpointStore;
  beforeAll(() => {
    store = createMemoryStore();
  });
  afterAll(async () => {
    await store.close();
  });

  /** Runs two askers to idle-with-pending-requests and returns the last checkpoint and the request ids. */
  async function pendingCheckpoint(name: string) {
    await using wf = await twoAskers({ store, name });
    const { events, result } = await drain(wf.run({ item: 'table' }, { onPendingRequests: 'end' }));
    const checkpointId = ofType(events, 'checkpoint.saved').at(-1)?.checkpointId ?? '';
    const ids = Object.fromEntries((result?.pendingRequests ?? []).map((r) => [r.executorId, r.requestId]));
    return { checkpointId, a: ids['ask-a'] ?? '', b: ids['ask-b'] ?? '', requests: ofType(events, 'request') };
  }

  it('guarantee 21: restoring a checkpoint with pending requests on a fresh instance re-emits them before any superstep', async () => {
    const { checkpointId, a, b, requests } = await pendingCheckpoint('pending-restore');
    await using fresh = await twoAskers({ store, name: 'pending-restore' });
    await fresh.restore(checkpointId);
    const { events, result } = await drain(fresh.resume({ onPendingRequests: 'end' }));
    const reemitted = ofType(events, 'request');
    expect(reemitted.map((r) => r.requestId).sort()).toEqual([a, b].sort());
    // The same requests: ids, askers, data and the superstep that made them.
    expect([...reemitted].sort((x, y) => x.executorId.localeCompare(y.executorId))).toEqual(
      [...requests].sort((x, y) => x.executorId.localeCompare(y.executorId)),
    );
    expect(ofType(events, 'superstep.started')).toEqual([]);
    expect(result?.status).toBe('idle-with-pending-requests');
    expect(result?.pendingRequests.map((r) => r.requestId).sort()).toEqual([a, b].sort());
  });

  it('guarantee 21: restoring together with answers re-emits only the unanswered requests; the answered one is not asked again', async () => {
    const { checkpointId, a, b } = await pendingCheckpoint('pending-answers');
    await using fresh = await twoAskers({ store, name: 'pending-answers' });
    await fresh.restore(checkpointId);
    const partial = await drain(fresh.resume({ responses: { [a]: { approved: true } }, onPendingRequests: 'end' }));
    expect(ofType(partial.events, 'request').map((r) => r.requestId)).toEqual([b]);
    expect(answers(partial.result?.outputs)).toMatchObject([
      { executorId: 'ask-a', approved: true, asked: 1, superstep: 3 },
    ]);
    // guarantee 15: one of two answered, so the run ends with requests still pending.
    expect(partial.result?.status).toBe('idle-with-pending-requests');
    expect(partial.result?.pendingRequests.map((r) => r.requestId)).toEqual([b]);

    // The same instance carries on: the rest is re-emitted again at the start of the next resume.
    const rest = await drain(fresh.resume({ onPendingRequests: 'end' }));
    expect(ofType(rest.events, 'request').map((r) => r.requestId)).toEqual([b]);
    const done = await drain(fresh.resume({ responses: { [b]: { approved: false } } }));
    expect(ofType(done.events, 'request')).toEqual([]);
    expect(answers(done.result?.outputs)).toMatchObject([{ executorId: 'ask-b', approved: false, asked: 1 }]);
    expect(done.result?.status).toBe('idle');
  });

  it('guarantee 21: a new run(input) on an instance with unanswered requests re-emits them at its start', async () => {
    await using wf = await soloAsker();
    const first = await wf.run({ item: 'lamp-1' }, { onPendingRequests: 'end' }).result();
    const earlier = first.pendingRequests[0];
    const { events, result } = await drain(wf.run({ item: 'lamp-2' }, { onPendingRequests: 'end' }));
    const requests = ofType(events, 'request');
    // The earlier request first (before superstep 1), with its original superstep; then the new one.
    expect(requests.map((r) => [r.requestId, r.superstep, (r.data as { item: string }).item])).toEqual([
      [earlier?.requestId, 1, 'lamp-1'],
      [expect.any(String), 1, 'lamp-2'],
    ]);
    expect(indexOf(events, (e) => e.type === 'request')).toBeLessThan(
      indexOf(events, (e) => e.type === 'superstep.started'),
    );
    expect(result?.pendingRequests).toHaveLength(2);
  });

  it('guarantees 19/21: after a restore, an onRequest callback answers the re-emitted requests and the run completes', async () => {
    const { checkpointId } = await pendingCheckpoint('pending-callback');
    await using fresh = await twoAskers({ store, name: 'pending-callback' });
    await fresh.restore(checkpointId);
    const result = await fresh
      .resume({ onRequest: (request) => ({ approved: request.executorId === 'ask-b' }) })
      .result();
    expect(result.status).toBe('idle');
    expect(answers(result.outputs).map((o) => [o.executorId, o.approved, o.asked])).toEqual([
      ['ask-a', false, 1],
      ['ask-b', true, 1],
    ]);
  });
});
