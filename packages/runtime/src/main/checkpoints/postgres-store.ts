/**
 * The PostgreSQL checkpoint store, for checkpoints shared between processes and machines (guarantee 26).
 * Driver: node-postgres (`pg`), wrapped here and nowhere else. Tables are created if missing:
 *
 *     <schema>.<prefix>checkpoints       (seq identity, id unique, indexed meta columns, blob_hashes text[], body bytea)
 *     <schema>.<prefix>blobs             (hash primary key, bytes bytea) — INSERT … ON CONFLICT DO NOTHING
 *     <schema>.<prefix>checkpoint_blobs  (checkpoint_seq → checkpoints ON DELETE CASCADE, hash → blobs)
 *     <schema>.<prefix>layout            (format_version) — the table layout, refused if unknown
 *     <schema>.<prefix>fences            (instance primary key, token bigint) — leases' fencing tokens (guarantee 52)
 *
 * Each save is one transaction. Saves and blob garbage collection exclude each other through a
 * transaction-scoped advisory lock (saves share it, delete and prune take it alone): otherwise a save could
 * reference a stored blob at the moment a concurrent prune deletes it as unreferenced.
 */
import type { Pool, PoolClient } from 'pg';
import { importOptional } from '../../shared/optional-dependency.ts';
import { SuperstepError } from '../../shared/errors.ts';
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
  blobsToStore,
  checkpointExists,
  fenceRefused,
  metaFromRecord,
  requireFence,
  requireObject,
  validateFence,
  validateFilter,
  validateRetentionPolicy,
  validateWrite,
} from './checkpoint-validation.ts';
import { LAYOUT_VERSION, schemaSql, tableNames, type Tables } from './postgres-schema.ts';
import { selectPruned, type StoredMeta } from './retention.ts';
import { runStateColumns, runStateFromColumns, type RunStateColumns } from './run-state-columns.ts';
import { asBuffer, createStoreBoundary, ownedBytes } from './store-boundary.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=…`; if omitted, the `PG*` environment variables. */
  readonly connectionString?: string;
  /** Schema of the tables (created if missing when given). Default: `public`. */
  readonly schema?: string;
  /** Prefix of the table names, so several stores can share a schema. Default: `superstep_`. */
  readonly tablePrefix?: string;
  /** Connections the store's pool may open. Default 4. */
  readonly maxConnections?: number;
  /** How long to wait for a connection. Default 10000 ms. */
  readonly connectTimeoutMs?: number;
}

/** First key of the store's advisory locks ("SSTP"); the second is a hash of schema and prefix. */
const LOCK_CLASS = 0x53535450;
const UNIQUE_VIOLATION = '23505';

interface MetaRow extends RunStateColumns {
  seq: string;
  id: string;
  workflow_name: string;
  lineage_id: string;
  run_id: string | null;
  parent_id: string | null;
  superstep: string;
  created_at: number;
  signature: string;
  format_version: number;
  blob_hashes: string[];
}

type Lock = 'shared' | 'exclusive';

/**
 * Connects to PostgreSQL and returns a checkpoint store, creating its tables if missing.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL, schema: 'workflows' });
 * const workflow = await builder.build({ name: 'orders', store });
 * // …
 * await store.close();
 */
