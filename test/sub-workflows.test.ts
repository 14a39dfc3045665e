/**
 * Guarantees 43–44 (docs/guarantees.md#sub-workflows): sub-workflows — a workflow used as an executor of another: outputs flow on as the node's
 * messages, events appear with their path, a failing child fails the parent's superstep and is rolled back,
 * requests surface at the parent with their ids and are answered there, and the parent's checkpoint embeds
 * the child. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  decode,
  executorModule,
  subWorkflow,
  type ActorPool,
  type CheckpointStore,
  type RequestEvent,
  type WorkflowEvent,
} from '@superstep/runtime';
import { drain, ofType, rejectionOf } from './helpers.ts';
import type { Decision } from './fixtures/sub-workflows.ts';

const sw = executorModule<typeof import('./fixtures/sub-workflows.ts')>(
  new URL('./fixtures/sub-workflows.ts', import.meta.url),
);

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** start → middle{ middle-stamp → inner{ inner-stamp → inner-out } → middle-out } → out */
function nested() {
  const inner = new WorkflowBuilder(sw.executor('stamp', { id: 'inner-stamp' })).addEdge(
    'inner-stamp',
    sw.executor('emitOut', { id: 'inner-out' }),
  );
  const middle = new WorkflowBuilder(sw.executor('stamp', { id: 'middle-stamp' }))
    .addEdge('middle-stamp', subWorkflow('inner', inner))
    .addEdge('inner', sw.executor('emitOut', { id: 'middle-out' }));
  return new WorkflowBuilder(sw.executor('stamp', { id: 'start' }))
    .addEdge('start', subWorkflow('middle', middle))
    .addEdge('middle', sw.executor('emitOut', { id: 'out' }));
}

/** start → checked{ tally → failIfAsked } → out */
function checked() {
  const child = new WorkflowBuilder(sw.executor('tally')).addEdge('tally', sw.executor('failIfAsked'));
  return new WorkflowBuilder(sw.executor('stamp', { id: 'start' }))
    .addEdge('start', subWorkflow('checked', child))
    .addEdge('checked', sw.executor('emitOut', { id: 'out' }));
}

/** jobs → approval{ approve } → out: one request per item, ids `req-<item>`. */
function approvals() {
  const child = new WorkflowBuilder(sw.executor('approve'));
  return new WorkflowBuilder(sw.executor('jobs'))
    .addEdge('jobs', subWorkflow('approval', child))
    .addEdge('approval', sw.executor('emitOut', { id: 'out' }));
}

/** The `subworkflow` events of a run, as `[path, inner event type, inner executor id]`. */
function nestedEvents(events: readonly WorkflowEvent[]): [string, string, string | undefined][] {
  return ofType(events, 'subworkflow').map((e) => {
    let inner = e.event;
    while (inner.type === 'subworkflow') inner = inner.event;
    return [e.path.join('/'), inner.type, 'executorId' in inner ? inner.executorId : undefined];
  });
}

