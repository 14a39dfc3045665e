/**
 * The checkpoint store contract (guarantees 22–28). A checkpoint is stored as
 * - `meta`: the indexed fields (lineage, parent, superstep, signature…),
 * - `body`: msgpack bytes of the cut at a barrier (queue, fan-in buffers, shared state, pending
 *   requests, and per-actor snapshot *references*),
 * - `blobs`: actor snapshots, each under a key: 64 lowercase hex characters, unique to the snapshot and
 *   ending in the CRC-32 of its bytes (format 1 keyed blobs by their SHA-256). A checkpoint references
 *   every actor's snapshot by key but ships only the blobs the store has not seen, so the bytes written
 *   per checkpoint grow with what changed, not with total state (guarantee 28). Stores treat keys as opaque.
 *
 * The field names say "hash" (`blobHashes`, `[hash, bytes]`): that is what format 1 keys were, and what
 * stores already persist under those names.
 *
 * Stores hold immutable bytes: they copy on save and on load, so a stored checkpoint never aliases live
 * state (guarantee 26). Every store passes one contract suite (`checkpoint-store.contract.ts`).
 */

/**
 * The format of checkpoint bodies this runtime writes. 2: blob keys are unique ids with a CRC-32 (see
 * `shared/blob-key.ts`); 1: they were SHA-256 content hashes.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;

/** The formats this runtime restores; anything else is refused with `CHECKPOINT_VERSION_UNSUPPORTED` (guarantee 42). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/**
 * Why a checkpoint was written: `entry` a run's first (its input queued), `barrier` a superstep's barrier,
 * `response` an answer accepted between barriers (written before `respond()` resolves), `manual`
 * `createCheckpoint()`, `final` the state a run ended in, written after its last barrier's checkpoint when
 * that one could not yet say how the run ended (a failed or cancelled run; a resume that ended at once,
 * with nothing to do or only unanswered questions).
 */
export type CheckpointReason = 'entry' | 'barrier' | 'response' | 'manual' | 'final';

/**
 * How the run stood when a checkpoint was written: still `running`, or ended `completed`, `failed` or
 * `cancelled`, or `waiting` for answers to pending requests. A checkpoint whose status is `running` (or
 * `waiting`) but that is the newest of its workflow belongs to a run that did not finish: a crash, a kill,
 * or a process that ended while the run waited.
 */
export type CheckpointRunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'waiting';

/** The reasons a checkpoint can give, in the order of {@link CheckpointReason}. */
export const CHECKPOINT_REASONS: readonly CheckpointReason[] = Object.freeze([
  'entry',
  'barrier',
  'response',
  'manual',
  'final',
]);

/** The run statuses a checkpoint can give, in the order of {@link CheckpointRunStatus}. */
export const CHECKPOINT_RUN_STATUSES: readonly CheckpointRunStatus[] = Object.freeze([
  'running',
  'completed',
  'failed',
  'cancelled',
  'waiting',
]);

/** Whether a checkpoint says its run ended: nothing is left to resume. */
export function isFinalRunStatus(status: CheckpointRunStatus | undefined): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** Indexed fields of a stored checkpoint. camelCase, also in persisted records. */
export interface CheckpointMeta {
  /** Unique id (safe characters only: `[A-Za-z0-9_-]`, at most 128). */
  readonly id: string;
  /** The workflow's stable name (`WorkflowOptions.name`): listing and `latest` filter by it. */
  readonly workflowName: string;
  /** A lineage starts at a workflow's creation or `reset()`; checkpoints of one lineage chain by parent. */
  readonly lineageId: string;
  /** The run that wrote it, or `null` for `createCheckpoint()` on an idle instance. */
  readonly runId: string | null;
  /** The checkpoint this one follows (guarantee 23), or `null` for a lineage's first. */
  readonly parentId: string | null;
  /** The barrier it captures: 0 is a run's entry checkpoint. */
  readonly superstep: number;
  /** Milliseconds since the epoch (from the workflow's injectable clock). */
  readonly createdAt: number;
  /** Graph signature hash (guarantee 25). */
  readonly signature: string;
  readonly formatVersion: number;
  /** Keys of every blob the body references (for retention's garbage collection). */
  readonly blobHashes: readonly string[];
  /** Why it was written; absent in checkpoints written before the runtime recorded it. */
  readonly reason?: CheckpointReason;
  /**
   * How its run stood (see {@link CheckpointRunStatus}); absent in checkpoints written before the runtime
   * recorded it, and in a `manual` one of an instance with nothing pending.
   */
  readonly runStatus?: CheckpointRunStatus;
}

