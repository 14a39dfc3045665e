/**
 * Ordering, filtering and retention shared by every store, so "oldest first", "latest" and "keep the
 * newest N" mean the same thing whichever store holds the checkpoints.
 */
import type { CheckpointFilter, CheckpointMeta, RetentionPolicy } from './checkpoint-store.ts';

/**
 * A stored checkpoint's meta plus `seq`, the order the store accepted writes in. `seq` breaks ties:
 * checkpoints written in the same millisecond (a frozen test clock, a fast run) come out in the order
 * they were written. Not the superstep: it restarts at 0 with every run, so it says nothing about age.
 */
export interface StoredMeta {
  readonly meta: CheckpointMeta;
  readonly seq: number;
}

/** Oldest first: by `createdAt`, then write order. */
export function compareOldestFirst(a: StoredMeta, b: StoredMeta): number {
  return a.meta.createdAt - b.meta.createdAt || a.seq - b.seq;
}

/** Whether `meta` matches every field the (validated) filter gives. */
export function matchesFilter(meta: CheckpointMeta, filter: CheckpointFilter): boolean {
  return (
    (filter.workflowName === undefined || meta.workflowName === filter.workflowName) &&
    (filter.lineageId === undefined || meta.lineageId === filter.lineageId) &&
    (filter.runId === undefined || meta.runId === filter.runId)
  );
}

/**
 * The checkpoints a (validated) policy drops from `stored`: those in the policy's filter that are older
 * than `olderThan`, or not among the newest `keepLast` of their lineage. "Newest" is the same order as
 * `list` and `latest`, so `keepLast: 1` keeps exactly what `latest({ lineageId })` returns.
 */
export function selectPruned(stored: readonly StoredMeta[], policy: RetentionPolicy): StoredMeta[] {
  const inScope = stored.filter((entry) => matchesFilter(entry.meta, policy.filter ?? {}));
  const pruned = new Set<StoredMeta>();
  if (policy.olderThan !== undefined) {
    const cutoff = policy.olderThan;
    for (const entry of inScope) if (entry.meta.createdAt < cutoff) pruned.add(entry);
  }
  if (policy.keepLast !== undefined) {
    const byLineage = new Map<string, StoredMeta[]>();
    for (const entry of inScope) {
      const lineage = byLineage.get(entry.meta.lineageId);
      if (lineage === undefined) byLineage.set(entry.meta.lineageId, [entry]);
      else lineage.push(entry);
    }
    for (const lineage of byLineage.values()) {
      lineage.sort((a, b) => compareOldestFirst(b, a));
      for (const entry of lineage.slice(policy.keepLast)) pruned.add(entry);
    }
  }
  return [...pruned];
}
