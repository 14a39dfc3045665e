/**
 * Validation every checkpoint store runs at its public boundary, so all stores accept and refuse the same
 * inputs (the contract suite checks this). Internals take the normalized, frozen values these return.
 */
import { SuperstepError } from '../../shared/errors.ts';
import { invalidOption } from '../../shared/options.ts';
import {
  CHECKPOINT_REASONS,
  CHECKPOINT_RUN_STATUSES,
  type CheckpointFence,
  type CheckpointFilter,
  type CheckpointMeta,
  type CheckpointRead,
  type CheckpointStore,
  type CheckpointWrite,
  type RetentionPolicy,
} from './checkpoint-store.ts';

/** Safe as a file name on every platform we run on, so an id can never name a path outside a store. */
const CHECKPOINT_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** 64 lowercase hex characters (shared/blob-key.ts): blob keys are file names in the file store. */
const BLOB_HASH = /^[0-9a-f]{64}$/;

/**
 * Hashes already seen to be well-formed. A checkpoint names every actor's blob, and consecutive
 * checkpoints name mostly the same ones: a set lookup instead of a regular expression per hash per save
 * (64 actors: about 17 µs of every save, measured). Bounded: emptied when it grows large.
 */
const wellFormed = new Set<string>();
const WELL_FORMED_LIMIT = 65_536;

/** Whether `hash` is a well-formed blob key: 64 lowercase hex characters. */
export function isBlobHash(hash: unknown): hash is string {
  if (typeof hash !== 'string') return false;
  if (wellFormed.has(hash)) return true;
  if (!BLOB_HASH.test(hash)) return false;
  if (wellFormed.size >= WELL_FORMED_LIMIT) wellFormed.clear();
  wellFormed.add(hash);
  return true;
}

/** Throws `CHECKPOINT_ID_INVALID` unless `id` is 1–128 characters of `[A-Za-z0-9_-]`. */
export function assertCheckpointId(id: unknown, name = 'id'): asserts id is string {
  if (typeof id !== 'string' || !CHECKPOINT_ID.test(id)) {
    throw new SuperstepError('CHECKPOINT_ID_INVALID', `${name} must be 1–128 characters of [A-Za-z0-9_-]`, {
      details: { option: name, id: typeof id === 'string' ? id.slice(0, 200) : typeof id },
    });
  }
}

/** The ids a write names (its own and its parent's): the one id rule, for every write from any source. */
function assertWriteIds<Meta extends { readonly id?: unknown; readonly parentId?: unknown }>(
  meta: Meta,
): asserts meta is Meta & { readonly id: string; readonly parentId: string | null } {
  assertCheckpointId(meta.id, 'write.meta.id');
  if (meta.parentId !== null) assertCheckpointId(meta.parentId, 'write.meta.parentId');
}

const invalid = (option: string, must: string): SuperstepError => invalidOption(option, must);

/** Throws `INVALID_OPTION` unless `value` is a non-null object (JavaScript callers can pass anything). */
export function requireObject(value: unknown, option: string): void {
  if (typeof value !== 'object' || value === null) throw invalid(option, 'an object');
}

function requireString(value: unknown, option: string): string {
  if (typeof value !== 'string') throw invalid(option, 'a string');
  return value;
}

function requireCount(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(option, 'a non-negative safe integer');
  }
  return value;
}

function requireBytes(value: unknown, option: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalid(option, 'a Uint8Array');
  return value;
}

/**
 * Writes the runtime's checkpointer made (see {@link sealRuntimeWrite}): valid by construction, frozen all
 * the way down, their bytes never written again.
 */
const runtimeWrites = new WeakSet<CheckpointWrite>();

/**
 * Freezes a write the checkpointer made — the write, its meta, `blobHashes` (unique), `blobs` and each
 * pair — and lets stores skip what {@link validateWrite} checks of its shape (not its ids, which come from
 * the application's `createId` and are checked on every write): a save is on the main thread at every
 * barrier, and the checks cost more than the memory store's whole save (measured). Nothing can change a
 * sealed write afterwards, so a store wrapper that passes it on passes on exactly what was sealed. Its
 * body and blobs are immutable too: the body is encoded for it, the blobs are snapshot bytes the
 * coordinator holds and never writes (guarantee 26 allows "immutable bytes"), so a store that keeps bytes in
 * memory may keep these without its defensive copy ({@link isRuntimeWrite}).
 */
export function sealRuntimeWrite(write: CheckpointWrite): CheckpointWrite {
  Object.freeze(write.meta.blobHashes);
  Object.freeze(write.meta);
  for (const pair of write.blobs) Object.freeze(pair);
  Object.freeze(write.blobs);
  if (write.fence !== undefined) Object.freeze(write.fence);
  runtimeWrites.add(Object.freeze(write));
  return write;
}

