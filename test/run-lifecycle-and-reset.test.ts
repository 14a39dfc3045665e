/**
 * Guarantees 29–37 (docs/guarantees.md#lifecycle): the run lifecycle — synchronous reservation, explicit states, deterministic release on
 * dispose/break/abort, compare-and-clear, createCheckpoint on an idle instance, atomic reset, per-run
 * flags, and events of abandoned runs. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  isSuperstepError,
  type ActorPool,
  type CheckpointStore,
  type RunHandle,
  type WorkflowEvent,
  type WorkflowOptions,
} from '@superstep/runtime';
import { createGate, custom, drain, ofType, rejectionOf, statuses, thrownBy, type CodedError } from './helpers.ts';
import type { Tallied } from './fixtures/lifecycle.ts';

const life = executorModule<typeof import('./fixtures/lifecycle.ts')>(
  new URL('./fixtures/lifecycle.ts', import.meta.url),
);
const req = executorModule<typeof import('./fixtures/requests.ts')>(new URL('./fixtures/requests.ts', import.meta.url));
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** kick → { t (tally), h (hits) }: actor state and shared state, in one superstep after kick. */
function stateful(options: WorkflowOptions = {}) {
  return new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
    .addFanOut('kick', [life.executor('tally', { id: 't' }), life.executor('hits', { id: 'h' })])
    .build({ pool, sharedState: { hits: 100 }, ...options });
}

/**
 * kick routes: `'boom'` → explode (the run fails in superstep 2, leaving its message queued); an object →
 * chatter (counts down `n` supersteps); anything else → t (tally).
 */
function router(options: WorkflowOptions = {}) {
  return new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
    .addSwitch(
      'kick',
      [
        { when: (m) => m === 'boom', to: basic.executor('explode') },
        { when: (m) => typeof m === 'object', to: life.executor('chatter') },
      ],
      life.executor('tally', { id: 't' }),
    )
    .addEdge('chatter', 'chatter')
    .build({ pool, ...options });
}

/** hold alone: waits at the gate on `port` in superstep 1. */
function holding(options: WorkflowOptions = {}) {
  return new WorkflowBuilder(req.executor('holder', { id: 'hold' })).build({ pool, ...options });
}

/** What t (tally) and h (hits) reported in one run. */
function report(outputs: readonly unknown[] | undefined): { count?: number; resets?: number; hits?: unknown } {
  const all = (outputs ?? []) as Record<string, unknown>[];
  const t = all.find((o) => o.id === 't') as Tallied | undefined;
  const h = all.find((o) => o.id === 'h');
  return { count: t?.count, resets: t?.resets, hits: h?.hits };
}

/** Iterates `run` until `stop` matches an event; the events so far and an iterator for the rest. */
async function until(run: RunHandle, stop: (event: WorkflowEvent) => boolean) {
  const events: WorkflowEvent[] = [];
  const iterator = run[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) throw new Error('the run ended first');
    events.push(next.value);
    if (stop(next.value)) return { events, iterator };
  }
}

