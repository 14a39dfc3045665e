/**
 * The one contract every checkpoint store passes (guarantee 26). A store's test file calls
 * {@link describeCheckpointStoreContract} with a factory that opens a fresh, empty store; everything here
 * goes through the public {@link CheckpointStore} interface, so a new store gets the whole suite for free.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuperstepError, type ErrorCode } from '../../shared/errors.ts';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointMeta,
  type CheckpointStore,
  type CheckpointWrite,
} from './checkpoint-store.ts';

/** What a factory hands the suite: a fresh, empty store and how to look behind it. */
export interface StoreUnderTest {
  readonly store: CheckpointStore;
  /** Opens the same storage again (durable stores): the suite checks that nothing is lost on close. */
  readonly reopen?: () => Promise<CheckpointStore>;
  /** How many blobs the storage physically holds, to check that duplicates are stored once. */
  readonly countBlobs?: () => Promise<number>;
  /** Removes what the store left behind (temp directory, tables). Runs after every store is closed. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * Registers the contract suite for one store implementation.
 *
 * @example
 * describeCheckpointStoreContract('memory', async () => ({ store: createMemoryStore() }));
 */
export function describeCheckpointStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`checkpoint store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: CheckpointStore;
    const reopened: CheckpointStore[] = [];

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });

    afterEach(async () => {
      for (const opened of [store, ...reopened.splice(0)]) await opened.close();
      await subject.cleanup?.();
    });

    /** Saving a checkpoint that names `hash` without shipping it tells whether the store still has it. */
    async function hasBlob(target: CheckpointStore, hash: string): Promise<boolean> {
      const id = `probe-${++probes}`;
      try {
        await target.save(checkpoint(id, { blobs: [[hash, new Uint8Array(0)]], ship: false }));
      } catch (error) {
        if (error instanceof SuperstepError && error.code === 'CHECKPOINT_BLOB_MISSING') return false;
        throw error;
      }
      await target.delete(id);
      return true;
    }

    describe('save and load', () => {
      it('round-trips meta, body and every blob', async () => {
        const x = blob('x');
        const y = blob('y');
        const write = checkpoint('c1', { blobs: [x, y], body: bytes('the cut') });
        await store.save(write);
        const read = await store.load('c1');
        expect(read?.meta).toEqual(write.meta);
        expect(read?.body).toEqual(bytes('the cut'));
        expect(read?.blobs).toEqual(new Map([x, y]));
        expect(typeof store.kind).toBe('string');
      });

      it('never aliases: bytes and metas passed to save or returned by load can change without effect', async () => {
        const x = blob('snapshot');
        const write = checkpoint('c1', { blobs: [x], body: bytes('body') });
        await store.save(write);
        write.body.fill(0);
        write.blobs[0]?.[1].fill(0);
        (write.meta.blobHashes as string[]).push(sha256(bytes('other')));
        const first = await store.load('c1');
        expect(first?.body).toEqual(bytes('body'));
        expect(first?.blobs.get(x[0])).toEqual(bytes('snapshot'));
        expect(first?.meta.blobHashes).toEqual([x[0]]);
        first?.body.fill(7);
        first?.blobs.get(x[0])?.fill(7);
        const second = await store.load('c1');
        expect(second?.body).toEqual(bytes('body'));
        expect(second?.blobs.get(x[0])).toEqual(bytes('snapshot'));
      });

      it('round-trips why a checkpoint was written and how its run stood; leaves them absent when not given (guarantee 56)', async () => {
        const states = [
          { reason: 'entry', runStatus: 'running' },
          { reason: 'barrier', runStatus: 'completed' },
          { reason: 'final', runStatus: 'failed' },
          { reason: 'final', runStatus: 'cancelled' },
          { reason: 'response', runStatus: 'waiting' },
          { reason: 'manual' },
        ] as const;
        for (const [index, state] of states.entries()) {
          await store.save(checkpoint(`s${index}`, { ...state, createdAt: 1000 + index }));
        }
        await store.save(checkpoint('older', { createdAt: 2000 }));
        for (const [index, state] of states.entries()) {
          const meta = (await store.load(`s${index}`))?.meta;
          expect(meta?.reason).toBe(state.reason);
          expect(meta?.runStatus).toBe('runStatus' in state ? state.runStatus : undefined);
        }
        const listed = await store.list();
        expect(listed.map((meta) => meta.runStatus)).toEqual([
          ...states.map((state) => ('runStatus' in state ? state.runStatus : undefined)),
          undefined,
        ]);
        const older = await store.latest();
        expect(older?.id).toBe('older');
        expect(older !== undefined && ('reason' in older || 'runStatus' in older)).toBe(false);
        expect((await store.latest({ runId: 'run-1' }))?.id).toBe('older');
      });

      it('loads an unknown id as undefined', async () => {
        expect(await store.load('nope')).toBeUndefined();
      });

      it('stores an empty body and a checkpoint without blobs', async () => {
        await store.save(checkpoint('empty', { body: new Uint8Array(0) }));
        const read = await store.load('empty');
        expect(read?.body).toEqual(new Uint8Array(0));
        expect(read?.blobs.size).toBe(0);
      });

      it('refuses ids that could escape a store or are malformed, for save, load and delete', async () => {
        for (const id of BAD_IDS) {
          await expectCode(store.save(checkpoint(id)), 'CHECKPOINT_ID_INVALID');
          await expectCode(store.load(id), 'CHECKPOINT_ID_INVALID');
          await expectCode(store.delete(id), 'CHECKPOINT_ID_INVALID');
        }
        await expectCode(store.save(checkpoint('ok', { parentId: '../parent' })), 'CHECKPOINT_ID_INVALID');
        const longest = 'a'.repeat(128);
        await store.save(checkpoint(longest));
        expect((await store.list()).map((meta) => meta.id)).toEqual([longest]);
      });

      it('refuses malformed writes with INVALID_OPTION and stores nothing', async () => {
        const good = checkpoint('c1');
        const bad: unknown[] = [
          { ...good, meta: { ...good.meta, superstep: -1 } },
          { ...good, meta: { ...good.meta, superstep: 1.5 } },
          { ...good, meta: { ...good.meta, createdAt: Number.NaN } },
          { ...good, meta: { ...good.meta, workflowName: 42 } },
          { ...good, meta: { ...good.meta, blobHashes: ['ABC'] } },
          { ...good, meta: { ...good.meta, reason: 'because' } },
          { ...good, meta: { ...good.meta, runStatus: 'crashed' } },
          { ...good, meta: { ...good.meta, runStatus: 1 } },
          { ...good, body: 'not bytes' },
          { ...good, blobs: [['../../escape', bytes('x')]] },
        ];
        for (const write of bad) await expectCode(store.save(write as CheckpointWrite), 'INVALID_OPTION');
        expect(await store.list()).toEqual([]);
      });

      it('refuses a second save under one id and keeps the first', async () => {
        await store.save(checkpoint('c1', { body: bytes('first') }));
        await expectCode(store.save(checkpoint('c1', { body: bytes('second') })), 'CHECKPOINT_EXISTS');
        expect((await store.load('c1'))?.body).toEqual(bytes('first'));
      });

      it('rejects a checkpoint naming a blob neither shipped nor stored, and writes none of it', async () => {
        const shipped = blob('shipped');
        const absent = blob('absent');
        const write = { ...checkpoint('c1', { blobs: [shipped, absent] }), blobs: [shipped] };
        await expectCode(store.save(write), 'CHECKPOINT_BLOB_MISSING');
        expect(await store.load('c1')).toBeUndefined();
        expect(await store.list()).toEqual([]);
        expect(await hasBlob(store, shipped[0])).toBe(false);
      });

      it('needs a stored blob shipped only once', async () => {
        const x = blob('x');
        await store.save(checkpoint('c1', { blobs: [x] }));
        await store.save(checkpoint('c2', { blobs: [x], ship: false }));
        expect((await store.load('c2'))?.blobs).toEqual(new Map([x]));
      });

      it('stores a blob shipped by several checkpoints once (the bytes first stored win)', async () => {
        const x = blob('x');
        const y = blob('y');
        await store.save(checkpoint('c1', { blobs: [x] }));
        await store.save({ ...checkpoint('c2', { blobs: [x, y] }), blobs: [[x[0], bytes('impostor')], y, y] });
        expect((await store.load('c2'))?.blobs).toEqual(new Map([x, y]));
        if (subject.countBlobs !== undefined) expect(await subject.countBlobs()).toBe(2);
      });

      it('lands concurrent saves that share blobs', async () => {
        const shared = blob('shared');
        const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
        await Promise.all(ids.map((id) => store.save(checkpoint(id, { blobs: [shared, blob(`own-${id}`)] }))));
        for (const id of ids) expect((await store.load(id))?.blobs.get(shared[0])).toEqual(shared[1]);
        if (subject.countBlobs !== undefined) expect(await subject.countBlobs()).toBe(9);
      });
    });

    describe('list and latest', () => {
      it('lists oldest first: by createdAt, then save order (not superstep: it restarts with every run)', async () => {
        await store.save(checkpoint('late', { createdAt: 3000, superstep: 0 }));
        await store.save(checkpoint('step5', { createdAt: 1000, superstep: 5 }));
        // Tied on createdAt, saved in the opposite of their ids' alphabetical order; a later run's
        // checkpoint at a lower superstep is still newer.
        await store.save(checkpoint('tie-z', { createdAt: 1000, superstep: 2 }));
        await store.save(checkpoint('middle', { createdAt: 2000, superstep: 1 }));
        await store.save(checkpoint('tie-m', { createdAt: 1000, superstep: 2 }));
        await store.save(checkpoint('tie-a', { createdAt: 1000, superstep: 0 }));
        expect(ids(await store.list())).toEqual(['step5', 'tie-z', 'tie-m', 'tie-a', 'middle', 'late']);
        expect((await store.latest({ lineageId: 'L1', runId: 'run-1' }))?.id).toBe('late');
        expect(ids(await store.list({ workflowName: 'wf' })).slice(0, 4)).toEqual(['step5', 'tie-z', 'tie-m', 'tie-a']);
        expect((await store.latest())?.id).toBe('late');
      });

      it('filters by workflowName, lineageId and runId, alone and together', async () => {
        await store.save(checkpoint('a', { workflowName: 'A', lineageId: 'L1', runId: 'r1', createdAt: 1 }));
        await store.save(checkpoint('b', { workflowName: 'A', lineageId: 'L1', runId: 'r2', createdAt: 2 }));
        await store.save(checkpoint('c', { workflowName: 'A', lineageId: 'L2', runId: 'r3', createdAt: 3 }));
        await store.save(checkpoint('d', { workflowName: 'B', lineageId: 'L3', runId: 'r4', createdAt: 4 }));
        await store.save(checkpoint('e', { workflowName: 'A', lineageId: 'L1', runId: null, createdAt: 5 }));
        expect(ids(await store.list({ workflowName: 'A' }))).toEqual(['a', 'b', 'c', 'e']);
        expect(ids(await store.list({ lineageId: 'L1' }))).toEqual(['a', 'b', 'e']);
        expect(ids(await store.list({ runId: 'r2' }))).toEqual(['b']);
        expect(ids(await store.list({ workflowName: 'A', lineageId: 'L1', runId: 'r1' }))).toEqual(['a']);
        expect(ids(await store.list({ workflowName: 'B', lineageId: 'L1' }))).toEqual([]);
        expect(ids(await store.list({}))).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect((await store.latest({ workflowName: 'A' }))?.id).toBe('e');
        expect((await store.latest({ lineageId: 'L2' }))?.id).toBe('c');
        expect((await store.latest({ runId: 'r1' }))?.id).toBe('a');
        expect(await store.latest({ workflowName: 'C' })).toBeUndefined();
      });

      it('lists nothing and has no latest when empty', async () => {
        expect(await store.list()).toEqual([]);
        expect(await store.latest()).toBeUndefined();
      });

      it('refuses malformed filters', async () => {
        await expectCode(store.list({ workflowName: 5 as unknown as string }), 'INVALID_OPTION');
        await expectCode(store.latest({ runId: null as unknown as string }), 'INVALID_OPTION');
      });
    });

    describe('delete', () => {
      it('removes one checkpoint and the blobs nothing else names', async () => {
        const shared = blob('shared');
        const own = blob('own');
        await store.save(checkpoint('c1', { blobs: [shared, own], createdAt: 1 }));
        await store.save(checkpoint('c2', { blobs: [shared], ship: false, createdAt: 2 }));
        expect(await store.delete('c1')).toBe(true);
        expect(await store.load('c1')).toBeUndefined();
        expect(ids(await store.list())).toEqual(['c2']);
        expect((await store.load('c2'))?.blobs).toEqual(new Map([shared]));
        expect(await hasBlob(store, own[0])).toBe(false);
        expect(await hasBlob(store, shared[0])).toBe(true);
        if (subject.countBlobs !== undefined) expect(await subject.countBlobs()).toBe(1);
        expect(await store.delete('c1')).toBe(false);
        expect(await store.delete('c2')).toBe(true);
        expect(await hasBlob(store, shared[0])).toBe(false);
      });
    });

    describe('prune', () => {
      /** Lineage L1: supersteps 0–3; lineage L2: 0–2. Each has a blob of its own and one shared by all. */
      async function seed(): Promise<{ shared: Blob; own: Map<string, Blob> }> {
        const shared = blob('shared');
        const own = new Map<string, Blob>();
        const lineages = [
          ['L1', 4],
          ['L2', 3],
        ] as const;
        for (const [lineageId, count] of lineages) {
          for (let superstep = 0; superstep < count; superstep++) {
            const id = `${lineageId}-${superstep}`;
            own.set(id, blob(`own-${id}`));
            const blobs = [shared, own.get(id) ?? blob('')];
            await store.save(checkpoint(id, { lineageId, superstep, createdAt: 1000 + superstep * 100, blobs }));
          }
        }
        return { shared, own };
      }

      it('keepLast keeps the newest N of each lineage, loadable, and drops blobs only they named', async () => {
        const { shared, own } = await seed();
        expect(await store.prune({ keepLast: 2 })).toBe(3);
        const kept = ['L2-1', 'L1-2', 'L2-2', 'L1-3'];
        expect(ids(await store.list())).toEqual(kept);
        for (const id of kept) {
          expect((await store.load(id))?.blobs).toEqual(new Map([shared, own.get(id) ?? blob('')]));
        }
        for (const id of ['L1-0', 'L1-1', 'L2-0']) expect(await hasBlob(store, own.get(id)?.[0] ?? '')).toBe(false);
        expect(await hasBlob(store, shared[0])).toBe(true);
        if (subject.countBlobs !== undefined) expect(await subject.countBlobs()).toBe(5);
      });

      it('keepLast 1 keeps what latest returns, also after a resume went back to an earlier superstep', async () => {
        await store.save(checkpoint('s0', { superstep: 0, createdAt: 1 }));
        await store.save(checkpoint('s1', { superstep: 1, createdAt: 2, parentId: 's0' }));
        await store.save(checkpoint('s2', { superstep: 2, createdAt: 3, parentId: 's1' }));
        await store.save(checkpoint('resumed', { superstep: 1, createdAt: 4, parentId: 's0' }));
        expect((await store.latest({ lineageId: 'L1' }))?.id).toBe('resumed');
        expect(await store.prune({ keepLast: 1 })).toBe(3);
        expect(ids(await store.list())).toEqual(['resumed']);
      });

      it('olderThan drops checkpoints created before the time, not at it', async () => {
        const { own } = await seed();
        expect(await store.prune({ olderThan: 1100 })).toBe(2);
        expect(ids(await store.list())).toEqual(['L1-1', 'L2-1', 'L1-2', 'L2-2', 'L1-3']);
        expect(await hasBlob(store, own.get('L1-0')?.[0] ?? '')).toBe(false);
        expect(await store.load('L1-1')).toBeDefined();
      });

      it('drops what either rule drops, within the policy filter only', async () => {
        await seed();
        await store.save(checkpoint('other', { workflowName: 'other', lineageId: 'L9', createdAt: 0 }));
        expect(await store.prune({ keepLast: 3, olderThan: 1200, filter: { workflowName: 'wf' } })).toBe(4);
        expect(ids(await store.list())).toEqual(['other', 'L1-2', 'L2-2', 'L1-3']);
        expect(await store.prune({ keepLast: 0, filter: { lineageId: 'L2' } })).toBe(1);
        expect(ids(await store.list())).toEqual(['other', 'L1-2', 'L1-3']);
        expect(await store.prune({ keepLast: 5 })).toBe(0);
      });

      it('refuses a policy without rules or with bad values', async () => {
        await expectCode(store.prune({}), 'INVALID_OPTION');
        await expectCode(store.prune({ keepLast: -1 }), 'INVALID_OPTION');
        await expectCode(store.prune({ olderThan: Number.POSITIVE_INFINITY }), 'INVALID_OPTION');
        await expectCode(store.prune({ keepLast: 1, filter: { lineageId: 3 as unknown as string } }), 'INVALID_OPTION');
      });
    });

    describe('close', () => {
      it('lets calls in flight finish, is idempotent, and refuses later calls with CHECKPOINT_STORE_CLOSED', async () => {
        const saving = store.save(checkpoint('c1'));
        await Promise.all([store.close(), store.close()]);
        await saving;
        await expectCode(store.save(checkpoint('c2')), 'CHECKPOINT_STORE_CLOSED');
        await expectCode(store.load('c1'), 'CHECKPOINT_STORE_CLOSED');
        await expectCode(store.list(), 'CHECKPOINT_STORE_CLOSED');
        await expectCode(store.latest(), 'CHECKPOINT_STORE_CLOSED');
        await expectCode(store.delete('c1'), 'CHECKPOINT_STORE_CLOSED');
        await expectCode(store.prune({ keepLast: 1 }), 'CHECKPOINT_STORE_CLOSED');
      });

      it('closes through Symbol.asyncDispose', async () => {
        await store[Symbol.asyncDispose]();
        await expectCode(store.list(), 'CHECKPOINT_STORE_CLOSED');
      });
    });

    describe('durability', () => {
      it('keeps checkpoints, blobs and save order across close and reopen', async (context) => {
        // Only stores that outlive their process can be reopened; the memory store has no `reopen` and
        // skips this case by design (it keeps nothing past `close()`).
        if (subject.reopen === undefined) return context.skip();
        const x = blob('x');
        await store.save(checkpoint('c1', { blobs: [x], createdAt: 5 }));
        await store.save(checkpoint('c2', { blobs: [x], ship: false, createdAt: 5 }));
        await store.close();
        const again = await subject.reopen();
        reopened.push(again);
        expect(ids(await again.list())).toEqual(['c1', 'c2']);
        expect((await again.load('c2'))?.blobs).toEqual(new Map([x]));
        await again.save(checkpoint('c3', { blobs: [x], ship: false, createdAt: 5 }));
        expect((await again.latest())?.id).toBe('c3');
        await again.delete('c1');
        await again.delete('c2');
        expect(await hasBlob(again, x[0])).toBe(true);
      });
    });
  });
}

type Blob = [hash: string, bytes: Uint8Array];

let probes = 0;

/** Ids no store may accept: path tricks, separators, dots, non-ASCII, empty, too long. */
export const BAD_IDS: readonly string[] = [
  '',
  '.',
  '..',
  '../x',
  '../../etc/passwd',
  '/etc/passwd',
  'a/b',
  'a\\b',
  'C:x',
  'a.b',
  '%2e%2e%2fx',
  'a b',
  'a\0b',
  'é',
  'x'.repeat(129),
];

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function blob(text: string): Blob {
  const data = bytes(text);
  return [sha256(data), data];
}

function ids(metas: readonly CheckpointMeta[]): string[] {
  return metas.map((meta) => meta.id);
}

interface CheckpointOptions extends Partial<Omit<CheckpointMeta, 'id' | 'blobHashes'>> {
  /** Blobs the checkpoint names (and ships unless `ship` is false). */
  readonly blobs?: readonly Blob[];
  readonly ship?: boolean;
  readonly body?: Uint8Array;
}

/** A write with sensible defaults: workflow `wf`, lineage `L1`, superstep 0 (the fencing suite's too). */
export function checkpoint(id: string, options: CheckpointOptions = {}): CheckpointWrite {
  const { blobs = [], ship = true, body = bytes(`body of ${id}`), ...meta } = options;
  return {
    meta: {
      id,
      workflowName: 'wf',
      lineageId: 'L1',
      runId: 'run-1',
      parentId: null,
      superstep: 0,
      createdAt: 1000,
      signature: 'sig',
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      ...meta,
      blobHashes: blobs.map(([hash]) => hash),
    },
    body,
    blobs: ship ? blobs.map(([hash, data]) => [hash, new Uint8Array(data)] as const) : [],
  };
}

/** Awaits a rejection and checks it is a {@link SuperstepError} with `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `expected a rejection with ${code}`).toBeInstanceOf(SuperstepError);
  expect((error as SuperstepError).code).toBe(code);
}
