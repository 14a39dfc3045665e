/**
 * Guarantees 22–28 (docs/guarantees.md#checkpoints): checkpoints — the cut at a barrier, N+1 checkpoints in one lineage, restore on a fresh
 * instance (and from SQLite, with a fresh store and pool), signature checks, stored bytes that never
 * alias, failed writes that keep the lineage, and incremental snapshot blobs. Public API only, real
 * worker threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CHECKPOINT_FORMAT_VERSION,
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  openSqliteStore,
  type ActorPool,
  type CheckpointMeta,
  type CheckpointStore,
  type CheckpointWrite,
  type WorkflowOptions,
} from '@superstep/runtime';
import { delegatingStore, drain, indexOf, ofType, rejectionOf } from './helpers.ts';
import type { Joined, Touch } from './fixtures/checkpoints.ts';
import { loopGraph } from './checkpoint-graph.ts';

const cp = executorModule<typeof import('./fixtures/checkpoints.ts')>(
  new URL('./fixtures/checkpoints.ts', import.meta.url),
);
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

function buildLoop(options: WorkflowOptions = {}) {
  return loopGraph().build({ pool, ...options });
}

/** What one `save` call shipped. */
interface SaveRecord {
  readonly superstep: number;
  readonly id: string;
  readonly parentId: string | null;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly bodyBytes: number;
  readonly blobHashes: number;
}

/**
 * Wraps a real store: records what each successful `save` shipped, and makes the save calls numbered in
 * `failOn` (1-based) reject without writing anything (failure injection).
 */
function probeStore(inner: CheckpointStore, failOn: ReadonlySet<number> = new Set()) {
  let calls = 0;
  const saves: SaveRecord[] = [];
  const record = (write: CheckpointWrite): SaveRecord => ({
    superstep: write.meta.superstep,
    id: write.meta.id,
    parentId: write.meta.parentId,
    blobs: write.blobs.length,
    blobBytes: write.blobs.reduce((sum, [, bytes]) => sum + bytes.byteLength, 0),
    bodyBytes: write.body.byteLength,
    blobHashes: write.meta.blobHashes.length,
  });
  const store = delegatingStore(inner, {
    async save(write) {
      calls++;
      if (failOn.has(calls)) throw new Error(`injected failure of save #${calls}`);
      await inner.save(write);
      saves.push(record(write));
    },
  });
  return { store, saves };
}

/** The outputs of one uninterrupted run of the loop graph, without any store. */
async function uninterrupted(i: number): Promise<Joined[]> {
  await using wf = await buildLoop();
  return (await wf.run({ i }).result()).outputs as Joined[];
}