describe('guarantee 29: one run at a time', () => {
  it('guarantee 29: of 1,000 simultaneous run() calls exactly one gets a handle and 999 throw WORKFLOW_BUSY synchronously; the winner completes and the instance runs again', async () => {
    await using wf = await stateful();
    const handles: RunHandle[] = [];
    const errors: unknown[] = [];
    for (let k = 0; k < 1000; k++) {
      try {
        handles.push(wf.run(k));
      } catch (error) {
        errors.push(error);
      }
    }
    expect(handles).toHaveLength(1);
    expect(errors).toHaveLength(999);
    expect(errors.every((error) => isSuperstepError(error) && error.code === 'WORKFLOW_BUSY')).toBe(true);
    const [winner] = handles;
    if (winner === undefined) throw new Error('no run proceeded');
    const { result } = await drain(winner);
    expect(report(result?.outputs)).toMatchObject({ count: 1, hits: 100 });
    expect(report((await wf.run('again').result()).outputs)).toMatchObject({ count: 2, hits: 101 });
  });

  it('guarantee 29: 1,000 callers from separate async tasks: exactly one proceeds; the others get WORKFLOW_BUSY at once', async () => {
    await using wf = await stateful();
    const settled = await Promise.allSettled(
      Array.from({ length: 1000 }, async (_, k) => {
        await Promise.resolve();
        return wf.run(k);
      }),
    );
    const winners = settled.filter((s): s is PromiseFulfilledResult<RunHandle> => s.status === 'fulfilled');
    const losers = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.map((s) => (s.reason as CodedError).code)).toEqual(Array(999).fill('WORKFLOW_BUSY'));
    expect(report((await winners[0]?.value.result())?.outputs)).toMatchObject({ count: 1, hits: 100 });
    expect(wf.status).toBe('idle');
  });

  it('guarantee 29: run() calls while a run is in progress all fail with WORKFLOW_BUSY and the running run is unaffected', async () => {
    await using wf = await router();
    const run = wf.run({ tag: 'long', n: 5 });
    const events: WorkflowEvent[] = [];
    const codes = new Set<unknown>();
    let refused = 0;
    for await (const event of run) {
      events.push(event);
      if (event.type === 'superstep.started' && event.superstep === 3) {
        for (let k = 0; k < 1000; k++) {
          const error = thrownBy(() => wf.run('intruder'));
          codes.add(error.code);
          refused++;
        }
      }
    }
    expect(refused).toBe(1000);
    expect([...codes]).toEqual(['WORKFLOW_BUSY']);
    expect((await run.result()).outputs).toEqual(['long']);
    expect(custom(events, 'chat').map((e) => (e.data as { n: number }).n)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(statuses(events)).toEqual(['running', 'idle']);
  });
});

describe('guarantee 30: lifecycle states', () => {
  it('guarantee 30: idle → reserved (synchronously in run()) → running → idle; closed after close()', async () => {
    await using gate = await createGate({ fallbackMs: 10_000 });
    const wf = await holding();
    try {
      expect(wf.status).toBe('idle');
      const run = wf.run({ item: 'x', port: gate.port });
      expect(wf.status).toBe('reserved');
      const seen: string[] = [];
      for await (const event of run) {
        // The run cannot end before the gate opens.
        if (event.type === 'run.started') {
          seen.push(wf.status);
          gate.open();
        }
      }
      expect(seen).toEqual(['running']);
      expect((await run.result()).outputs).toEqual([{ held: 'go', superstep: 1 }]);
      expect(wf.status).toBe('idle');
    } finally {
      await wf.close();
    }
    expect(wf.status).toBe('closed');
    expect(thrownBy(() => wf.run({ item: 'late' })).code).toBe('WORKFLOW_CLOSED');
  });

  it('guarantees 29/30: createCheckpoint(), restore() and reset() reserve the instance synchronously while they work', async () => {
    await using store = createMemoryStore();
    await using wf = await stateful({ store });
    const operations: [string, () => Promise<unknown>][] = [
      ['createCheckpoint', () => wf.createCheckpoint()],
      ['reset', () => wf.reset()],
    ];
    const meta = await wf.createCheckpoint();
    operations.push(['restore', () => wf.restore(meta.id)]);
    for (const [name, operation] of operations) {
      const pending = operation();
      expect(wf.status, name).toBe('reserved');
      expect(thrownBy(() => wf.run('x')).code, name).toBe('WORKFLOW_BUSY');
      await pending;
      expect(wf.status, name).toBe('idle');
    }
  });
});

