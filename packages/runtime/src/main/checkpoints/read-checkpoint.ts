/**
 * Reading a checkpoint to restore it (guarantee 24): it must exist and have been made by the same graph, every
 * name its body uses must exist in the graph and every blob must match its key (its CRC-32; in format 1
 * its SHA-256) — all checked before anything changes (guarantees 25, 42). Each restored snapshot keeps the
 * key the checkpoint names it by, so the checkpoints that follow name it by the same key.
 */
import { blobKeyMatches } from '../../shared/blob-key.ts';
import { SuperstepError } from '../../shared/errors.ts';
import type { CheckpointState } from './checkpoint-body.ts';
import { CHECKPOINT_FORMAT_VERSION, type CheckpointRead, type CheckpointStore } from './checkpoint-store.ts';
import { loadForRuntime } from './checkpoint-validation.ts';
import { Snapshot } from './snapshot-bytes.ts';
import type { Graph } from '../graph/graph.ts';
import type { Envelope } from '../superstep/router.ts';

/**
 * Loads a checkpoint from `store` (its own bytes if it offers them: see `offerRuntimeLoad`), refusing one
 * that is missing or was made by another graph.
 */
export async function readCheckpoint(
  store: CheckpointStore,
  checkpointId: string,
  signature: string,
): Promise<CheckpointRead> {
  const read = await loadForRuntime(store, checkpointId);
  if (read === undefined) {
    throw new SuperstepError('CHECKPOINT_NOT_FOUND', `no checkpoint "${checkpointId}" in the ${store.kind} store`, {
      details: { checkpointId },
    });
  }
  if (read.meta.signature !== signature) {
    throw new SuperstepError(
      'CHECKPOINT_SIGNATURE_MISMATCH',
      `checkpoint "${checkpointId}" was made by a workflow with a different graph`,
      {
        details: { checkpointId, expected: signature, found: read.meta.signature },
      },
    );
  }
  return read;
}

/**
 * Checks one level of a decoded checkpoint against its graph and resolves its blob references into
 * snapshot bytes (sub-workflows are the caller's: each is checked against its own graph). The bytes
 * themselves are checked by {@link checkBlobKeys}.
 */
export function snapshotsFromCheckpoint(
  graph: Graph,
  state: CheckpointState,
  read: { readonly blobs: ReadonlyMap<string, Uint8Array>; readonly checkpointId: string },
): Map<string, Snapshot> {
  const { blobs, checkpointId } = read;
  const corrupt = (reason: string): SuperstepError => corruptCheckpoint(checkpointId, reason);
  // Everything the body names must exist in this graph: a restore must not fail later, mid-run.
  const known = (id: string): boolean => graph.executors.has(id);
  for (const envelope of state.queue) {
    if (!known(envelope.target)) throw corrupt(`a queued message targets unknown executor "${envelope.target}"`);
  }
  for (const request of state.requests) {
    if (!known(request.executorId)) throw corrupt(`a pending request names unknown executor "${request.executorId}"`);
  }
  for (const [index, perSource] of state.fanIn) {
    const edge = graph.edges[index];
    if (edge?.kind !== 'fan-in') throw corrupt(`a fan-in buffer names edge ${index}, which is not a fan-in`);
    for (const source of perSource.keys()) {
      if (!edge.from.includes(source)) throw corrupt(`a fan-in buffer holds messages of non-source "${source}"`);
    }
  }
  // A checkpoint of an older format keys its blobs another way: its snapshots get new keys when next written.
  const sameFormat = state.formatVersion === CHECKPOINT_FORMAT_VERSION;
  const snapshots = new Map<string, Snapshot>();
  for (const [actorId, key] of state.actors) {
    if (!graph.executors.has(actorId)) {
      throw new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint "${checkpointId}" names unknown actor "${actorId}"`, {
        details: { checkpointId, actorId },
      });
    }
    const bytes = blobs.get(key);
    if (bytes === undefined) {
      throw new SuperstepError(
        'CHECKPOINT_CORRUPT',
        `checkpoint "${checkpointId}" lacks the snapshot of actor "${actorId}"`,
        {
          details: { checkpointId, actorId, key },
        },
      );
    }
    snapshots.set(actorId, new Snapshot(bytes, sameFormat ? key : null));
  }
  return snapshots;
}

/**
 * Checks every snapshot of a decoded checkpoint, sub-workflows included, against its key's checksum: bytes
 * that do not match were damaged (and might still decode). A restore runs this while the hosts prepare.
 */
export function checkBlobKeys(
  state: CheckpointState,
  read: { readonly blobs: ReadonlyMap<string, Uint8Array>; readonly checkpointId: string },
): void {
  const { blobs, checkpointId } = read;
  for (const [actorId, key] of state.actors) {
    const bytes = blobs.get(key);
    if (bytes !== undefined && !blobKeyMatches(key, bytes, state.formatVersion)) {
      throw corruptCheckpoint(checkpointId, `the snapshot of actor "${actorId}" does not match its key's checksum`);
    }
  }
  for (const child of state.children.values()) checkBlobKeys(child, read);
}

function corruptCheckpoint(checkpointId: string, reason: string): SuperstepError {
  return new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint "${checkpointId}": ${reason}`, {
    details: { checkpointId, reason },
  });
}

/**
 * The queue of a decoded checkpoint with every fan-in list message naming its sources (`ctx.sources`).
 * Bodies written before the sources travelled as a list hold such a message under its label alone (the
 * sources joined with `+`). It is known by that label, its target and its list payload, and gets the
 * fan-in's sources back, ids with `+` kept apart. A label that is also an executor id stays a plain sender.
 */
export function queueWithFanInSources(graph: Graph, queue: readonly Envelope[]): readonly Envelope[] {
  const byLabel = new Map<string, readonly string[]>();
  for (const edge of graph.edges) {
    if (edge.kind === 'fan-in') byLabel.set(fanInKey(edge.to, edge.from.join('+')), edge.from);
  }
  if (byLabel.size === 0) return queue;
  return queue.map((envelope) => {
    const { source, target, payload } = envelope;
    if (envelope.sources !== undefined || graph.executors.has(source) || !Array.isArray(payload)) return envelope;
    const sources = byLabel.get(fanInKey(target, source));
    return sources === undefined ? envelope : { ...envelope, sources };
  });
}

function fanInKey(target: string, label: string): string {
  return JSON.stringify([target, label]);
}