export async function openPostgresStore(options: PostgresStoreOptions = {}): Promise<CheckpointStore> {
  const resolved = resolveOptions(options);
  // An optional peer, loaded on first use: projects without PostgreSQL install nothing and pay no start-up.
  const { default: pg } = await importOptional('pg', 'the PostgreSQL checkpoint store', () => import('pg'));
  const pool = new pg.Pool({
    ...(resolved.connectionString === undefined ? {} : { connectionString: resolved.connectionString }),
    max: resolved.maxConnections,
    connectionTimeoutMillis: resolved.connectTimeoutMs,
  });
  // An idle connection that breaks must not crash the process: the next query gets a fresh one, or fails
  // and reports through the store's own error.
  pool.on('error', () => undefined);
  const tables = tableNames(resolved.schema, resolved.tablePrefix);
  try {
    try {
      await transaction({ pool, tables }, { lock: 'exclusive' }, (client) =>
        migrate(client, tables, options.schema !== undefined),
      );
    } catch (error) {
      // Two stores with different prefixes creating one schema at once: one loses the race. Once more.
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      await transaction({ pool, tables }, { lock: 'exclusive' }, (client) =>
        migrate(client, tables, options.schema !== undefined),
      );
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError(
      'CHECKPOINT_STORE_FAILED',
      `cannot open the PostgreSQL checkpoint store: ${errorMessage(error)}`,
      {
        cause: error,
        details: { store: 'postgres', operation: 'open', schema: resolved.schema, tablePrefix: resolved.tablePrefix },
      },
    );
  }
  return createPostgresStore(pool, tables);
}

/** Creates the tables if missing and checks their layout version. Runs under the exclusive lock. */
async function migrate(client: PoolClient, tables: Tables, createSchema: boolean): Promise<void> {
  if (createSchema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${tables.schema}`);
  await client.query(schemaSql(tables));
  await client.query(
    `INSERT INTO ${tables.layout} (format_version) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM ${tables.layout})`,
    [LAYOUT_VERSION],
  );
  const { rows } = await client.query<{ format_version: number }>(`SELECT format_version FROM ${tables.layout}`);
  const version = rows[0]?.format_version;
  if (rows.length !== 1 || version !== LAYOUT_VERSION) {
    throw new SuperstepError(
      'CHECKPOINT_VERSION_UNSUPPORTED',
      `${tables.layout} describes a store of format ${String(version)}; this runtime reads format ${LAYOUT_VERSION}`,
      { details: { store: 'postgres', table: tables.layout, formatVersion: version } },
    );
  }
}

interface ResolvedOptions {
  readonly connectionString: string | undefined;
  readonly schema: string;
  readonly tablePrefix: string;
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
}

function resolveOptions(options: PostgresStoreOptions): ResolvedOptions {
  const invalid = (option: string, must: string): SuperstepError =>
    new SuperstepError('INVALID_OPTION', `options.${option} must be ${must}`, {
      details: { option: `options.${option}` },
    });
  requireObject(options, 'options');
  const {
    connectionString,
    schema = 'public',
    tablePrefix = 'superstep_',
    maxConnections = 4,
    connectTimeoutMs = 10_000,
  } = options;
  if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString.length === 0)) {
    throw invalid('connectionString', 'a non-empty string');
  }
  // Identifiers are interpolated into SQL (quoted), so only plain names are accepted.
  if (typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw invalid('schema', 'a name of letters, digits and underscores (not starting with a digit, at most 63)');
  }
  if (typeof tablePrefix !== 'string' || !/^[A-Za-z0-9_]{0,32}$/.test(tablePrefix)) {
    throw invalid('tablePrefix', 'at most 32 letters, digits and underscores');
  }
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1)
    throw invalid('maxConnections', 'a positive integer');
  if (!Number.isSafeInteger(connectTimeoutMs) || connectTimeoutMs < 0) {
    throw invalid('connectTimeoutMs', 'a non-negative integer');
  }
  return { connectionString, schema, tablePrefix, maxConnections, connectTimeoutMs };
}

/** Where a store's data is: the connection pool and the table names. */
interface Db {
  readonly pool: Pool;
  readonly tables: Tables;
}

/** How a transaction starts: the store's advisory lock it holds, and its `BEGIN` statement. */
interface TransactionMode {
  readonly lock: Lock | 'none';
  readonly begin?: string;
}

/** Runs `body` in a transaction holding the store's advisory lock (`shared` or `exclusive`). */
async function transaction<T>(
  { pool, tables }: Db,
  { lock, begin = 'BEGIN' }: TransactionMode,
  body: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    if (lock !== 'none') {
      const fn = lock === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
      await client.query(`SELECT ${fn}($1, hashtext($2))`, [LOCK_CLASS, tables.lockName]);
    }
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
    client.release(broken);
  }
}

function createPostgresStore(pool: Pool, t: Tables): CheckpointStore {
  const boundary = createStoreBoundary('postgres');
  const db: Db = { pool, tables: t };

  const store: CheckpointStore = {
    kind: 'postgres',

    save(write: CheckpointWrite) {
      return boundary.call('save', async () => {
        const meta = validateWrite(write);
        const fence = validateFence(write.fence);
        const needed = blobsToStore(meta, write);
        await transaction(db, { lock: 'shared' }, (client) =>
          insertCheckpoint(client, t, { meta, needed, write, fence }),
        );
      });
    },

    load(id: string) {
      return boundary.call('load', async () => {
        assertCheckpointId(id);
        // One snapshot for both queries: a concurrent delete cannot take the blobs from under the meta.
        const mode = { lock: 'none', begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' } as const;
        return transaction(db, mode, (client) => loadCheckpoint(client, t, id));
      });
    },

    list(filter?: CheckpointFilter) {
      return boundary.call('list', async (): Promise<CheckpointMeta[]> => {
        const { rows } = await pool.query<MetaRow>(
          `SELECT ${META_COLUMNS} FROM ${t.checkpoints} WHERE ${FILTER_SQL} ORDER BY created_at, seq`,
          filterParams(validateFilter(filter)),
        );
        return rows.map((row) => toStored(row, t).meta);
      });
    },

    latest(filter?: CheckpointFilter) {
      return boundary.call('latest', async () => {
        const { rows } = await pool.query<MetaRow>(
          `SELECT ${META_COLUMNS} FROM ${t.checkpoints} WHERE ${FILTER_SQL}
           ORDER BY created_at DESC, seq DESC LIMIT 1`,
          filterParams(validateFilter(filter)),
        );
        const row = rows[0];
        return row === undefined ? undefined : toStored(row, t).meta;
      });
    },

    advanceFence(given: CheckpointFence) {
      return boundary.call('advanceFence', async () => {
        const fence = requireFence(given);
        await transaction(db, { lock: 'none' }, (client) => advanceFenceRow(client, t, fence));
      });
    },

    delete(id: string) {
      return boundary.call('delete', async () => {
        assertCheckpointId(id);
        const deleted = await transaction(db, { lock: 'exclusive' }, (client) =>
          removeWhere(client, t, { where: 'id = $1', params: [id] }),
        );
        return deleted > 0;
      });
    },

    prune(policy: RetentionPolicy) {
      return boundary.call('prune', async () => {
        const resolved = validateRetentionPolicy(policy);
        return transaction(db, { lock: 'exclusive' }, (client) => pruneRows(client, t, resolved));
      });
    },

    close() {
      return boundary.close(() => pool.end());
    },

    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}

const META_COLUMNS = `seq, id, workflow_name, lineage_id, run_id, parent_id, superstep, created_at, signature,
    format_version, blob_hashes, reason, run_status`;
const FILTER_SQL = `($1::text IS NULL OR workflow_name = $1) AND ($2::text IS NULL OR lineage_id = $2)
    AND ($3::text IS NULL OR run_id = $3)`;

/** A row's meta, checked as untrusted. */
function toStored(row: MetaRow, t: Tables): StoredMeta {
  const meta = metaFromRecord(
    {
      id: row.id,
      workflowName: row.workflow_name,
      lineageId: row.lineage_id,
      runId: row.run_id,
      parentId: row.parent_id,
      superstep: Number(row.superstep),
      createdAt: row.created_at,
      signature: row.signature,
      formatVersion: row.format_version,
      blobHashes: row.blob_hashes,
      ...runStateFromColumns(row),
    },
    `${t.checkpoints} row ${row.seq}`,
  );
  return { meta, seq: Number(row.seq) };
}

/** Deletes checkpoints, then the blobs they named that no remaining checkpoint names. */
async function removeWhere(
  client: PoolClient,
  t: Tables,
  { where, params }: { readonly where: string; readonly params: unknown[] },
): Promise<number> {
  const { rows } = await client.query<{ blob_hashes: string[] }>(
    `DELETE FROM ${t.checkpoints} WHERE ${where} RETURNING blob_hashes`,
    params,
  );
  const candidates = [...new Set(rows.flatMap((row) => row.blob_hashes))];
  if (candidates.length > 0) {
    await client.query(
      `DELETE FROM ${t.blobs} b WHERE b.hash = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM ${t.refs} r WHERE r.hash = b.hash)`,
      [candidates],
    );
  }
  return rows.length;
}

/** A checked write, with the blobs it names (bytes where shipped). */
interface CheckedWrite {
  readonly meta: CheckpointMeta;
  readonly needed: ReturnType<typeof blobsToStore>;
  readonly write: CheckpointWrite;
  /** The lease's fencing token the write carries, if the instance is leased. */
  readonly fence: CheckpointFence | undefined;
}

/**
 * Raises the instance's recorded fencing token to `fence.token`, or refuses with `LEASE_LOST` if a higher
 * one is recorded (guarantee 52). The row stays locked until the transaction ends, so a new holder's
 * advance waits for an old holder's save in flight, and that save cannot commit after the advance.
 */
async function advanceFenceRow(client: PoolClient, t: Tables, fence: CheckpointFence): Promise<void> {
  const { rows } = await client.query<{ token: string }>(
    `INSERT INTO ${t.fences} AS f (instance, token) VALUES ($1, $2)
     ON CONFLICT (instance) DO UPDATE SET token = GREATEST(f.token, EXCLUDED.token) RETURNING token`,
    [fence.instance, fence.token],
  );
  const stored = Number(rows[0]?.token);
  if (stored !== fence.token) throw fenceRefused(fence, stored, 'postgres');
}

/** Inserts a checkpoint, its shipped blobs and its blob references (in the caller's transaction). */
async function insertCheckpoint(client: PoolClient, t: Tables, checked: CheckedWrite): Promise<void> {
  const { meta, needed, write, fence } = checked;
  if (fence !== undefined) await advanceFenceRow(client, t, fence);
  const existing = await client.query(`SELECT 1 FROM ${t.checkpoints} WHERE id = $1`, [meta.id]);
  if (existing.rows.length > 0) throw checkpointExists(meta.id);
  const unshipped = [...needed].filter(([, bytes]) => bytes === undefined).map(([hash]) => hash);
  if (unshipped.length > 0) {
    const { rows } = await client.query<{ hash: string }>(`SELECT hash FROM ${t.blobs} WHERE hash = ANY($1::text[])`, [
      unshipped,
    ]);
    const found = new Set(rows.map((row) => row.hash));
    const missing = unshipped.filter((hash) => !found.has(hash));
    if (missing.length > 0) throw blobMissing(meta.id, missing);
  }
  // Sorted, so concurrent saves shipping the same blobs take their row locks in one order (no deadlock).
  const shipped = [...needed]
    .flatMap(([hash, bytes]) => (bytes === undefined ? [] : [[hash, bytes] as const]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (shipped.length > 0) {
    await client.query(
      `INSERT INTO ${t.blobs} (hash, bytes) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (hash) DO NOTHING`,
      [shipped.map(([hash]) => hash), shipped.map(([, bytes]) => asBuffer(bytes))],
    );
  }
  let seq: string;
  try {
    const { rows } = await client.query<{ seq: string }>(
      `INSERT INTO ${t.checkpoints} (id, workflow_name, lineage_id, run_id, parent_id, superstep, created_at,
           signature, format_version, blob_hashes, body, reason, run_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12, $13) RETURNING seq`,
      [
        meta.id,
        meta.workflowName,
        meta.lineageId,
        meta.runId,
        meta.parentId,
        meta.superstep,
        meta.createdAt,
        meta.signature,
        meta.formatVersion,
        meta.blobHashes,
        asBuffer(write.body),
        ...runStateColumns(meta),
      ],
    );
    seq = rows[0]?.seq ?? '';
  } catch (error) {
    // Another process saved the same id between our check and our insert.
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw checkpointExists(meta.id);
    throw error;
  }
  if (needed.size > 0) {
    await client.query(`INSERT INTO ${t.refs} (checkpoint_seq, hash) SELECT $1, unnest($2::text[])`, [
      seq,
      [...needed.keys()],
    ]);
  }
}

async function loadCheckpoint(client: PoolClient, t: Tables, id: string): Promise<CheckpointRead | undefined> {
  const { rows } = await client.query<MetaRow & { body: Buffer }>(
    `SELECT ${META_COLUMNS}, body FROM ${t.checkpoints} WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const { meta } = toStored(row, t);
  const blobRows = await client.query<{ hash: string; bytes: Buffer }>(
    `SELECT hash, bytes FROM ${t.blobs} WHERE hash = ANY($1::text[])`,
    [[...new Set(meta.blobHashes)]],
  );
  const blobs = new Map<string, Uint8Array>();
  for (const blob of blobRows.rows) blobs.set(blob.hash, ownedBytes(blob.bytes));
  if (blobs.size !== new Set(meta.blobHashes).size) {
    throw new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint "${id}" lacks some of its blobs`, {
      details: { store: 'postgres', checkpointId: id },
    });
  }
  return { meta, body: ownedBytes(row.body), blobs };
}

async function pruneRows(client: PoolClient, t: Tables, resolved: RetentionPolicy): Promise<number> {
  const { rows } = await client.query<MetaRow>(
    `SELECT ${META_COLUMNS} FROM ${t.checkpoints} WHERE ${FILTER_SQL}`,
    filterParams(resolved.filter),
  );
  const pruned = selectPruned(
    rows.map((row) => toStored(row, t)),
    resolved,
  );
  if (pruned.length === 0) return 0;
  return removeWhere(client, t, { where: 'seq = ANY($1::bigint[])', params: [pruned.map((entry) => entry.seq)] });
}

function filterParams(filter: CheckpointFilter | undefined): (string | null)[] {
  return [filter?.workflowName ?? null, filter?.lineageId ?? null, filter?.runId ?? null];
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(errorMessage).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}