describe('guarantee 31: deterministic release', () => {
  it('guarantee 31: disposing a handle before iterating it cancels the run and releases the instance by the time dispose resolves', async () => {
    await using wf = await stateful();
    const run = wf.run('never iterated');
    await run[Symbol.asyncDispose]();
    expect(wf.status).toBe('idle');
    expect(run.status).toBe('cancelled');
    expect((await rejectionOf(run.result())).code).toBe('RUN_CANCELLED');
    // Nothing of the cancelled run was committed, and a new run starts at once.
    expect(report((await wf.run('next').result()).outputs)).toMatchObject({ count: 1, hits: 100 });
  });

  it('guarantee 31: `await using` a run handle releases the instance at the end of its block', async () => {
    await using wf = await stateful();
    let runId: string | undefined;
    {
      await using run = wf.run('scoped');
      runId = run.runId;
    }
    expect(runId).toBeDefined();
    expect(wf.status).toBe('idle');
    expect((await wf.run('next').result()).outputs).toHaveLength(2);
  });

  it('guarantee 31: breaking out of `for await` mid-run cancels it; the instance is idle when the loop has exited', async () => {
    await using wf = await router();
    const run = wf.run({ tag: 'broken', n: 10_000 }, { maxSupersteps: 20_000 });
    for await (const event of run) {
      if (event.type === 'superstep.started' && event.superstep === 3) break;
    }
    expect(wf.status).toBe('idle');
    expect(run.status).toBe('cancelled');
    expect((await rejectionOf(run.result())).code).toBe('RUN_CANCELLED');
    expect((await wf.run('next').result()).outputs).toMatchObject([{ id: 't', count: 1 }]);
  });

  it('guarantee 31: aborting the signal mid-run cancels it and releases the instance by the time result() settles', async () => {
    await using wf = await router();
    const controller = new AbortController();
    const run = wf.run({ tag: 'aborted', n: 10_000 }, { signal: controller.signal, maxSupersteps: 20_000 });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'superstep.started' && event.superstep === 3) controller.abort('stop');
    }
    expect((await rejectionOf(run.result())).code).toBe('RUN_CANCELLED');
    expect(wf.status).toBe('idle');
    expect(ofType(events, 'status').filter((e) => e.final)).toEqual([
      { type: 'status', status: 'cancelled', final: true },
    ]);
    expect((await wf.run('next').result()).outputs).toMatchObject([{ id: 't', count: 1 }]);
  });

  it('guarantee 31: a signal aborted before run() cancels the run before any superstep and releases the instance', async () => {
    await using wf = await stateful();
    const run = wf.run('too late', { signal: AbortSignal.abort('already') });
    const { events, error } = await drain(run);
    expect((error as CodedError).code).toBe('RUN_CANCELLED');
    expect(ofType(events, 'superstep.started')).toEqual([]);
    expect(wf.status).toBe('idle');
    expect(report((await wf.run('next').result()).outputs)).toMatchObject({ count: 1, hits: 100 });
  });

  it('guarantee 31: disposing a run that waits for answers releases the instance', async () => {
    await using wf = await new WorkflowBuilder(req.executor('asker', { id: 'ask' })).build({ pool });
    const run = wf.run({ item: 'pending' });
    await until(run, (event) => event.type === 'status' && event.status === 'waiting-for-answers');
    expect(wf.status).toBe('running');
    await run[Symbol.asyncDispose]();
    expect(wf.status).toBe('idle');
    expect(run.status).toBe('cancelled');
    const next = await wf.run({ item: 'next' }, { onPendingRequests: 'end' }).result();
    expect(next.pendingRequests.map((r) => r.data)).toContainEqual({ item: 'next', asker: 'ask' });
  });

  it('guarantee 31: a handle whose events are never consumed does not hold the instance once its run has ended', async () => {
    await using wf = await stateful();
    const done = wf.run('fire and forget').result();
    await done;
    expect(wf.status).toBe('idle');
    expect(report((await wf.run('next').result()).outputs)).toMatchObject({ count: 2 });
  });
});

describe('guarantee 31: knowing when a dropped run has released the instance', () => {
  it('guarantee 31: workflow.idle() resolves once a run whose handle was dropped has ended and released the instance', async () => {
    await using wf = await stateful();
    void wf.run('dropped'); // the handle is dropped at once: nobody iterates it or awaits its result
    expect(wf.status).not.toBe('idle');
    await wf.idle();
    expect(wf.status).toBe('idle');
    // The dropped run ran to its end (count 1 committed), and the instance takes the next run.
    expect(report((await wf.run('next').result()).outputs)).toMatchObject({ count: 2 });
  });

  it('guarantee 31: workflow.idle() resolves at once on an idle workflow, and on close() for one still held', async () => {
    await using wf = await stateful();
    await wf.idle();
    const asking = await new WorkflowBuilder(req.executor('asker')).build({ pool });
    const waiting = asking.run({ item: 'w' }, { onPendingRequests: 'wait' });
    const released = asking.idle();
    await asking.close();
    await released;
    expect(asking.status).toBe('closed');
    await expect(waiting.result()).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
  });
});