describe('guarantee 43: a workflow as an executor of another', () => {
  it('guarantee 43: nested two levels deep, outputs flow on as the node’s messages, inside the parent’s supersteps', async () => {
    await using wf = await nested().build({ pool });
    const { events, result } = await drain(wf.run({ item: 'x' }));
    expect(result?.outputs).toEqual([{ item: 'x', trail: ['start', 'middle-stamp', 'inner-stamp'] }]);
    // start (1), middle with its whole child run (2), out (3).
    expect(result?.supersteps).toBe(3);
    expect(ofType(events, 'output').map((e) => e.executorId)).toEqual(['out']);
  });

  it('guarantee 43: the parent’s stream shows the children’s events as `subworkflow` events with their path', async () => {
    await using wf = await nested().build({ pool });
    const { events } = await drain(wf.run({ item: 'x' }));
    const seen = nestedEvents(events);
    expect(seen).toContainEqual(['middle', 'executor.completed', 'middle-stamp']);
    expect(seen).toContainEqual(['middle', 'output', 'middle-out']);
    expect(seen).toContainEqual(['middle/inner', 'executor.completed', 'inner-stamp']);
    expect(seen).toContainEqual(['middle/inner', 'output', 'inner-out']);
    // Each subworkflow event names the node of this level, and arrives inside the parent's superstep 2.
    const sub = ofType(events, 'subworkflow');
    expect(new Set(sub.map((e) => e.executorId))).toEqual(new Set(['middle']));
    const started2 = events.findIndex((e) => e.type === 'superstep.started' && e.superstep === 2);
    const completed2 = events.findIndex((e) => e.type === 'superstep.completed' && e.superstep === 2);
    for (const e of sub) {
      const at = events.indexOf(e);
      expect(at).toBeGreaterThan(started2);
      expect(at).toBeLessThan(completed2);
    }
  });

  it('guarantee 43: a failing child fails the parent’s superstep (executor.failed names the node) and is rolled back', async () => {
    await using wf = await checked().build({ pool });
    expect((await wf.run({ item: 'a' }).result()).outputs).toEqual([{ item: 'a', trail: ['start'], seen: 1 }]);

    const failed = await drain(wf.run({ item: 'b', fail: true }));
    expect(failed.error).toMatchObject({ code: 'EXECUTOR_FAILED' });
    const failures = ofType(failed.events, 'executor.failed');
    expect(failures.map((e) => [e.executorId, e.superstep])).toEqual([['checked', 2]]);
    expect(ofType(failed.events, 'run.failed')).toHaveLength(1);
    expect(ofType(failed.events, 'output')).toEqual([]);
    // The child's tally counted b (its superstep 1 committed inside the child) before failIfAsked threw…
    expect(nestedEvents(failed.events)).toContainEqual(['checked', 'executor.failed', 'failIfAsked']);

    // …but the parent's failed superstep rolled the child back: the next job is the second one it counts.
    // Regression guard: the cut kept to undo the child must not alias the child's live snapshot, shared-state
    // and fan-in maps (Coordinator.cut() once returned them as they were, so the undo re-applied the failure).
    expect((await wf.run({ item: 'c' }).result()).outputs).toEqual([{ item: 'c', trail: ['start'], seen: 2 }]);
  });
});