/** A checkpoint as written: meta, body, and the blobs the store may not have yet. */
export interface CheckpointWrite {
  readonly meta: CheckpointMeta;
  readonly body: Uint8Array;
  /** `[key, bytes]` (64 lowercase hex). A store keeps blobs it already has and ignores duplicates. */
  readonly blobs: readonly (readonly [hash: string, bytes: Uint8Array])[];
  /**
   * Written under a lease (guarantee 52): a store with `advanceFence` commits it only if no higher token is
   * recorded for the instance, in the same transaction as the checkpoint, and refuses with `LEASE_LOST`.
   */
  readonly fence?: CheckpointFence;
}

/** A lease hold's fencing token, as a store records and checks it (guarantee 52). */
export interface CheckpointFence {
  /** The leased instance's name. */
  readonly instance: string;
  /** Grows with every new hold of the instance (a positive safe integer). */
  readonly token: number;
}

/** A checkpoint as loaded: meta, body, and every blob in `meta.blobHashes`. */
export interface CheckpointRead {
  readonly meta: CheckpointMeta;
  readonly body: Uint8Array;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

export interface CheckpointFilter {
  readonly workflowName?: string;
  readonly lineageId?: string;
  readonly runId?: string;
}

/** What retention keeps. Both may be given: a checkpoint is pruned if either rule drops it. */
export interface RetentionPolicy {
  /**
   * Keep the newest N checkpoints of each lineage, newest in the order of `list` and `latest` (createdAt,
   * then write order), so `keepLast: 1` keeps what `latest({ lineageId })` returns.
   */
  readonly keepLast?: number;
  /** Drop checkpoints created before this time (ms since epoch). */
  readonly olderThan?: number;
  /** Limit pruning to these checkpoints. */
  readonly filter?: CheckpointFilter;
}

/**
 * Where checkpoints go. Implementations: memory, file, SQLite (embedded default), PostgreSQL.
 *
 * @example
 * const store = await openSqliteStore({ path: 'checkpoints.db' });
 * const workflow = await builder.build({ name: 'orders', store });
 */
export interface CheckpointStore extends AsyncDisposable {
  /** A short name for messages and events: `memory`, `file`, `sqlite`, `postgres`. */
  readonly kind: string;
  /** Writes atomically: afterwards `load(meta.id)` returns it whole, or (if this rejects) nothing. */
  save(write: CheckpointWrite): Promise<void>;
  /** The checkpoint with `id`, or `undefined`. */
  load(id: string): Promise<CheckpointRead | undefined>;
  /** Metas matching `filter`, oldest first (by createdAt, then the order they were saved). */
  list(filter?: CheckpointFilter): Promise<CheckpointMeta[]>;
  /** The newest matching checkpoint's meta. */
  latest(filter?: CheckpointFilter): Promise<CheckpointMeta | undefined>;
  /** Deletes one checkpoint (and blobs no longer referenced). Resolves to whether it existed. */
  delete(id: string): Promise<boolean>;
  /** Applies a retention policy; resolves to how many checkpoints were deleted. Kept ones stay loadable. */
  prune(policy: RetentionPolicy): Promise<number>;
  /**
   * Stores that check fencing tokens (guarantee 52; memory and PostgreSQL): records that `fence.token` holds
   * `fence.instance` from now on, so saves with a lower token are refused with `LEASE_LOST`. Rejects with
   * `LEASE_LOST` if a higher token is recorded already. A new lease holder calls it before its first commit.
   */
  advanceFence?(fence: CheckpointFence): Promise<void>;
  close(): Promise<void>;
}