describe('guarantee 32: compare-and-clear', () => {
  it("guarantee 32: late cancel(), dispose, break and signal abort of older runs' handles do not touch a newer run that holds the instance", async () => {
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using wf = await holding();
    // An older run that completed (with a signal), and one abandoned before iteration.
    const controller = new AbortController();
    const completed = wf.run({ item: 'old' }, { signal: controller.signal });
    await completed.result();
    const abandoned = wf.run({ item: 'abandoned' });
    await abandoned[Symbol.asyncDispose]();

    const newer = wf.run({ item: 'new', port: gate.port });
    const events: WorkflowEvent[] = [];
    let during: Record<string, unknown> | undefined;
    for await (const event of newer) {
      events.push(event);
      if (event.type === 'run.started') {
        // The newer run is held at the gate: nothing below may release or cancel it.
        await completed.cancel('late');
        await completed[Symbol.asyncDispose]();
        controller.abort('late');
        await abandoned.cancel('late');
        await abandoned[Symbol.asyncDispose]();
        for await (const old of completed) {
          expect(old.type).toBe('run.started');
          break;
        }
        during = { instance: wf.status, newer: newer.status, busy: thrownBy(() => wf.run({ item: 'third' })).code };
        gate.open();
      }
    }
    expect(during).toEqual({ instance: 'running', newer: 'running', busy: 'WORKFLOW_BUSY' });
    expect((await newer.result()).outputs).toEqual([{ held: 'go', superstep: 1 }]);
    expect(ofType(events, 'status').filter((e) => e.final)).toEqual([{ type: 'status', status: 'idle', final: true }]);
    expect(wf.status).toBe('idle');
  });
});

describe('guarantee 33: createCheckpoint on an idle instance', () => {
  it('guarantee 33: before the first run it captures superstep 0 with runId null; restoring it onto a used instance gives fresh-instance behaviour', async () => {
    await using store = createMemoryStore();
    await using wf = await stateful({ store });
    const initial = await wf.createCheckpoint();
    expect(initial).toMatchObject({ superstep: 0, runId: null, parentId: null, signature: wf.signature });
    expect((await store.list({ workflowName: 'kick' })).map((meta) => meta.id)).toEqual([initial.id]);

    expect(report((await wf.run('one').result()).outputs)).toMatchObject({ count: 1, hits: 100 });
    expect(report((await wf.run('two').result()).outputs)).toMatchObject({ count: 2, hits: 101 });
    await wf.restore(initial.id);
    expect(report((await wf.run('again').result()).outputs)).toMatchObject({ count: 1, hits: 100 });
  });

  it('guarantee 33: after runs it captures the whole instance (actor and shared state): a fresh instance restored from it goes on', async () => {
    await using store = createMemoryStore();
    await using wf = await stateful({ store });
    await wf.run('one').result();
    await wf.run('two').result();
    const lastOfRun = await store.latest({ workflowName: 'kick' });
    const meta = await wf.createCheckpoint();
    expect(meta).toMatchObject({ runId: null, parentId: lastOfRun?.id });

    await using fresh = await stateful({ store });
    await fresh.restore(meta.id);
    expect(report((await fresh.run('three').result()).outputs)).toMatchObject({ count: 3, hits: 102 });
  });

  it('guarantee 33: createCheckpoint() is refused with WORKFLOW_BUSY during a run, and with WORKFLOW_NOT_IDLE while a failed run left messages queued', async () => {
    await using store = createMemoryStore();
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using held = await holding({ store, name: 'held' });
    const run = held.run({ item: 'x', port: gate.port });
    let busy: CodedError | undefined;
    for await (const event of run) {
      if (event.type === 'run.started') {
        busy = await rejectionOf(held.createCheckpoint());
        gate.open();
      }
    }
    expect(busy?.code).toBe('WORKFLOW_BUSY');
    expect((await run.result()).outputs).toEqual([{ held: 'go', superstep: 1 }]);

    await using wf = await router({ store, name: 'router' });
    expect((await rejectionOf(wf.run('boom').result())).code).toBe('EXECUTOR_FAILED');
    const before = await store.list({ workflowName: 'router' });
    const notIdle = await rejectionOf(wf.createCheckpoint());
    expect(notIdle.code).toBe('WORKFLOW_NOT_IDLE');
    expect(await store.list({ workflowName: 'router' })).toEqual(before);
    expect(wf.status).toBe('idle');
    await wf.reset();
    expect((await wf.createCheckpoint()).superstep).toBe(0);
  });
});

