/**
 * Guarantees 55–56 (docs/guarantees.md#g55): checkpoints say why they were written and how the run stood,
 * in every store; `resumeLatest()` carries on the newest unfinished run and does nothing after a finished
 * one; `pendingRequests` after a restore; an accepted answer is written before `respond()` resolves.
 * Public API only, real worker threads, real stores (PostgreSQL at `SUPERSTEP_PG_URL`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  openFileStore,
  openPostgresStore,
  openSqliteStore,
  type ActorPool,
  type CheckpointMeta,
  type CheckpointStore,
  type WorkflowOptions,
} from '@superstep/runtime';
import { drain, ofType, rejectionOf } from './helpers.ts';
import type { Answered } from './fixtures/requests.ts';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const req = executorModule<typeof import('./fixtures/requests.ts')>(new URL('./fixtures/requests.ts', import.meta.url));

const PG_URL = process.env.SUPERSTEP_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PG_SCHEMA = `superstep_durable_${process.pid}_${randomBytes(3).toString('hex')}`;

let pool: ActorPool;
let scratch: string;
let opened = 0;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
  scratch = await mkdtemp(join(tmpdir(), 'superstep-durable-'));
});
afterAll(async () => {
  await pool.close();
  await rm(scratch, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
  } finally {
    await admin.end();
  }
});

/** Each store kind, opened fresh and empty. */
const STORES: readonly (readonly [string, () => Promise<CheckpointStore>])[] = [
  ['memory', () => Promise.resolve(createMemoryStore())],
  ['file', async () => await openFileStore({ directory: join(scratch, `file-${++opened}`) })],
  ['sqlite', async () => await openSqliteStore({ path: join(scratch, `sqlite-${++opened}.db`) })],
  [
    'postgres',
    async () => await openPostgresStore({ connectionString: PG_URL, schema: PG_SCHEMA, tablePrefix: `d${++opened}_` }),
  ],
];

/** `reason/runStatus@superstep` of every checkpoint in the store, oldest first. */
async function history(store: CheckpointStore): Promise<string[]> {
  return (await store.list()).map(describeMeta);
}

function describeMeta(meta: CheckpointMeta | undefined): string {
  if (meta === undefined) return 'none';
  return `${meta.reason ?? '?'}/${meta.runStatus ?? '?'}@${meta.superstep}`;
}

/** countdown from `n`: n + 1 supersteps, then the output `done`. */
function countdown(options: WorkflowOptions) {
  return new WorkflowBuilder(basic.executor('countdown', { id: 'count' }))
    .addEdge('count', 'count')
    .build({ pool, name: 'count', ...options });
}

/** `ask` asks in superstep 1 and yields an {@link Answered} when its answer comes. */
function asker(options: WorkflowOptions) {
  return new WorkflowBuilder(req.executor('asker', { id: 'ask' })).build({ pool, name: 'ask', ...options });
}

describe.each(STORES)('guarantee 56: checkpoints say how the run stood (%s store)', (_kind, open) => {
  it('a completed run: entry and barriers say running, the last barrier says completed', async () => {
    await using store = await open();
    await using workflow = await countdown({ store });
    await workflow.run(2).result();
    expect(await history(store)).toEqual([
      'entry/running@0',
      'barrier/running@1',
      'barrier/running@2',
      'barrier/completed@3',
    ]);
  });

  it('a failed run: a final checkpoint after its last barrier says failed', async () => {
    await using store = await open();
    await using workflow = await new WorkflowBuilder(basic.executor('forward', { id: 'fwd' }))
      .addEdge('fwd', basic.executor('explode', { id: 'boom' }))
      .build({ pool, name: 'boom', store });
    expect(await rejectionOf(workflow.run('x').result())).toMatchObject({ code: 'EXECUTOR_FAILED' });
    expect(await history(store)).toEqual(['entry/running@0', 'barrier/running@1', 'final/failed@1']);
  });

  it('a cancelled run: its last checkpoint says cancelled, every one before says running', async () => {
    await using store = await open();
    await using workflow = await countdown({ store });
    const controller = new AbortController();
    const run = workflow.run(1_000, { signal: controller.signal });
    for await (const event of run) if (event.type === 'superstep.completed') controller.abort('enough');
    const metas = await store.list();
    expect(metas.at(-1)?.runStatus).toBe('cancelled');
    expect(metas.slice(0, -1).map((meta) => meta.runStatus)).toEqual(metas.slice(0, -1).map(() => 'running'));
    // Said by the last barrier's own checkpoint if it was not written yet, else by a final one.
    expect(['barrier', 'final']).toContain(metas.at(-1)?.reason);
  });

  it('a run that ends waiting for an answer says waiting; the answer is written before respond() resolves', async () => {
    await using store = await open();
    // What the store has finished saving, noted the moment each save resolves.
    const saved: string[] = [];
    const noting: CheckpointStore = {
      ...store,
      kind: store.kind,
      save: async (write) => {
        await store.save(write);
        saved.push(describeMeta(write.meta));
      },
    };
    await using workflow = await asker({ store: noting });
    const ended = await workflow.run({ item: 'invoice' }, { onPendingRequests: 'end' }).result();
    expect(ended.status).toBe('idle-with-pending-requests');
    expect(await history(store)).toEqual(['entry/running@0', 'barrier/waiting@1']);

    // A run that waits: answered through the handle, the answer is in the store when respond() resolves.
    const run = workflow.resume({ onPendingRequests: 'wait' });
    for await (const event of run) {
      if (event.type !== 'request') continue;
      await run.respond(event.requestId, { approved: true });
      expect(saved.at(-1)).toBe('response/running@1');
    }
    expect((await run.result()).outputs).toMatchObject([{ approved: true, asked: 1 }]);
    expect((await history(store)).slice(2)).toEqual(['response/running@1', 'barrier/completed@2']);
  });
});

