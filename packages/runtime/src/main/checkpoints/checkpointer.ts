/**
 * Writes an instance's checkpoints and keeps its lineage (SPEC 23, 27, 28). Actor snapshots are
 * content-addressed blobs: a checkpoint references every actor's blob by hash but ships only blobs this
 * store has not been sent yet, so the bytes written grow with what changed, not with total state.
 */
import type { InstanceCut } from '../coordinator-types.ts';
import { encodeCheckpointBody, type CheckpointState, type SignatureTree } from './checkpoint-body.ts';
import { markImmutable, rememberSnapshotHash, snapshotHash } from './snapshot-bytes.ts';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointMeta, type CheckpointStore } from './checkpoint-store.ts';

export interface CheckpointerOptions {
  readonly workflowName: string;
  readonly graph: SignatureTree;
  readonly createId: () => string;
  readonly now: () => number;
}

export class Checkpointer {
  /** The current lineage; a new one starts at creation and at `reset()`. */
  lineageId: string;
  /**
   * The last checkpoint written to (or restored from) each store: the next one's parent there. Kept per
   * store, so a per-run store never gets a parent that lives in another store (SPEC 23, 36).
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
  remember(store: CheckpointStore, hashes: Iterable<string>, snapshots: Iterable<[Uint8Array, string]>): void {
    const known = this.knownBlobs(store);
    for (const hash of hashes) known.add(hash);
    for (const [bytes, hash] of snapshots) rememberSnapshotHash(bytes, hash);
  }

  /**
   * Writes one checkpoint. Resolves to its meta; rejects with the store's error, in which case the lineage
   * is unchanged: the next checkpoint's parent is still the last one written (SPEC 27).
   */
  async write(store: CheckpointStore, cut: InstanceCut, runId: string | null): Promise<CheckpointMeta> {
    const known = this.knownBlobs(store);
    const blobs = new Map<string, Uint8Array>();
    const referenced = new Set<string>();
    // Snapshots become blob references, at every level of sub-workflows (SPEC 44).
    const toState = (level: InstanceCut): CheckpointState => {
      const actors = new Map<string, string>();
      for (const [actorId, bytes] of level.snapshots) {
        const hash = snapshotHash(bytes);
        actors.set(actorId, hash);
        referenced.add(hash);
        if (!known.has(hash)) blobs.set(hash, bytes);
      }
      const children = new Map([...level.children].map(([id, child]) => [id, toState(child)] as const));
      return { ...level, actors, children };
    };
    const state = toState(cut);
    const meta: CheckpointMeta = {
      id: this.options.createId(),
      workflowName: this.options.workflowName,
      lineageId: this.lineageId,
      runId,
      parentId: this.lastIds.get(store) ?? null,
      superstep: state.superstep,
      createdAt: this.options.now(),
      signature: this.options.graph.signature,
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      blobHashes: [...referenced],
    };
    const body = markImmutable(encodeCheckpointBody(state, this.options.graph));
    try {
      await store.save({ meta, body, blobs: [...blobs] });
    } catch (error) {
      // The store lost blobs we thought it had (pruned, wiped): forget what it holds, and if that is why
      // this save failed, try once more shipping every blob, so the checkpoint is not lost.
      this.written.delete(store);
      if ((error as { code?: unknown }).code !== 'CHECKPOINT_BLOB_MISSING') throw error;
      const all = new Map<string, Uint8Array>();
      const gather = (level: InstanceCut): void => {
        for (const bytes of level.snapshots.values()) all.set(snapshotHash(bytes), bytes);
        for (const child of level.children.values()) gather(child);
      };
      gather(cut);
      await store.save({ meta, body, blobs: [...all] });
      blobs.clear();
      for (const [hash, bytes] of all) blobs.set(hash, bytes);
    }
    this.written.set(store, referenced);
    this.lastIds.set(store, meta.id);
    return meta;
  }

  private knownBlobs(store: CheckpointStore): Set<string> {
    let known = this.written.get(store);
    if (known === undefined) this.written.set(store, (known = new Set()));
    return known;
  }
}