describe('guarantee 34: reset', () => {
  it('guarantee 34: reset() clears actor state and shared state (back to build-time sharedState) and runs reset hooks', async () => {
    await using wf = await stateful();
    expect(report((await wf.run(1).result()).outputs)).toMatchObject({ count: 1, hits: 100 });
    const before = report((await wf.run(2).result()).outputs);
    expect(before).toMatchObject({ count: 2, hits: 101 });
    await wf.reset();
    const after = report((await wf.run(3).result()).outputs);
    expect(after).toMatchObject({ count: 1, hits: 100 });
    // The hook ran once in tally's thread (each thread counts in its own copy of the fixture module).
    expect(after.resets).toBe((before.resets ?? 0) + 1);
  });

  it('guarantee 34: a reset hook is told the executor id it runs for and its thread', async () => {
    await using wf = await stateful();
    await wf.run(1).result();
    await wf.reset();
    const tallied = (await wf.run(2).result()).outputs.find((o) => (o as Tallied).id === 't') as Tallied;
    // The actor t lives on one thread; the hook that ran there was told it runs for t, on that thread.
    expect(tallied.lastReset).toEqual({ executorId: 't', threadId: tallied.threadId });
  });

  it('guarantee 34: reset() clears messages a failed run left queued', async () => {
    await using wf = await router();
    expect((await rejectionOf(wf.run('boom').result())).code).toBe('EXECUTOR_FAILED');
    await wf.reset();
    const { events, result } = await drain(wf.resume());
    expect(result?.supersteps).toBe(0);
    expect(ofType(events, 'executor.invoked')).toEqual([]);
    expect(ofType(events, 'run.failed')).toEqual([]);
  });

  it('guarantee 34: reset() clears partially filled fan-in buffers', async () => {
    const graph = () =>
      new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
        .addFanOut('kick', [life.executor('maybe', { id: 'a' }), life.executor('maybe', { id: 'b' })])
        .addExecutor(basic.executor('sink', { id: 'join' }))
        .addFanIn(['a', 'b'], 'join')
        .build({ pool });
    const sorted = (outputs: readonly unknown[]) => outputs.map((o) => [...(o as string[])].sort());
    // Without a reset, a's contribution from the first run waits in the buffer for b's in the second.
    await using control = await graph();
    expect((await control.run({ senders: ['a'], tag: 'r1' }).result()).outputs).toEqual([]);
    expect(sorted((await control.run({ senders: ['a', 'b'], tag: 'r2' }).result()).outputs)).toEqual([
      ['r1:a', 'r2:a', 'r2:b'],
    ]);

    await using wf = await graph();
    expect((await wf.run({ senders: ['a'], tag: 'r1' }).result()).outputs).toEqual([]);
    await wf.reset();
    expect(sorted((await wf.run({ senders: ['a', 'b'], tag: 'r2' }).result()).outputs)).toEqual([['r2:a', 'r2:b']]);
  });

  it('guarantee 34: reset() clears pending requests', async () => {
    await using wf = await new WorkflowBuilder(req.executor('asker', { id: 'ask' })).build({ pool });
    const first = await wf.run({ item: 'forgotten' }, { onPendingRequests: 'end' }).result();
    const requestId = first.pendingRequests[0]?.requestId ?? '';
    expect(first.status).toBe('idle-with-pending-requests');
    await wf.reset();
    const { events, result } = await drain(wf.resume({ onPendingRequests: 'end' }));
    expect(ofType(events, 'request')).toEqual([]);
    expect(result?.status).toBe('idle');
    expect(result?.pendingRequests).toEqual([]);
    const refused = await rejectionOf(wf.resume({ responses: { [requestId]: { approved: true } } }).result());
    expect(refused.code).toBe('REQUEST_UNKNOWN');
  });

  it('guarantee 34: after reset() a new checkpoint lineage starts (new lineageId, parentId null)', async () => {
    await using store = createMemoryStore();
    await using wf = await stateful({ store });
    const first = wf.run(1);
    await first.result();
    const lineage = (await store.list({ runId: first.runId }))[0]?.lineageId;
    await wf.reset();
    const second = wf.run(2);
    await second.result();
    const entry = (await store.list({ runId: second.runId }))[0];
    expect(entry?.superstep).toBe(0);
    expect(entry?.parentId).toBeNull();
    expect(entry?.lineageId).toBeDefined();
    expect(entry?.lineageId).not.toBe(lineage);
  });

  it('guarantee 34: reset() (and restore()) during a run is refused with WORKFLOW_BUSY and the run is unaffected', async () => {
    await using store = createMemoryStore();
    await using gate = await createGate({ fallbackMs: 10_000 });
    await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [life.executor('tally', { id: 't' }), req.executor('holder', { id: 'hold' })])
      .build({ pool, store });
    await wf.run({ item: 'warm-up' }).result();
    const checkpoint = await store.latest({ workflowName: 'kick' });
    const run = wf.run({ item: 'held', port: gate.port });
    const refusals: unknown[] = [];
    for await (const event of run) {
      if (event.type === 'superstep.started' && event.superstep === 2) {
        refusals.push((await rejectionOf(wf.reset())).code);
        refusals.push((await rejectionOf(wf.restore(checkpoint?.id ?? ''))).code);
        gate.open();
      }
    }
    expect(refusals).toEqual(['WORKFLOW_BUSY', 'WORKFLOW_BUSY']);
    const result = await run.result();
    expect(result.outputs).toContainEqual({ held: 'go', superstep: 2 });
    expect(result.outputs).toContainEqual(expect.objectContaining({ id: 't', count: 2 }));
  });
});