/** Whether `write` is one the checkpointer sealed (valid, frozen, bytes immutable). */
export function isRuntimeWrite(write: CheckpointWrite): boolean {
  return runtimeWrites.has(write);
}

/** The load each store that keeps bytes in memory offers the runtime's restore (see {@link offerRuntimeLoad}). */
const runtimeLoads = new WeakMap<CheckpointStore, (id: string) => Promise<CheckpointRead | undefined>>();

/**
 * Lets `store` hand the runtime's restore its bytes without the copy `load` makes for a caller, who may
 * write to what it gets. The runtime only reads restored bytes (it copies them to the hosts and checksums
 * them) and keeps them as snapshots it never writes, as it keeps the bytes of its own writes (see
 * {@link sealRuntimeWrite}), so the store and the runtime may share them. A restore of 64 snapshots of 16 KB
 * from the memory store saved about a megabyte of copies (measured: 0.25–0.5 ms of a 1.6–1.9 ms restore).
 */
export function offerRuntimeLoad(
  store: CheckpointStore,
  load: (id: string) => Promise<CheckpointRead | undefined>,
): void {
  runtimeLoads.set(store, load);
}

/** Loads a checkpoint for the runtime's restore: the store's own bytes if it offers them, else `load`. */
export function loadForRuntime(store: CheckpointStore, id: string): Promise<CheckpointRead | undefined> {
  const load = runtimeLoads.get(store);
  return load === undefined ? store.load(id) : load(id);
}

/**
 * Checks a write and returns a normalized copy of its meta: only the known fields, `blobHashes` copied
 * (each key once) and frozen, so later changes to the caller's objects cannot reach the store. A sealed
 * runtime write's meta is already that, and is returned as is.
 */
export function validateWrite(write: CheckpointWrite): CheckpointMeta {
  if (runtimeWrites.has(write)) {
    // Sealing vouches for what the runtime builds, not for ids: those come from `createId`, which the
    // application supplies. An id names files and rows, so every write's ids are checked, sealed or not.
    assertWriteIds(write.meta);
    return write.meta;
  }
  requireObject(write, 'write');
  requireObject(write.meta, 'write.meta');
  const m = write.meta as unknown as Record<string, unknown>;
  assertWriteIds(m);
  if (m.runId !== null) requireString(m.runId, 'write.meta.runId');
  if (typeof m.createdAt !== 'number' || !Number.isFinite(m.createdAt)) {
    throw invalid('write.meta.createdAt', 'a finite number (ms since the epoch)');
  }
  if (!Array.isArray(m.blobHashes)) throw invalid('write.meta.blobHashes', 'an array of blob keys (64 lowercase hex)');
  const blobHashes = new Set<string>();
  for (const hash of m.blobHashes as unknown[]) {
    if (!isBlobHash(hash)) throw invalid('write.meta.blobHashes', 'an array of blob keys (64 lowercase hex)');
    blobHashes.add(hash);
  }
  requireBytes(write.body, 'write.body');
  if (!Array.isArray(write.blobs)) throw invalid('write.blobs', 'an array of [hash, bytes] pairs');
  for (const entry of write.blobs as unknown[]) {
    if (!Array.isArray(entry) || !isBlobHash(entry[0]) || !(entry[1] instanceof Uint8Array)) {
      throw invalid('write.blobs', 'an array of [blob key (64 lowercase hex), Uint8Array] pairs');
    }
  }
  return Object.freeze({
    id: m.id,
    workflowName: requireString(m.workflowName, 'write.meta.workflowName'),
    lineageId: requireString(m.lineageId, 'write.meta.lineageId'),
    runId: m.runId as string | null,
    parentId: m.parentId,
    superstep: requireCount(m.superstep, 'write.meta.superstep'),
    createdAt: m.createdAt,
    signature: requireString(m.signature, 'write.meta.signature'),
    formatVersion: requireCount(m.formatVersion, 'write.meta.formatVersion'),
    blobHashes: Object.freeze([...blobHashes]),
    ...runState(m),
  });
}

/** A write's `reason` and `runStatus`: each absent (older records) or one of the known values. */
function runState(m: Record<string, unknown>): Pick<CheckpointMeta, 'reason' | 'runStatus'> {
  const { reason, runStatus } = m;
  if (reason !== undefined && !(CHECKPOINT_REASONS as unknown[]).includes(reason)) {
    throw invalid('write.meta.reason', `absent or one of ${CHECKPOINT_REASONS.join(', ')}`);
  }
  if (runStatus !== undefined && !(CHECKPOINT_RUN_STATUSES as unknown[]).includes(runStatus)) {
    throw invalid('write.meta.runStatus', `absent or one of ${CHECKPOINT_RUN_STATUSES.join(', ')}`);
  }
  return {
    ...(reason === undefined ? {} : { reason: reason as CheckpointMeta['reason'] }),
    ...(runStatus === undefined ? {} : { runStatus: runStatus as CheckpointMeta['runStatus'] }),
  };
}