/** Each checkpoint is the child of the one before it; the first has no parent. */
function expectChain(metas: readonly CheckpointMeta[]): void {
  metas.forEach((meta, k) => {
    expect(meta.parentId, `parent of the checkpoint of superstep ${meta.superstep}`).toBe(
      k === 0 ? null : metas[k - 1]?.id,
    );
  });
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('guarantee 22: a checkpoint is the consistent cut at a barrier', () => {
  it('guarantee 22: a checkpoint records superstep, graph signature, parent, timestamp (injected clock) and format version, and references every changed actor', async () => {
    await using store = createMemoryStore();
    let clock = 1_700_000_000_000;
    let ids = 0;
    await using wf = await buildLoop({ store, now: () => (clock += 1000), createId: () => `id-${++ids}` });
    const run = wf.run({ i: 0 });
    const { result } = await drain(run);
    const metas = await store.list({ workflowName: 'seed' });
    expect(metas).toHaveLength((result?.supersteps ?? 0) + 1);
    metas.forEach((meta, k) => {
      expect(meta.superstep).toBe(k);
      expect(meta.signature).toBe(wf.signature);
      expect(meta.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
      expect(meta.parentId).toBe(k === 0 ? null : metas[k - 1]?.id);
      expect(meta.runId).toBe(run.runId);
      expect(meta.id).toMatch(/^id-\d+$/);
      expect(meta.createdAt).toBe(1_700_000_000_000 + 1000 * (k + 1));
    });
    // Barrier 2: seed, left and right have changed state; the entry checkpoint references none.
    expect(metas.map((meta) => meta.blobHashes.length)).toEqual([0, 1, 3, 3, 4]);
    const atBarrier2 = await store.load(metas[2]?.id ?? '');
    expect(atBarrier2?.blobs.size).toBe(3);
  });

  it("guarantee 22: restoring the barrier between right's and lag's contributions brings back queued messages, the half-filled fan-in buffer, shared state and actor state", async () => {
    await using store = createMemoryStore();
    await using wf = await buildLoop({ store });
    const { events, result } = await drain(wf.run({ i: 1 }));
    const barrier2 = ofType(events, 'checkpoint.saved').find((e) => e.superstep === 2)?.checkpointId ?? '';

    await using fresh = await buildLoop({ store });
    const meta = await fresh.restore(barrier2);
    expect(meta.superstep).toBe(2);
    const resumed = await drain(fresh.resume());
    // Superstep numbering goes on from the barrier; only lag had a message queued for superstep 3.
    expect(ofType(resumed.events, 'superstep.started').map((e) => e.superstep)).toEqual(range(3, 8));
    expect(
      ofType(resumed.events, 'executor.invoked')
        .filter((e) => e.superstep === 3)
        .map((e) => e.executorId),
    ).toEqual(['lag']);
    // join fires in superstep 4 with right's part from the restored fan-in buffer, not re-sent by right.
    const first = (resumed.result?.outputs as Joined[])[0];
    expect(first?.superstep).toBe(4);
    expect(first?.parts.map((part) => part.from)).toEqual(['left', 'right']);
    expect(resumed.result?.outputs).toEqual(result?.outputs);
  });
});

describe('guarantee 23: lineage', () => {
  it('guarantee 23: a run of N supersteps writes N+1 checkpoints (0..N), each the child of the one before, announced by checkpoint.saved at each barrier', async () => {
    await using store = createMemoryStore();
    await using wf = await buildLoop({ store });
    const run = wf.run({ i: 1 });
    const { events, result } = await drain(run);
    const n = result?.supersteps ?? 0;
    expect(n).toBe(8);
    const metas = await store.list({ workflowName: 'seed' });
    expect(metas.map((meta) => meta.superstep)).toEqual(range(0, n));
    expectChain(metas);
    expect(new Set(metas.map((meta) => meta.lineageId)).size).toBe(1);
    expect(new Set(metas.map((meta) => meta.runId))).toEqual(new Set([run.runId]));

    const saved = ofType(events, 'checkpoint.saved');
    expect(saved.map((e) => [e.superstep, e.checkpointId, e.store])).toEqual(
      metas.map((meta) => [meta.superstep, meta.id, 'memory']),
    );
    // The entry checkpoint comes before superstep 1; checkpoint k inside superstep k, before superstep.completed k.
    expect(indexOf(events, (e) => e.type === 'checkpoint.saved' && e.superstep === 0)).toBeLessThan(
      indexOf(events, (e) => e.type === 'superstep.started' && e.superstep === 1),
    );
    for (let k = 1; k <= n; k++) {
      const at = indexOf(events, (e) => e.type === 'checkpoint.saved' && e.superstep === k);
      expect(at).toBeGreaterThan(indexOf(events, (e) => e.type === 'superstep.started' && e.superstep === k));
      expect(at).toBeLessThan(indexOf(events, (e) => e.type === 'superstep.completed' && e.superstep === k));
    }
  });

  it('guarantee 23: checkpoints are listed under build({ name }) (default: the start executor id); run(input, { store }) checkpoints that run too', async () => {
    await using named = createMemoryStore();
    await using wf = await buildLoop({ store: named, name: 'orders' });
    const first = await wf.run({ i: 0 }).result();
    expect(await named.list({ workflowName: 'orders' })).toHaveLength(first.supersteps + 1);
    expect(await named.list({ workflowName: 'seed' })).toEqual([]);

    await using perRun = createMemoryStore();
    await using plain = await buildLoop();
    const second = await plain.run({ i: 0 }, { store: perRun }).result();
    const metas = await perRun.list({ workflowName: 'seed' });
    expect(metas.map((meta) => meta.superstep)).toEqual(range(0, second.supersteps));
  });

  it("guarantee 23: a second run's entry checkpoint is the child of the first run's last one (same lineage)", async () => {
    await using store = createMemoryStore();
    await using wf = await buildLoop({ store });
    const first = wf.run({ i: 0 });
    await first.result();
    const second = wf.run({ i: 0 });
    await second.result();
    const firstMetas = await store.list({ runId: first.runId });
    const secondMetas = await store.list({ runId: second.runId });
    expect(secondMetas[0]?.superstep).toBe(0);
    expect(secondMetas[0]?.parentId).toBe(firstMetas.at(-1)?.id);
    expect(secondMetas[0]?.lineageId).toBe(firstMetas[0]?.lineageId);
  });

  it("guarantee 23: after restore(id) and resume(), the next checkpoint's parent is id (same instance and fresh instance)", async () => {
    await using store = createMemoryStore();
    await using wf = await buildLoop({ store });
    await wf.run({ i: 1 }).result();
    const original = await store.list({ workflowName: 'seed' });
    const from = original[3];
    if (from === undefined) throw new Error('no checkpoint of superstep 3');

    for (const target of ['same', 'fresh'] as const) {
      await using fresh = target === 'fresh' ? await buildLoop({ store }) : undefined;
      const instance = fresh ?? wf;
      await instance.restore(from.id);
      const run = instance.resume();
      const { events, result } = await drain(run);
      const written = await store.list({ runId: run.runId });
      // A resume writes no entry checkpoint: it goes on with superstep 4.
      expect(
        written.map((meta) => meta.superstep),
        target,
      ).toEqual(range(4, 3 + (result?.supersteps ?? 0)));
      expect(written[0]?.parentId, target).toBe(from.id);
      written.forEach((meta, k) => {
        if (k > 0) expect(meta.parentId, target).toBe(written[k - 1]?.id);
        expect(meta.lineageId, target).toBe(from.lineageId);
      });
      expect(
        ofType(events, 'checkpoint.saved').map((e) => e.checkpointId),
        target,
      ).toEqual(written.map((meta) => meta.id));
    }
  });
});

describe('guarantee 24: restore on a fresh instance yields the same outputs', () => {
  it('guarantee 24: for every checkpoint of a run with actor state, fan-in and shared state, a fresh instance restored from it produces the outputs the uninterrupted run produced after it (memory store)', async () => {
    await using store = createMemoryStore();
    await using wf = await buildLoop({ store });
    const { events, result } = await drain(wf.run({ i: 2 }));
    const outputs = result?.outputs as Joined[];
    // The run is non-trivial: three rounds, every value depending on state, fan-in and shared state.
    expect(outputs.map((o) => o.superstep)).toEqual([4, 8, 12]);
    expect(outputs).toEqual(await uninterrupted(2));
    const saved = ofType(events, 'checkpoint.saved');
    expect(saved.map((e) => e.superstep)).toEqual(range(0, 12));

    for (const { checkpointId, superstep } of saved) {
      await using fresh = await buildLoop({ store });
      await fresh.restore(checkpointId);
      const resumed = await fresh.resume().result();
      expect(resumed.outputs, `restored from superstep ${superstep}`).toEqual(
        outputs.filter((o) => o.superstep > superstep),
      );
      expect(resumed.supersteps, `restored from superstep ${superstep}`).toBe(12 - superstep);
    }
  });

  it('guarantees 24/26: from a SQLite file, a new store on the same file and a new pool (a "fresh process") restore every checkpoint and produce the same outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'superstep-spec24-'));
    try {
      const path = join(dir, 'checkpoints.db');
      let outputs: Joined[];
      {
        await using store = await openSqliteStore({ path });
        await using wf = await buildLoop({ store, name: 'loop' });
        outputs = (await wf.run({ i: 2 }).result()).outputs as Joined[];
      }
      expect(outputs).toEqual(await uninterrupted(2));

      await using store = await openSqliteStore({ path });
      await using otherPool = await createPool({ threads: 2 });
      const metas = await store.list({ workflowName: 'loop' });
      expect(metas.map((meta) => meta.superstep)).toEqual(range(0, 12));
      for (const meta of metas) {
        await using fresh = await loopGraph().build({ pool: otherPool, store, name: 'loop' });
        await fresh.restore(meta.id);
        const resumed = await fresh.resume().result();
        expect(resumed.outputs, `restored from superstep ${meta.superstep}`).toEqual(
          outputs.filter((o) => o.superstep > meta.superstep),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guarantee 24: a host lost between a restore and the next superstep', () => {
  it('guarantee 24: hosts killed right after restore() are rebuilt with the restored state, and the resumed run produces the outputs the uninterrupted run produced after the checkpoint', async () => {
    await using store = createMemoryStore();
    // Its own pool: both of its threads are killed.
    await using hosts = await createPool({ threads: 2 });
    await using wf = await loopGraph().build({ pool: hosts, store });
    const outputs = (await wf.run({ i: 2 }).result()).outputs as Joined[];
    const from = (await store.list({ workflowName: 'seed' })).find((meta) => meta.superstep === 5);
    if (from === undefined) throw new Error('no checkpoint of superstep 5');
    // Move every actor away from the checkpoint, so a host that kept its old state would show.
    await wf.run({ i: 2 }).result();

    // The restore's commit is owed to the next batch; the hosts that prepared it die before that batch.
    await wf.restore(from.id);
    hosts.kill(0, 'test: lost between restore and resume');
    hosts.kill(1, 'test: lost between restore and resume');
    const resumed = await wf.resume().result();
    expect(resumed.outputs).toEqual(outputs.filter((output) => output.superstep > 5));
    expect(resumed.supersteps).toBe(12 - 5);
  });
});

describe('guarantee 25: restoring into a different graph', () => {
  it('guarantee 25: a checkpoint of another graph is refused with CHECKPOINT_SIGNATURE_MISMATCH and the instance is unchanged', async () => {
    await using store = createMemoryStore();
    // A: kick → count. B: kick → { count, sink }. B2: like A, but "count" is other code.
    await using a = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addEdge('kick', basic.executor('counter', { id: 'count' }))
      .build({ pool, store, name: 'A' });
    await using b = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addFanOut('kick', [basic.executor('counter', { id: 'count' }), basic.executor('sink')])
      .build({ pool, store, name: 'B' });
    await using b2 = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
      .addEdge('kick', basic.executor('sink', { id: 'count' }))
      .build({ pool, store, name: 'B2' });
    expect(new Set([a.signature, b.signature, b2.signature]).size).toBe(3);

    await a.run('a1').result();
    await a.run('a2').result();
    const fromA = await store.latest({ workflowName: 'A' });
    if (fromA === undefined) throw new Error('A wrote no checkpoint');

    expect((await b.run('b1').result()).outputs).toContain(1);
    expect((await b.run('b2').result()).outputs).toContain(2);
    const lastOfB = await store.latest({ workflowName: 'B' });

    for (const target of [b, b2]) {
      const error = await rejectionOf(target.restore(fromA.id));
      expect(error.code).toBe('CHECKPOINT_SIGNATURE_MISMATCH');
      expect(target.status).toBe('idle');
    }
    // B goes on exactly as before: its counter from 2 to 3, its lineage from its own last checkpoint.
    const next = b.run('b3');
    const { result } = await drain(next);
    expect([...(result?.outputs ?? [])].sort()).toEqual([3, 'b3']);
    const entry = (await store.list({ runId: next.runId }))[0];
    expect(entry?.parentId).toBe(lastOfB?.id);
    expect(entry?.lineageId).toBe(lastOfB?.lineageId);
    // B2 never ran: still fresh.
    expect((await b2.run('first').result()).outputs).toEqual(['first']);
  });
});

describe('guarantee 26: stored checkpoints never alias live state', () => {
  /** Runs the loop with checkpoints in `store`: its outputs, and the checkpoint of superstep 5. */
  async function checkpointedRun(store: CheckpointStore) {
    await using wf = await buildLoop({ store });
    const outputs = (await wf.run({ i: 1 }).result()).outputs as Joined[];
    const meta = (await store.list({ workflowName: 'seed' }))[5];
    if (meta === undefined) throw new Error('no checkpoint of superstep 5');
    return { after: outputs.filter((o) => o.superstep > 5), meta };
  }

  it('guarantee 26: mutating the bytes of a checkpoint loaded from the memory store does not change a later load, nor what a restore produces', async () => {
    await using store = createMemoryStore();
    const { after, meta } = await checkpointedRun(store);

    const loaded = await store.load(meta.id);
    const body = Uint8Array.from(loaded?.body ?? []);
    const blobs = new Map([...(loaded?.blobs ?? [])].map(([hash, bytes]) => [hash, Uint8Array.from(bytes)]));
    expect(blobs.size).toBeGreaterThan(0);
    loaded?.body.fill(0);
    for (const bytes of loaded?.blobs.values() ?? []) bytes.fill(0);

    const again = await store.load(meta.id);
    expect(again?.body).toEqual(body);
    expect(again?.blobs).toEqual(blobs);
    await using fresh = await buildLoop({ store });
    await fresh.restore(meta.id);
    expect((await fresh.resume().result()).outputs).toEqual(after);
  });

  it("guarantee 26: a restore shares the memory store's bytes without changing them — after restoring and running on, the checkpoint loads the same and restores to the same outputs", async () => {
    await using store = createMemoryStore();
    const { after, meta } = await checkpointedRun(store);
    const before = await store.load(meta.id);
    expect(before?.blobs.size).toBeGreaterThan(0);

    // The restored instance runs on from the checkpoint, changing every actor's state it restored.
    await using fresh = await buildLoop({ store });
    await fresh.restore(meta.id);
    expect((await fresh.resume().result()).outputs).toEqual(after);
    await fresh.restore(meta.id);
    expect((await fresh.resume().result()).outputs).toEqual(after);

    const stored = await store.load(meta.id);
    expect(stored?.body).toEqual(before?.body);
    expect(stored?.blobs).toEqual(before?.blobs);
  });
});

describe('guarantee 26: what the runtime hands a store cannot be changed', () => {
  it('guarantee 26: every write is frozen all the way down — a store (or a wrapper) that tries to change it fails, and the run goes on with its lineage intact', async () => {
    const writes: CheckpointWrite[] = [];
    const inner = createMemoryStore();
    let tampered = 0;
    const store = delegatingStore(inner, {
      async save(write) {
        writes.push(write);
        // A wrapper that adds a blob on the way: refused by the frozen write, so nothing else is stored.
        if (writes.length === 2) {
          tampered++;
          (write.blobs as unknown as unknown[]).push(['0'.repeat(64), new Uint8Array(1)]);
        }
        await inner.save(write);
      },
    });
    await using _store = store;
    await using wf = await buildLoop({ store, logger: { warn: () => undefined } });
    const { events, result } = await drain(wf.run({ i: 1 }));
    expect(result?.outputs).toEqual(await uninterrupted(1));
    expect(tampered).toBe(1);
    expect(ofType(events, 'warning').filter((w) => w.code === 'CHECKPOINT_FAILED')).toHaveLength(1);
    for (const write of writes) {
      expect(Object.isFrozen(write)).toBe(true);
      expect(Object.isFrozen(write.meta)).toBe(true);
      expect(Object.isFrozen(write.meta.blobHashes)).toBe(true);
      expect(Object.isFrozen(write.blobs)).toBe(true);
      for (const pair of write.blobs) expect(Object.isFrozen(pair)).toBe(true);
    }
    const metas = await inner.list({ workflowName: 'seed' });
    expect(metas.map((meta) => meta.superstep)).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
    expectChain(metas);
  });
});

describe('guarantee 27: failed checkpoint writes', () => {
  it('guarantee 27: a failed write is reported by a CHECKPOINT_FAILED warning and the logger; the run succeeds and the next checkpoint is the child of the last one written', async () => {
    const { store, saves } = probeStore(createMemoryStore(), new Set([3]));
    await using _store = store;
    const warn = vi.fn();
    await using wf = await buildLoop({ store, logger: { warn } });
    const { events, result } = await drain(wf.run({ i: 1 }));

    expect(result?.status).toBe('idle');
    expect(result?.outputs).toEqual(await uninterrupted(1));
    const failures = ofType(events, 'warning').filter((w) => w.code === 'CHECKPOINT_FAILED');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ superstep: 2, details: { store: 'memory' } });
    const at = indexOf(events, (e) => e.type === 'warning' && e.code === 'CHECKPOINT_FAILED');
    expect(at).toBeGreaterThan(indexOf(events, (e) => e.type === 'superstep.started' && e.superstep === 2));
    expect(at).toBeLessThan(indexOf(events, (e) => e.type === 'superstep.completed' && e.superstep === 2));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('injected failure of save #3');

    expect(ofType(events, 'checkpoint.saved').map((e) => e.superstep)).toEqual([0, 1, 3, 4, 5, 6, 7, 8]);
    const metas = await store.list({ workflowName: 'seed' });
    expect(metas.map((meta) => meta.superstep)).toEqual([0, 1, 3, 4, 5, 6, 7, 8]);
    expectChain(metas);
    expect(saves.map((s) => s.id)).toEqual(metas.map((meta) => meta.id));
  });

  it('guarantee 27: failed entry and consecutive writes leave no gap in the lineage, and the checkpoints after them restore correctly', async () => {
    const { store } = probeStore(createMemoryStore(), new Set([1, 4, 5]));
    await using _store = store;
    const warn = vi.fn();
    await using wf = await buildLoop({ store, logger: { warn } });
    const { events, result } = await drain(wf.run({ i: 1 }));
    const outputs = result?.outputs as Joined[];
    expect(
      ofType(events, 'warning')
        .filter((w) => w.code === 'CHECKPOINT_FAILED')
        .map((w) => w.superstep),
    ).toEqual([0, 3, 4]);
    expect(warn).toHaveBeenCalledTimes(3);

    const metas = await store.list({ workflowName: 'seed' });
    expect(metas.map((meta) => meta.superstep)).toEqual([1, 2, 5, 6, 7, 8]);
    expectChain(metas);
    // Each checkpoint written after a failure is complete: it restores on a fresh instance.
    for (const meta of metas) {
      await using fresh = await buildLoop({ store, logger: { warn: () => undefined } });
      await fresh.restore(meta.id);
      expect((await fresh.resume().result()).outputs, `from superstep ${meta.superstep}`).toEqual(
        outputs.filter((o) => o.superstep > meta.superstep),
      );
    }
  });
});

describe('guarantee 28: incremental checkpoints', () => {
  const ACTORS = 16;
  const STATE_BYTES = 16 * 1024;
  const HOPS = 8;
  const ids = Array.from({ length: ACTORS }, (_, k) => `bulky-${k}`);

  /** spread fans out to 16 bulky actors, chained bulky-0 → bulky-1 → … → bulky-15 for the token. */
  function bulkyGraph() {
    let builder = new WorkflowBuilder(basic.executor('forward', { id: 'spread' })).addFanOut(
      'spread',
      ids.map((id) => cp.executor('bulky', { id })),
    );
    for (let k = 0; k + 1 < ACTORS; k++) builder = builder.addEdge(`bulky-${k}`, `bulky-${k + 1}`);
    return builder;
  }
  const input: Touch = { kind: 'init', bytes: STATE_BYTES, first: 'bulky-0', hops: HOPS };

  it('guarantee 28: with 16 actors of ~16 KB state and one changing per superstep, each checkpoint ships only the changed blob', async () => {
    const { store, saves } = probeStore(createMemoryStore());
    await using _store = store;
    await using wf = await bulkyGraph().build({ pool, store });
    const result = await wf.run(input).result();
    // 1: spread; 2: every actor fills its state; 3..10: the token touches bulky-1..bulky-8.
    expect(result.supersteps).toBe(2 + HOPS);
    expect(result.outputs).toEqual(range(1, HOPS).map((k) => ({ touched: `bulky-${k}`, superstep: k + 2 })));
    expect(saves.map((s) => s.superstep)).toEqual(range(0, 2 + HOPS));

    const bySuperstep = new Map(saves.map((s) => [s.superstep, s]));
    expect(bySuperstep.get(0)?.blobs).toBe(0);
    expect(bySuperstep.get(1)?.blobs).toBe(0);
    expect(bySuperstep.get(2)?.blobs).toBe(ACTORS);
    expect(bySuperstep.get(2)?.blobBytes).toBeGreaterThanOrEqual(ACTORS * STATE_BYTES);
    for (let superstep = 3; superstep <= 2 + HOPS; superstep++) {
      const save = bySuperstep.get(superstep);
      expect(save?.blobs, `superstep ${superstep}`).toBe(1);
      expect(save?.blobBytes, `superstep ${superstep}`).toBeLessThan(2 * STATE_BYTES);
      // Every checkpoint still references all 16 actors; its body holds only their hashes.
      expect(save?.blobHashes, `superstep ${superstep}`).toBe(ACTORS);
      expect(save?.bodyBytes, `superstep ${superstep}`).toBeLessThan(STATE_BYTES);
    }
    const shipped = saves.filter((s) => s.superstep > 2).reduce((sum, s) => sum + s.blobBytes + s.bodyBytes, 0);
    expect(shipped).toBeLessThan((HOPS * ACTORS * STATE_BYTES) / 4);
    // The last checkpoint is still whole: loading it yields every actor's blob.
    expect((await store.load(saves.at(-1)?.id ?? ''))?.blobs.size).toBe(ACTORS);
  });

  it('guarantee 28: after a restore, a resumed run ships only the blobs of actors it changes (the store already holds the rest)', async () => {
    const { store, saves } = probeStore(createMemoryStore());
    await using _store = store;
    await using wf = await bulkyGraph().build({ pool, store });
    await wf.run(input).result();
    const from = saves.find((s) => s.superstep === 5);
    if (from === undefined) throw new Error('no checkpoint of superstep 5');
    const before = saves.length;

    await using fresh = await bulkyGraph().build({ pool, store });
    await fresh.restore(from.id);
    const resumed = await fresh.resume().result();
    expect(resumed.outputs).toEqual(range(4, HOPS).map((k) => ({ touched: `bulky-${k}`, superstep: k + 2 })));
    const after = saves.slice(before);
    expect(after.map((s) => s.superstep)).toEqual(range(6, 2 + HOPS));
    for (const save of after) {
      expect(save.blobs, `superstep ${save.superstep}`).toBe(1);
      expect(save.blobBytes, `superstep ${save.superstep}`).toBeLessThan(2 * STATE_BYTES);
    }
  });
});