/**
 * A kick fanning out to a reset hook that throws while armed, two tallies and a shared-state reader, on its
 * own pool (closed with it): bomb's armed flag lives in the worker threads' module copies.
 */
async function buildBombFanOut(store: CheckpointStore) {
  return await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
    .addFanOut('kick', [
      life.executor('bomb'),
      life.executor('tally', { id: 't1' }),
      life.executor('tally', { id: 't2' }),
      life.executor('hits', { id: 'h' }),
    ])
    .build({ threads: 2, store, sharedState: { hits: 100 } });
}

/** Each output's count by id (`hits` for the shared-state reader). */
function counts(outputs: readonly unknown[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    ((outputs ?? []) as Record<string, unknown>[]).map((o): [string, unknown] => [
      String(o.id),
      'count' in o ? o.count : o.hits,
    ]),
  );
}

describe('guarantee 35: atomic reset', () => {
  it('guarantee 35: a reset hook that throws fails reset() with RESET_FAILED and leaves the instance exactly as before', async () => {
    await using store = createMemoryStore();
    await using wf = await buildBombFanOut(store);

    expect(counts((await wf.run({ arm: true }).result()).outputs)).toEqual({ t1: 1, t2: 1, h: 100 });
    const lastBefore = await store.latest({ workflowName: 'kick' });
    const error = await rejectionOf(wf.reset());
    expect(error.code).toBe('RESET_FAILED');
    expect(error.details?.executorId).toBe('bomb');
    expect(wf.status).toBe('idle');

    // Actors on both threads keep their state, shared state is kept, and the lineage goes on.
    const next = wf.run({ arm: false });
    expect(counts((await next.result()).outputs)).toEqual({ t1: 2, t2: 2, h: 101 });
    const entry = (await store.list({ runId: next.runId }))[0];
    expect(entry?.parentId).toBe(lastBefore?.id);
    expect(entry?.lineageId).toBe(lastBefore?.lineageId);

    // Disarmed, the reset goes through.
    await wf.reset();
    expect(counts((await wf.run({ arm: false }).result()).outputs)).toEqual({ t1: 1, t2: 1, h: 100 });
  });
});