/**
 * The blobs a store must hold after a write: each hash `meta.blobHashes` names once, with the shipped
 * bytes if the write carries them (`undefined`: the store must already have it). Shipped blobs the meta
 * does not name are dropped: nothing would reference them.
 */
export function blobsToStore(meta: CheckpointMeta, write: CheckpointWrite): Map<string, Uint8Array | undefined> {
  const shipped = new Map<string, Uint8Array>();
  for (const [hash, bytes] of write.blobs) if (!shipped.has(hash)) shipped.set(hash, bytes);
  const needed = new Map<string, Uint8Array | undefined>();
  for (const hash of meta.blobHashes) needed.set(hash, shipped.get(hash));
  return needed;
}

/** Checks a filter; returns it frozen with only the known keys. */
export function validateFilter(filter: CheckpointFilter | undefined, name = 'filter'): CheckpointFilter {
  if (filter === undefined) return Object.freeze({});
  requireObject(filter, name);
  const out: { workflowName?: string; lineageId?: string; runId?: string } = {};
  for (const key of ['workflowName', 'lineageId', 'runId'] as const) {
    const value: unknown = filter[key];
    if (value !== undefined) out[key] = requireString(value, `${name}.${key}`);
  }
  return Object.freeze(out);
}

/** Checks a retention policy: at least one rule, `keepLast` a count, `olderThan` a finite time. */
export function validateRetentionPolicy(policy: RetentionPolicy): RetentionPolicy {
  requireObject(policy, 'policy');
  const { keepLast, olderThan } = policy;
  if (keepLast === undefined && olderThan === undefined)
    throw invalid('policy', 'given keepLast or olderThan (or both)');
  if (keepLast !== undefined) requireCount(keepLast, 'policy.keepLast');
  if (olderThan !== undefined && (typeof olderThan !== 'number' || !Number.isFinite(olderThan))) {
    throw invalid('policy.olderThan', 'a finite number (ms since the epoch)');
  }
  return Object.freeze({
    ...(keepLast === undefined ? {} : { keepLast }),
    ...(olderThan === undefined ? {} : { olderThan }),
    filter: validateFilter(policy.filter, 'policy.filter'),
  });
}

/**
 * A meta read back from storage, checked like a write (so a truncated or hand-edited record cannot pass
 * as a checkpoint). Anything wrong is `CHECKPOINT_CORRUPT`, naming `where` it was read from.
 */
export function metaFromRecord(record: unknown, where: string): CheckpointMeta {
  try {
    return validateWrite({ meta: record as CheckpointMeta, body: new Uint8Array(0), blobs: [] });
  } catch (error) {
    throw new SuperstepError('CHECKPOINT_CORRUPT', `${where} is not a valid checkpoint meta record`, {
      cause: error,
      details: { where },
    });
  }
}

/** The `CHECKPOINT_BLOB_MISSING` error, naming the checkpoint and the first few missing hashes. */
export function blobMissing(id: string, missing: readonly string[]): SuperstepError {
  return new SuperstepError(
    'CHECKPOINT_BLOB_MISSING',
    `checkpoint "${id}" names ${missing.length} blob(s) neither shipped nor stored (first: ${missing[0] ?? '?'})`,
    { details: { checkpointId: id, missing: missing.slice(0, 8) } },
  );
}

/** `CHECKPOINT_EXISTS` for a second save under one id. */
export function checkpointExists(id: string): SuperstepError {
  return new SuperstepError('CHECKPOINT_EXISTS', `a checkpoint "${id}" is already stored`, {
    details: { checkpointId: id },
  });
}

/** Checks a write's fence, if any (`instance` a non-empty string, `token` a positive safe integer). */
export function validateFence(fence: unknown, option = 'write.fence'): CheckpointFence | undefined {
  if (fence === undefined) return undefined;
  requireObject(fence, option);
  const { instance, token } = fence as Record<string, unknown>;
  if (typeof instance !== 'string' || instance.length === 0 || instance.length > 1024) {
    throw invalid(`${option}.instance`, 'a string of 1–1024 characters');
  }
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 1) {
    throw invalid(`${option}.token`, 'a positive safe integer');
  }
  return { instance, token };
}

/** A fence that must be there (`advanceFence`). */
export function requireFence(fence: unknown): CheckpointFence {
  const checked = validateFence(fence ?? null, 'fence');
  if (checked === undefined) throw invalid('fence', 'an object');
  return checked;
}

/** The `LEASE_LOST` of a commit whose fencing token is older than the one the store has recorded. */
export function fenceRefused(fence: CheckpointFence, storedToken: number, store: string): SuperstepError {
  return new SuperstepError(
    'LEASE_LOST',
    `the ${store} store has fencing token ${storedToken} for "${fence.instance}"; token ${fence.token} may not commit`,
    { details: { instance: fence.instance, token: fence.token, storedToken, store } },
  );
}