describe('resumeLatest', () => {
  it('finds nothing in an empty store, and nothing to do after a completed run', async () => {
    await using store = createMemoryStore();
    await using workflow = await countdown({ store });
    expect(await workflow.resumeLatest()).toEqual({ kind: 'none' });
    await workflow.run(1).result();
    const latest = await workflow.resumeLatest();
    expect(latest.kind).toBe('finished');
    expect(latest.kind === 'finished' && latest.checkpoint.runStatus).toBe('completed');
    expect(await store.list()).toHaveLength(3);
  });

  it('resumes the newest unfinished run after a crash, on a fresh instance, and gives the uninterrupted outputs', async () => {
    // The "crash": from barrier 2 on, every write is lost, as if the process had died there.
    const store = createMemoryStore();
    let lost = false;
    const crashing: CheckpointStore = {
      ...store,
      kind: 'memory',
      save: (write) => (lost ? Promise.reject(new Error('the process is gone')) : store.save(write)),
    };
    const logger = { warn: () => undefined };
    {
      await using first = await countdown({ store: crashing, logger });
      const run = first.run(4);
      for await (const event of run) if (event.type === 'checkpoint.saved' && event.superstep === 2) lost = true;
    }
    expect(describeMeta(await store.latest())).toBe('barrier/running@2');

    await using second = await countdown({ store });
    const resumed = await second.resumeLatest();
    expect(resumed.kind).toBe('resumed');
    if (resumed.kind !== 'resumed') return;
    expect(resumed.checkpoint.superstep).toBe(2);
    const { result } = await drain(resumed.run);
    expect(result?.outputs).toEqual(['done']);
    expect(result?.supersteps).toBe(3);
    expect(describeMeta(await store.latest())).toBe('barrier/completed@5');
    expect((await second.resumeLatest()).kind).toBe('finished');
  });

  it('refuses without a store, during a run, and with a bad option, changing nothing', async () => {
    await using bare = await countdown({});
    expect(await rejectionOf(bare.resumeLatest())).toMatchObject({ code: 'CHECKPOINT_STORE_REQUIRED' });
    await using store = createMemoryStore();
    await using workflow = await countdown({ store });
    const run = workflow.run(3);
    expect(await rejectionOf(workflow.resumeLatest())).toMatchObject({ code: 'WORKFLOW_BUSY' });
    await run.result();
    const bad = { onPendingRequests: 'later' } as unknown as Parameters<typeof workflow.resumeLatest>[0];
    expect(await rejectionOf(workflow.resumeLatest(bad))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(workflow.status).toBe('idle');
  });
});

describe('guarantee 55: pending requests after restore, answers that survive a crash', () => {
  it('pendingRequests lists the restored requests; a restored answer is delivered, not asked again', async () => {
    await using store = createMemoryStore();
    {
      await using first = await asker({ store });
      expect(first.pendingRequests).toEqual([]);
      const run = first.run({ item: 'invoice' }, { onPendingRequests: 'wait' });
      for await (const event of run) {
        if (event.type !== 'request') continue;
        expect(first.pendingRequests.map((r) => r.requestId)).toEqual([event.requestId]);
        await run.respond(event.requestId, { approved: false });
        // Acknowledged: the process may die now. Stop before the next barrier's checkpoint.
        expect(first.pendingRequests).toEqual([]);
        break; // cancels the run
      }
    }
    // The cancel wrote a final checkpoint, which a crash would not have: restore the answer's own.
    const response = (await store.list()).find((meta) => meta.reason === 'response');
    expect(response).toBeDefined();

    await using second = await asker({ store });
    await second.restore(response?.id ?? '');
    expect(second.pendingRequests).toEqual([]);
    const { events, result } = await drain(second.resume({ onRequest: () => ({ approved: true }) }));
    expect(ofType(events, 'request')).toEqual([]);
    expect(result?.outputs as Answered[]).toMatchObject([{ approved: false, asked: 1, superstep: 2 }]);

    // The checkpoint before the answer still has the question pending, and says the run waited.
    const waiting = (await store.list()).find((meta) => meta.runStatus === 'waiting');
    await using third = await asker({ store });
    await third.restore(waiting?.id ?? '');
    expect(third.pendingRequests).toMatchObject([{ executorId: 'ask', data: { item: 'invoice', asker: 'ask' } }]);
  });
});