describe('guarantees 24/35: a restore followed by a failing reset', () => {
  it('guarantees 24/35: a reset that fails right after a restore leaves the restored state, not the one before the restore', async () => {
    await using store = createMemoryStore();
    await using wf = await buildBombFanOut(store);

    expect(counts((await wf.run({ arm: false }).result()).outputs)).toEqual({ t1: 1, t2: 1, h: 100 });
    const afterFirst = await store.latest({ workflowName: 'kick' });
    expect(counts((await wf.run({ arm: true }).result()).outputs)).toEqual({ t1: 2, t2: 2, h: 101 });
    // No run between the restore and the reset: the reset's hosts prepare (one of them fails) and discard.
    await wf.restore(afterFirst?.id ?? '');
    expect((await rejectionOf(wf.reset())).code).toBe('RESET_FAILED');

    // Every actor and the shared state go on from the restored checkpoint.
    expect(counts((await wf.run({ arm: false }).result()).outputs)).toEqual({ t1: 2, t2: 2, h: 101 });
  });
});

describe('guarantee 36: per-run flags are cleared on every exit path', () => {
  /** How many checkpoints each store holds. */
  async function sizes(...stores: CheckpointStore[]): Promise<number[]> {
    return await Promise.all(stores.map(async (store) => (await store.list()).length));
  }

  it('guarantee 36: a per-run store is used by its run only, after success, failure and cancellation', async () => {
    await using own = createMemoryStore();
    await using perRun = createMemoryStore();
    await using wf = await router({ store: own });

    // Success: 2 supersteps, 3 checkpoints, all in the per-run store.
    await wf.run('ok', { store: perRun }).result();
    expect(await sizes(own, perRun)).toEqual([0, 3]);
    await wf.run('ok').result();
    expect(await sizes(own, perRun)).toEqual([3, 3]);

    // Failure in superstep 2: the entry checkpoint, superstep 1 and the final one saying the run failed
    // (guarantee 56) went to the per-run store.
    expect((await rejectionOf(wf.run('boom', { store: perRun }).result())).code).toBe('EXECUTOR_FAILED');
    expect(await sizes(own, perRun)).toEqual([3, 6]);
    await wf.run('ok').result();
    expect(await sizes(own, perRun)).toEqual([6, 6]);

    // Cancellation after the checkpoint of superstep 2.
    const long = wf.run({ tag: 'long', n: 10_000 }, { store: perRun, maxSupersteps: 20_000 });
    for await (const event of long) {
      if (event.type === 'checkpoint.saved' && event.superstep === 2) break;
    }
    expect(long.status).toBe('cancelled');
    const [, afterCancel] = await sizes(own, perRun);
    expect(afterCancel).toBeGreaterThanOrEqual(9);
    await wf.run('ok').result();
    expect(await sizes(own, perRun)).toEqual([9, afterCancel]);
  });

  it('guarantee 36: the parent id does not leak between stores: every checkpoint names a parent in its own store, or none', async () => {
    await using own = createMemoryStore();
    await using perRun = createMemoryStore();
    await using wf = await router({ store: own });
    await wf.run('a').result();
    await wf.run('b', { store: perRun }).result();
    await wf.run('c').result();
    expect((await rejectionOf(wf.run('boom', { store: perRun }).result())).code).toBe('EXECUTOR_FAILED');
    await wf.run('d').result();
    for (const [name, store] of [
      ['own', own],
      ['per-run', perRun],
    ] as const) {
      for (const meta of await store.list()) {
        const parent = meta.parentId === null ? null : await store.load(meta.parentId);
        expect(
          parent,
          `${name} store: checkpoint of superstep ${meta.superstep} names parent ${meta.parentId}`,
        ).not.toBeUndefined();
      }
    }
  });

  it('guarantee 36: after a resumed run ends — by success, failure or cancellation — the next run(input) starts afresh at superstep 1 with its own entry checkpoint', async () => {
    await using store = createMemoryStore();
    await using wf = await router({ store });
    const chat = wf.run({ tag: 'chat', n: 4 });
    await chat.result();
    const middle = (await store.list({ runId: chat.runId }))[3];
    const boom = wf.run('boom');
    expect((await rejectionOf(boom.result())).code).toBe('EXECUTOR_FAILED');
    // The checkpoint of superstep 1 of the failed run: explode's message is queued.
    const beforeFailure = (await store.list({ runId: boom.runId })).at(-1);
    if (middle === undefined || beforeFailure === undefined) throw new Error('missing checkpoints');

    /** A run after `label`: numbered from superstep 1, with its own entry checkpoint. */
    const expectFresh = async (label: string): Promise<void> => {
      const next = wf.run('ok');
      const { events, result } = await drain(next);
      expect(result?.outputs, label).toMatchObject([{ id: 't' }]);
      expect(
        ofType(events, 'superstep.started').map((e) => e.superstep),
        label,
      ).toEqual([1, 2]);
      expect(
        (await store.list({ runId: next.runId })).map((meta) => meta.superstep),
        label,
      ).toEqual([0, 1, 2]);
    };

    await wf.restore(middle.id);
    const resumed = await drain(wf.resume());
    expect(ofType(resumed.events, 'superstep.started')[0]?.superstep).toBe(4);
    expect(resumed.result?.outputs).toEqual(['chat']);
    await expectFresh('after a successful resume');

    await wf.restore(beforeFailure.id);
    expect((await rejectionOf(wf.resume().result())).code).toBe('EXECUTOR_FAILED');
    await expectFresh('after a failed resume');

    await wf.restore(middle.id);
    const cancelled = wf.resume();
    for await (const event of cancelled) {
      if (event.type === 'superstep.started') break;
    }
    expect(cancelled.status).toBe('cancelled');
    await expectFresh('after a cancelled resume');
  });
});

