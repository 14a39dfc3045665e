/**
 * Writes an instance's checkpoints and keeps its lineage (guarantees 23, 27, 28). Actor snapshots are blobs
 * under keys that stay with their bytes (shared/blob-key.ts): a checkpoint references every actor's blob
 * by key but ships only blobs this store has not been sent yet, so the bytes written grow with what
 * changed, not with total state.
 */
import type { InstanceCut } from '../superstep/coordinator-types.ts';
import { encodeCheckpointBody, type CheckpointState, type SignatureTree } from './checkpoint-body.ts';
import { sealRuntimeWrite } from './checkpoint-validation.ts';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointFence,
  type CheckpointMeta,
  type CheckpointReason,
  type CheckpointRunStatus,
  type CheckpointStore,
} from './checkpoint-store.ts';

export interface CheckpointerOptions {
  readonly workflowName: string;
  readonly graph: SignatureTree;
  readonly createId: () => string;
  readonly now: () => number;
}

/** Who writes a checkpoint and why (guarantee 56). */
export interface CheckpointOrigin {
  /** The run that writes it, or `null` for `createCheckpoint()`. */
  readonly runId: string | null;
  readonly reason: CheckpointReason;
  readonly runStatus: CheckpointRunStatus | undefined;
  /** The instance's fence if it is leased (guarantee 52). */
  readonly fence?: CheckpointFence | undefined;
}

export class Checkpointer {
  /** The current lineage; a new one starts at creation and at `reset()`. */
  lineageId: string;
  /**
   * The last checkpoint written to (or restored from) each store: the next one's parent there. Kept per
   * store, so a per-run store never gets a parent that lives in another store (guarantees 23, 36).
   */
  private lastIds = new WeakMap<CheckpointStore, string>();
  /**
   * Blobs each store is known to hold, so unchanged actors cost nothing to checkpoint: those the last
   * checkpoint written there names. Only those can be named again without new bytes (a snapshot, once
   * replaced, never comes back as the same object), and keeping only them bounds this set by the number
   * of actors instead of letting it grow with every superstep of a long-lived instance.
   */
  private readonly written = new WeakMap<CheckpointStore, Set<string>>();

  constructor(private readonly options: CheckpointerOptions) {
    this.lineageId = options.createId();
  }

  /** The name its checkpoints are listed under. */
  get workflowName(): string {
    return this.options.workflowName;
  }

  /** Starts a new lineage (after `reset()`). */
  newLineage(): void {
    this.lineageId = this.options.createId();
    this.lastIds = new WeakMap();
  }

  /** Continue the lineage of a checkpoint restored from `store`. */
  resumeFrom(meta: CheckpointMeta, store: CheckpointStore): void {
    this.lineageId = meta.lineageId;
    this.lastIds = new WeakMap([[store, meta.id]]);
  }

  /** Notes that `store` holds these blobs (a restore loaded them from it). */
  remember(store: CheckpointStore, keys: Iterable<string>): void {
    const known = this.knownBlobs(store);
    for (const key of keys) known.add(key);
  }

  /**
   * Writes one checkpoint, by run `origin.runId` (`null`: `createCheckpoint()`), under `origin.fence` if the
   * instance is leased (guarantee 52). Resolves to its meta; rejects with the store's error, in which case the lineage
   * is unchanged: the next checkpoint's parent is still the last one written (guarantee 27).
   */
  async write(store: CheckpointStore, cut: InstanceCut, origin: CheckpointOrigin): Promise<CheckpointMeta> {
    const { fence } = origin;
    const references: References = { known: this.knownBlobs(store), keys: new Set(), shipped: [] };
    const state = stateOf(cut, references);
    const meta: CheckpointMeta = {
      id: this.options.createId(),
      workflowName: this.options.workflowName,
      lineageId: this.lineageId,
      runId: origin.runId,
      parentId: this.lastIds.get(store) ?? null,
      superstep: state.superstep,
      createdAt: this.options.now(),
      signature: this.options.graph.signature,
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      blobHashes: [...references.keys],
      reason: origin.reason,
      ...(origin.runStatus === undefined ? {} : { runStatus: origin.runStatus }),
    };
    const body = encodeCheckpointBody(state, this.options.graph);
    try {
      await store.save(sealRuntimeWrite({ meta, body, blobs: references.shipped, ...(fence && { fence }) }));
    } catch (error) {
      // The store lost blobs we thought it had (pruned, wiped): forget what it holds, and if that is why
      // this save failed, try once more shipping every blob, so the checkpoint is not lost.
      this.written.delete(store);
      if ((error as { code?: unknown }).code !== 'CHECKPOINT_BLOB_MISSING') throw error;
      const all: References = { known: new Set(), keys: new Set(), shipped: [] };
      stateOf(cut, all);
      await store.save(sealRuntimeWrite({ meta, body, blobs: all.shipped, ...(fence && { fence }) }));
    }
    this.written.set(store, references.keys);
    this.lastIds.set(store, meta.id);
    return meta;
  }

  private knownBlobs(store: CheckpointStore): Set<string> {
    let known = this.written.get(store);
    if (known === undefined) this.written.set(store, (known = new Set()));
    return known;
  }
}

/** The blobs one checkpoint names, and those it ships to a store that holds `known`. */
interface References {
  readonly known: ReadonlySet<string>;
  readonly keys: Set<string>;
  readonly shipped: (readonly [key: string, bytes: Uint8Array])[];
}

/** A cut as a checkpoint body states it: snapshots become blob keys, at every level of sub-workflows (guarantee 44). */
function stateOf(level: InstanceCut, references: References): CheckpointState {
  const actors = new Map<string, string>();
  for (const [actorId, snapshot] of level.snapshots) {
    const key = snapshot.key;
    actors.set(actorId, key);
    if (references.keys.has(key)) continue;
    references.keys.add(key);
    if (!references.known.has(key)) references.shipped.push([key, snapshot.bytes]);
  }
  const children = new Map<string, CheckpointState>();
  for (const [id, child] of level.children) children.set(id, stateOf(child, references));
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    superstep: level.superstep,
    queue: level.queue,
    fanIn: level.fanIn,
    shared: level.shared,
    actors,
    requests: level.requests,
    children,
  };
}
