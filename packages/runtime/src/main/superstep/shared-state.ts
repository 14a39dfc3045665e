/**
 * Shared state on the main thread (guarantee 45): the committed values, the writes each host has not heard of
 * yet (each host gets them with its next batch), and the barrier rule for keys written twice.
 */
import type { SharedWrite, StepReply } from '../../shared/protocol.ts';

/** Two or more executors wrote one key in one superstep; `winner`'s write was kept. */
export interface SharedConflict {
  readonly key: string;
  readonly writers: readonly string[];
  readonly winner: string;
}

export class SharedState {
  /** The committed values. */
  readonly values = new Map<string, unknown>();
  /** Per host: committed writes it has not heard of yet. */
  private readonly deltas: Map<string, SharedWrite>[];

  constructor(hosts: number, initial: ReadonlyMap<string, unknown>) {
    for (const [key, value] of initial) this.values.set(key, value);
    this.deltas = Array.from({ length: hosts }, () => new Map<string, SharedWrite>());
  }

  /**
   * Commits one superstep's writes at its barrier. A key written by several executors: the write of the
   * executor whose id sorts last wins, and `onConflict` hears of it.
   */
  commit(replies: readonly StepReply[], onConflict: (conflict: SharedConflict) => void): void {
    if (replies.every((reply) => reply.sharedWrites.length === 0)) return;
    const byKey = new Map<string, { executorId: string; value: unknown; deleted: boolean }[]>();
    for (const reply of replies) {
      for (const [executorId, key, value, deleted] of reply.sharedWrites) {
        let writes = byKey.get(key);
        if (writes === undefined) byKey.set(key, (writes = []));
        writes.push({ executorId, value, deleted });
      }
    }
    for (const [key, writes] of byKey) {
      const writers = [...new Set(writes.map((w) => w.executorId))].sort();
      const lastWriter = writers[writers.length - 1];
      const winner = writes.filter((w) => w.executorId === lastWriter).at(-1);
      if (winner === undefined || lastWriter === undefined) continue;
      if (writers.length > 1) onConflict({ key, writers, winner: lastWriter });
      if (winner.deleted) this.values.delete(key);
      else this.values.set(key, winner.value);
      const write: SharedWrite = [key, winner.value, winner.deleted];
      for (const delta of this.deltas) delta.set(key, write);
    }
  }

  /** The writes host `index` has not heard of yet; it hears them now. */
  take(index: number): SharedWrite[] {
    const delta = this.deltas[index];
    if (delta === undefined || delta.size === 0) return [];
    const writes = [...delta.values()];
    delta.clear();
    return writes;
  }

  /**
   * Writes taken for host `index` that may not have reached it (its batch failed to send): it hears them
   * again with its next batch, unless a newer write of the key is waiting already. Hearing a write twice
   * is harmless; missing one would leave the host reading a stale value.
   */
  giveBack(index: number, writes: readonly SharedWrite[]): void {
    const delta = this.deltas[index];
    if (delta === undefined) return;
    for (const write of writes) if (!delta.has(write[0])) delta.set(write[0], write);
  }

  /** Replaces the values (restore, reset); every host gets the whole state with the replacement itself. */
  replace(values: ReadonlyMap<string, unknown>): void {
    this.values.clear();
    for (const [key, value] of values) this.values.set(key, value);
    for (const delta of this.deltas) delta.clear();
  }
}