describe('guarantee 37: events of abandoned runs', () => {
  /** chatter alone, looping on itself; starts from a checkpoint taken before any run. */
  async function chatty(store: CheckpointStore) {
    const wf = await new WorkflowBuilder(life.executor('chatter')).addEdge('chatter', 'chatter').build({ pool, store });
    return { wf, initial: await wf.createCheckpoint() };
  }

  /** Asserts that `events` are those of `run` alone, tagged `tag`. */
  function expectOnly(events: readonly WorkflowEvent[], run: RunHandle, tag: string): void {
    expect(ofType(events, 'run.started')).toEqual([{ type: 'run.started', runId: run.runId }]);
    expect(custom(events, 'chat').every((e) => (e.data as { tag: string }).tag === tag)).toBe(true);
    expect(ofType(events, 'output').map((e) => e.data)).toEqual([tag]);
    expect(ofType(events, 'status').filter((e) => e.final)).toHaveLength(1);
    expect(statuses(events)).toEqual(['running', 'idle']);
  }

  it('guarantee 37: events of a run never iterated, then disposed, do not appear in a later run after reset()', async () => {
    await using store = createMemoryStore();
    const { wf } = await chatty(store);
    await using _wf = wf;
    const abandoned = wf.run({ tag: 'old', n: 3 });
    await abandoned[Symbol.asyncDispose]();
    await wf.reset();
    const run = wf.run({ tag: 'new', n: 2 });
    const { events } = await drain(run);
    expectOnly(events, run, 'new');
    expect(custom(events, 'chat')).toHaveLength(3);
  });

  it('guarantee 37: events of a run that ran to its end unconsumed, or was disposed mid-iteration, do not appear in a later run after restore()', async () => {
    await using store = createMemoryStore();
    const { wf, initial } = await chatty(store);
    await using _wf = wf;
    const unconsumed = wf.run({ tag: 'unconsumed', n: 3 });
    await unconsumed.result();
    await wf.restore(initial.id);
    const first = wf.run({ tag: 'first', n: 1 });
    expectOnly((await drain(first)).events, first, 'first');

    const midway = wf.run({ tag: 'midway', n: 10_000 }, { maxSupersteps: 20_000 });
    await until(midway, (event) => event.type === 'superstep.started' && event.superstep === 3);
    await midway[Symbol.asyncDispose]();
    await wf.restore(initial.id);
    const second = wf.run({ tag: 'second', n: 2 });
    expectOnly((await drain(second)).events, second, 'second');
  });
});
