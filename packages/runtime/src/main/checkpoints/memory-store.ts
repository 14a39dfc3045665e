/**
 * The in-memory checkpoint store: for tests and for short-lived processes that only need restore within
 * one process. Bytes are copied on save (except the runtime's own, which are immutable) and on load (except
 * for the runtime's restore, which never writes them), so nothing stored aliases live state (guarantee 26).
 */
import type {
  CheckpointFence,
  CheckpointFilter,
  CheckpointMeta,
  CheckpointRead,
  CheckpointStore,
  CheckpointWrite,
  RetentionPolicy,
} from './checkpoint-store.ts';
import {
  assertCheckpointId,
  blobMissing,
  checkpointExists,
  fenceRefused,
  isRuntimeWrite,
  offerRuntimeLoad,
  requireFence,
  validateFence,
  validateFilter,
  validateRetentionPolicy,
  validateWrite,
} from './checkpoint-validation.ts';
import { compareOldestFirst, matchesFilter, selectPruned, type StoredMeta } from './retention.ts';
import { copyBytes, createStoreBoundary } from './store-boundary.ts';

interface StoredCheckpoint extends StoredMeta {
  readonly body: Uint8Array;
}

interface StoredBlob {
  readonly bytes: Uint8Array;
  /** How many stored checkpoints name this blob; at 0 it is deleted. */
  refs: number;
}

/**
 * Creates an empty in-memory checkpoint store. Everything is lost when the process exits; use
 * {@link openSqliteStore} for durable checkpoints.
 *
 * @example
 * const store = createMemoryStore();
 * const workflow = await builder.build({ name: 'orders', store });
 * await workflow.run(input).result();
 * const latest = await store.latest({ workflowName: 'orders' });
 */
export function createMemoryStore(): CheckpointStore {
  const boundary = createStoreBoundary('memory');
  const memory: Memory = { checkpoints: new Map(), blobs: new Map(), seq: 0, fences: new Map() };
  const { checkpoints, blobs } = memory;

  const sorted = (filter: CheckpointFilter): StoredCheckpoint[] =>
    [...checkpoints.values()].filter((entry) => matchesFilter(entry.meta, filter)).sort(compareOldestFirst);

  const remove = (id: string): boolean => {
    const entry = checkpoints.get(id);
    if (entry === undefined) return false;
    checkpoints.delete(id);
    for (const hash of new Set(entry.meta.blobHashes)) {
      const blob = blobs.get(hash);
      if (blob !== undefined && --blob.refs === 0) blobs.delete(hash);
    }
    return true;
  };

  /** The checkpoint `id` with its bytes passed through `give` (a copy for a caller, as they are for a restore). */
  const read = (id: string, give: (bytes: Uint8Array) => Uint8Array): CheckpointRead | undefined => {
    assertCheckpointId(id);
    const entry = checkpoints.get(id);
    if (entry === undefined) return undefined;
    const found = new Map<string, Uint8Array>();
    for (const hash of entry.meta.blobHashes) {
      const blob = blobs.get(hash);
      if (blob !== undefined) found.set(hash, give(blob.bytes));
    }
    return { meta: entry.meta, body: give(entry.body), blobs: found };
  };

  const store: CheckpointStore = {
    kind: 'memory',

    save(write: CheckpointWrite) {
      return boundary.call('save', () => {
        saveWrite(memory, write);
      });
    },

    advanceFence(given: CheckpointFence) {
      return boundary.call('advanceFence', () => {
        const fence = requireFence(given);
        checkFence(memory, fence);
        memory.fences.set(fence.instance, fence.token);
      });
    },

    load(id: string) {
      return boundary.call('load', () => read(id, copyBytes));
    },

    list(filter?: CheckpointFilter) {
      return boundary.call('list', (): CheckpointMeta[] => sorted(validateFilter(filter)).map((entry) => entry.meta));
    },

    latest(filter?: CheckpointFilter) {
      return boundary.call('latest', () => sorted(validateFilter(filter)).at(-1)?.meta);
    },

    delete(id: string) {
      return boundary.call('delete', () => {
        assertCheckpointId(id);
        return remove(id);
      });
    },

    prune(policy: RetentionPolicy) {
      return boundary.call('prune', () => {
        const resolved = validateRetentionPolicy(policy);
        let deleted = 0;
        for (const entry of selectPruned([...checkpoints.values()], resolved)) if (remove(entry.meta.id)) deleted++;
        return deleted;
      });
    },

    close() {
      return boundary.close(() => {
        checkpoints.clear();
        blobs.clear();
      });
    },

    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  offerRuntimeLoad(store, (id) => boundary.call('load', () => read(id, (bytes) => bytes)));
  return store;
}

/** What a memory store holds. */
interface Memory {
  readonly checkpoints: Map<string, StoredCheckpoint>;
  readonly blobs: Map<string, StoredBlob>;
  /** The last save's sequence number (orders checkpoints saved in the same millisecond). */
  seq: number;
  /** The highest fencing token seen per leased instance (guarantee 52). */
  readonly fences: Map<string, number>;
}

/** Refuses a write or an advance whose fencing token is below the instance's recorded one (`LEASE_LOST`). */
function checkFence(memory: Memory, fence: CheckpointFence | undefined): void {
  if (fence === undefined) return;
  const stored = memory.fences.get(fence.instance) ?? 0;
  if (stored > fence.token) throw fenceRefused(fence, stored, 'memory');
}

/** Saves one write, all or nothing: everything is checked before anything is stored. */
function saveWrite(memory: Memory, write: CheckpointWrite): void {
  const { checkpoints, blobs } = memory;
  const meta = validateWrite(write);
  const fence = validateFence(write.fence);
  checkFence(memory, fence);
  if (checkpoints.has(meta.id)) throw checkpointExists(meta.id);
  // One pass over what the meta names (each key once: see validateWrite), not a map of it: a save runs
  // at every barrier, and the blobs it ships are few (those that changed).
  const shipped = new Map<string, Uint8Array>();
  for (const [hash, bytes] of write.blobs) if (!shipped.has(hash)) shipped.set(hash, bytes);
  const missing = meta.blobHashes.filter((hash) => !blobs.has(hash) && !shipped.has(hash));
  if (missing.length > 0) throw blobMissing(meta.id, missing);
  // The runtime's own writes hold immutable bytes (see sealRuntimeWrite): kept as they are.
  const keep = isRuntimeWrite(write) ? (bytes: Uint8Array) => bytes : copyBytes;
  // Everything is checked: from here on nothing throws, so the save is all or nothing.
  for (const hash of meta.blobHashes) {
    const blob = blobs.get(hash);
    if (blob !== undefined) {
      blob.refs++;
      continue;
    }
    const bytes = shipped.get(hash);
    if (bytes !== undefined) blobs.set(hash, { bytes: keep(bytes), refs: 1 });
  }
  checkpoints.set(meta.id, { meta, seq: ++memory.seq, body: keep(write.body) });
  if (fence !== undefined) memory.fences.set(fence.instance, fence.token);
}