describe('guarantee 43: requests of a child surface at the parent', () => {
  it('guarantee 43: the child’s request surfaces with its own id, answered at the parent it resumes the child', async () => {
    await using wf = await approvals().build({ pool });
    const run = wf.run({ items: ['doc'] });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type !== 'request') continue;
      expect(event).toMatchObject({ requestId: 'req-doc', executorId: 'approval', data: { item: 'doc' } });
      // The child's schema judges the answer, at the parent's respond(); a refusal changes nothing.
      expect(await rejectionOf(run.respond('req-doc', { approved: 'yes' }))).toMatchObject({
        code: 'RESPONSE_INVALID',
      });
      expect(await rejectionOf(run.respond('req-nope', { approved: true }))).toMatchObject({ code: 'REQUEST_UNKNOWN' });
      await run.respond('req-doc', { approved: true });
      expect(await rejectionOf(run.respond('req-doc', { approved: false }))).toMatchObject({
        code: 'REQUEST_ALREADY_ANSWERED',
      });
    }
    const result = await run.result();
    expect(result.status).toBe('idle');
    expect(result.outputs).toEqual([
      { item: 'doc', approved: true, requestId: 'req-doc', asked: 1 } satisfies Decision,
    ]);
    expect(ofType(events, 'request')).toHaveLength(1);
    // The child's request is not also streamed as a nested event.
    expect(nestedEvents(events).filter(([, type]) => type === 'request')).toEqual([]);
  });

  it('guarantee 43: a grandchild’s request surfaces at the top with its id; answering there resumes it', async () => {
    const inner = new WorkflowBuilder(sw.executor('approve'));
    const outer = new WorkflowBuilder(sw.executor('stamp', { id: 'outer-stamp' }))
      .addEdge('outer-stamp', subWorkflow('inner', inner))
      .addEdge('inner', sw.executor('emitOut', { id: 'outer-out' }));
    await using wf = await new WorkflowBuilder(sw.executor('jobs'))
      .addEdge('jobs', subWorkflow('outer', outer))
      .addEdge('outer', sw.executor('emitOut', { id: 'out' }))
      .build({ pool });
    const run = wf.run({ items: ['deep'] });
    const requests: WorkflowEvent[] = [];
    for await (const event of run) {
      if (event.type !== 'request') continue;
      requests.push(event);
      await run.respond(event.requestId, { approved: true });
    }
    expect(requests).toMatchObject([{ requestId: 'req-deep', executorId: 'outer' }]);
    expect((await run.result()).outputs).toEqual([{ item: 'deep', approved: true, requestId: 'req-deep', asked: 1 }]);
  });

  it('guarantee 43: an onRequest callback at the parent answers the child', async () => {
    await using wf = await approvals().build({ pool });
    const result = await wf
      .run({ items: ['a', 'b'] }, { onRequest: (request) => ({ approved: request.requestId === 'req-a' }) })
      .result();
    expect((result.outputs as Decision[]).map((d) => [d.item, d.approved]).sort()).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('guarantee 44: checkpoints embed the child', () => {
  /** Runs `approvals` until it waits for answers to `items`; returns the store and the last checkpoint id. */
  async function pendingCheckpoint(items: string[]): Promise<{ store: CheckpointStore; checkpointId: string }> {
    const store = createMemoryStore();
    await using wf = await approvals().build({ pool, store });
    const { events, result } = await drain(wf.run({ items }, { onPendingRequests: 'end' }));
    expect(result?.status).toBe('idle-with-pending-requests');
    expect(result?.pendingRequests.map((r) => [r.requestId, r.executorId])).toEqual(
      items.map((i) => [`req-${i}`, 'approval']),
    );
    const saved = ofType(events, 'checkpoint.saved').at(-1);
    if (saved === undefined) throw new Error('no checkpoint was saved');
    return { store, checkpointId: saved.checkpointId };
  }

  it('guarantee 44: the parent’s checkpoint holds the child’s state and its pending requests', async () => {
    const { store, checkpointId } = await pendingCheckpoint(['doc']);
    const read = await store.load(checkpointId);
    const body = decode(read?.body ?? new Uint8Array()) as {
      children: [string, { requests: unknown[][]; actors: [ids: string[], keys: string] }][];
    };
    const child = new Map(body.children).get('approval');
    expect(child?.requests.map((r) => r[0])).toEqual(['req-doc']);
    // approve's state (asked: 1) is a snapshot of the child's, stored with the parent's checkpoint (format 2:
    // the actor ids, then their blob keys in one string).
    const [ids, keys] = child?.actors ?? [[], ''];
    expect(ids).toEqual(['approve']);
    expect(read?.blobs.has(keys)).toBe(true);
  });

  it('guarantee 44: restored on a fresh instance and answered with resume({ responses }), the child resumes once', async () => {
    const { store, checkpointId } = await pendingCheckpoint(['doc']);
    await using fresh = await approvals().build({ pool, store });
    await fresh.restore(checkpointId);
    const { events, result } = await drain(fresh.resume({ responses: { 'req-doc': { approved: true } } }));
    // Answered before the run: not re-emitted; the child's state came back (asked once, not asked again).
    expect(ofType(events, 'request')).toEqual([]);
    expect(result?.status).toBe('idle');
    expect(result?.outputs).toEqual([{ item: 'doc', approved: true, requestId: 'req-doc', asked: 1 }]);
  });

  it('guarantee 44: with two pending, answering one on restore re-emits only the other, once; answering it live finishes', async () => {
    const { store, checkpointId } = await pendingCheckpoint(['a', 'b']);
    await using fresh = await approvals().build({ pool, store });
    await fresh.restore(checkpointId);
    const run = fresh.resume({ responses: { 'req-a': { approved: true } }, onPendingRequests: 'wait' });
    const requests: string[] = [];
    for await (const event of run) {
      if (event.type !== 'request') continue;
      requests.push(event.requestId);
      await run.respond(event.requestId, { approved: false });
    }
    const result = await run.result();
    expect(requests).toEqual(['req-b']);
    expect((result.outputs as Decision[]).map((d) => [d.item, d.approved, d.asked]).sort()).toEqual([
      ['a', true, 2],
      ['b', false, 2],
    ]);
    expect(result.pendingRequests).toEqual([]);
  });

  it('guarantee 44: restoring twice from the same checkpoint gives the same result (no request lost or doubled)', async () => {
    const { store, checkpointId } = await pendingCheckpoint(['doc']);
    await using fresh = await approvals().build({ pool, store });
    for (const approved of [true, false]) {
      await fresh.restore(checkpointId);
      const { events, result } = await drain(fresh.resume({ onPendingRequests: 'end' }));
      expect(ofType(events, 'request').map((e) => e.requestId)).toEqual(['req-doc']);
      expect(result?.pendingRequests.map((r) => r.requestId)).toEqual(['req-doc']);
      const answered = await fresh.resume({ responses: { 'req-doc': { approved } } }).result();
      expect(answered.outputs).toEqual([{ item: 'doc', approved, requestId: 'req-doc', asked: 1 } satisfies Decision]);
    }
  });
});

describe("guarantee 60: a parent answering its child's requests", () => {
  /** jobs → approval{ approve } → out, with the node's onRequest approving items that start with "auto". */
  function triaged(onRequest: (request: RequestEvent) => unknown) {
    const child = new WorkflowBuilder(sw.executor('approve'));
    return new WorkflowBuilder(sw.executor('jobs'))
      .addEdge('jobs', subWorkflow('approval', child, { onRequest }))
      .addEdge('approval', sw.executor('emitOut', { id: 'out' }));
  }
  const autoApprove = (request: RequestEvent): unknown =>
    (request.data as { item: string }).item.startsWith('auto') ? { approved: true } : undefined;

  it("guarantee 60: the node's onRequest answers a child request itself, within the parent's superstep, and it never reaches the caller", async () => {
    const seen: RequestEvent[] = [];
    await using wf = await triaged((request) => {
      seen.push(request);
      return autoApprove(request);
    }).build({ pool });
    const { events, result } = await drain(wf.run({ items: ['auto-1', 'auto-2'] }));
    expect(ofType(events, 'request')).toEqual([]);
    expect(seen.map((r) => [r.requestId, r.executorId])).toEqual([
      ['req-auto-1', 'approve'],
      ['req-auto-2', 'approve'],
    ]);
    expect(result?.status).toBe('idle');
    expect((result?.outputs as Decision[]).map((d) => [d.item, d.approved])).toEqual([
      ['auto-1', true],
      ['auto-2', true],
    ]);
    // jobs (1), approval with both child runs and their answers (2), out (3).
    expect(result?.supersteps).toBe(3);
  });

  it('guarantee 60: a request the onRequest leaves unanswered (undefined) propagates to the caller, who answers it as before', async () => {
    await using wf = await triaged(autoApprove).build({ pool });
    const run = wf.run({ items: ['auto-1', 'manual'] });
    const events: WorkflowEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'request') await run.respond(event.requestId, { approved: false });
    }
    expect(ofType(events, 'request').map((e) => [e.requestId, e.executorId])).toEqual([['req-manual', 'approval']]);
    const { outputs } = await run.result();
    expect((outputs as Decision[]).map((d) => [d.item, d.approved])).toEqual([
      ['auto-1', true],
      ['manual', false],
    ]);
  });

  it("guarantee 60: an answer from onRequest that the child's schema refuses fails the superstep with RESPONSE_INVALID", async () => {
    await using wf = await triaged(() => ({ approved: 'sure' })).build({ pool });
    const { events, error } = await drain(wf.run({ items: ['auto-1'] }));
    expect(error).toMatchObject({ code: 'RESPONSE_INVALID' });
    const failed = ofType(events, 'executor.failed').filter((e) => e.executorId === 'approval');
    expect(failed.map((e) => e.error.code)).toEqual(['RESPONSE_INVALID']);
    expect(ofType(events, 'superstep.completed').map((e) => e.superstep)).toEqual([1]);
  });
});
