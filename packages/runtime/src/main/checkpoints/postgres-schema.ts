/**
 * The PostgreSQL checkpoint store's tables: names (schema-qualified, prefixed, quoted) and the DDL that
 * creates them if missing. Plain SQL text; the store runs it.
 */

/** The table layout this code reads and writes, kept in `<prefix>layout`. */
export const LAYOUT_VERSION = 1;

export interface Tables {
  readonly schema: string;
  /** Hashed into the advisory lock key: one lock per set of tables. */
  readonly lockName: string;
  readonly prefix: string;
  readonly checkpoints: string;
  readonly blobs: string;
  readonly refs: string;
  readonly layout: string;
  /** The highest fencing token committed per leased instance (guarantee 52). */
  readonly fences: string;
}

/** Quoted, schema-qualified names of one store's tables (`schema` and `prefix` are validated plain names). */
export function tableNames(schema: string, prefix: string): Tables {
  const table = (name: string): string => `"${schema}"."${prefix}${name}"`;
  return {
    schema: `"${schema}"`,
    lockName: `${schema}.${prefix}`,
    prefix,
    checkpoints: table('checkpoints'),
    blobs: table('blobs'),
    refs: table('checkpoint_blobs'),
    layout: table('layout'),
    fences: table('fences'),
  };
}

/** DDL creating a store's tables and indexes if missing; idempotent. */
export function schemaSql(t: Tables): string {
  const index = (name: string): string => `"${t.prefix}${name}"`;
  return `
    CREATE TABLE IF NOT EXISTS ${t.layout} (format_version integer NOT NULL);
    CREATE TABLE IF NOT EXISTS ${t.checkpoints} (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      workflow_name text NOT NULL,
      lineage_id text NOT NULL,
      run_id text,
      parent_id text,
      superstep bigint NOT NULL,
      created_at double precision NOT NULL,
      signature text NOT NULL,
      format_version integer NOT NULL,
      blob_hashes text[] NOT NULL,
      body bytea NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${index('checkpoints_by_workflow')} ON ${t.checkpoints} (workflow_name, created_at, superstep, seq);
    CREATE INDEX IF NOT EXISTS ${index('checkpoints_by_lineage')} ON ${t.checkpoints} (lineage_id, created_at, superstep, seq);
    CREATE INDEX IF NOT EXISTS ${index('checkpoints_by_run')} ON ${t.checkpoints} (run_id, created_at, superstep, seq);
    CREATE TABLE IF NOT EXISTS ${t.blobs} (hash text PRIMARY KEY, bytes bytea NOT NULL);
    CREATE TABLE IF NOT EXISTS ${t.refs} (
      checkpoint_seq bigint NOT NULL REFERENCES ${t.checkpoints} (seq) ON DELETE CASCADE,
      hash text NOT NULL REFERENCES ${t.blobs} (hash),
      PRIMARY KEY (checkpoint_seq, hash)
    );
    CREATE INDEX IF NOT EXISTS ${index('checkpoint_blobs_by_hash')} ON ${t.refs} (hash);
    CREATE TABLE IF NOT EXISTS ${t.fences} (instance text PRIMARY KEY, token bigint NOT NULL);
    -- Why each checkpoint was written and how its run stood; NULL in rows written before they were recorded.
    ALTER TABLE ${t.checkpoints} ADD COLUMN IF NOT EXISTS reason text, ADD COLUMN IF NOT EXISTS run_status text;
  `;
}
