/**
 * The run-state columns of the SQL stores (guarantee 56): why a checkpoint was written and how its run
 * stood. Nullable: rows written before the runtime recorded them hold NULL, which reads as absent.
 */
import type { CheckpointMeta } from './checkpoint-store.ts';

export interface RunStateColumns {
  readonly reason: string | null;
  readonly run_status: string | null;
}

/** A row's run state as meta fields, for `metaFromRecord` to check (NULL: absent). */
export function runStateFromColumns(row: RunStateColumns): { reason?: string; runStatus?: string } {
  return { reason: row.reason ?? undefined, runStatus: row.run_status ?? undefined };
}

/** A meta's run state as column values, in column order (`reason`, `run_status`). */
export function runStateColumns(meta: CheckpointMeta): [reason: string | null, runStatus: string | null] {
  return [meta.reason ?? null, meta.runStatus ?? null];
}
