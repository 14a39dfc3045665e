/**
 * The SQLite checkpoint store: the embedded default for durable checkpoints (guarantee 26). One database file,
 * WAL mode, one transaction per save, so a checkpoint is there whole or not at all, also after a crash.
 * Several processes may share the file: writers take SQLite's write lock (`BEGIN IMMEDIATE`) and wait for
 * each other up to the busy timeout.
 *
 * Driver: better-sqlite3, wrapped here and nowhere else. It is synchronous, so a save blocks the main
 * thread while it writes; saves happen at barriers, when the workers are idle anyway.
 *
 *     checkpoints  (seq, id, workflow_name, lineage_id, run_id, parent_id, superstep, created_at,
 *                   signature, format_version, blob_hashes JSON, body)
 *     blobs        (hash, bytes)        — by blob key, INSERT OR IGNORE
 *
 * Which checkpoint names which blob is the `blob_hashes` column itself, read with `json_each`. Layout 1
 * kept it a second time in a `checkpoint_blobs` table indexed by hash, for garbage collection; every
 * save then inserted one index entry per actor at random places in the index, and with 16 KiB pages
 * that was three quarters of a save's cost (a save of 8 new 16 KB blobs among 64 actors: 1.57 ms with
 * the table and its index, 0.33 ms without, measured on the same machine). Garbage collection, which
 * happens only on `delete` and `prune`, now scans the remaining checkpoints' hashes once per call instead.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { importOptional } from '../../shared/optional-dependency.ts';
import { SuperstepError } from '../../shared/errors.ts';
import type {
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
  metaFromRecord,
  requireObject,
  validateFilter,
  validateRetentionPolicy,
  validateWrite,
} from './checkpoint-validation.ts';
import { selectPruned, type StoredMeta } from './retention.ts';
import { runStateFromColumns, type RunStateColumns } from './run-state-columns.ts';
import { asBuffer, createStoreBoundary, ownedBytes } from './store-boundary.ts';

export interface SqliteStoreOptions {
  /** The database file, created (with its directory) if missing. `:memory:` works but keeps nothing. */
  readonly path: string;
  /** How long a write waits for another process's write lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * `'normal'` (default): WAL with `synchronous = NORMAL` — a saved checkpoint survives the process being
   * killed, and the file is never corrupted; an operating-system crash or power cut may lose the last few
   * saves. `'full'`: `synchronous = FULL` — a save that resolved survives a power cut too, at an fsync
   * per save.
   */
  readonly durability?: 'normal' | 'full';
}

/** The table layout this code reads and writes, kept in `PRAGMA user_version`. Layout 1 is migrated. */
const LAYOUT_VERSION = 2;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    workflow_name TEXT NOT NULL,
    lineage_id TEXT NOT NULL,
    run_id TEXT,
    parent_id TEXT,
    superstep INTEGER NOT NULL,
    created_at REAL NOT NULL,
    signature TEXT NOT NULL,
    format_version INTEGER NOT NULL,
    blob_hashes TEXT NOT NULL,
    body BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS checkpoints_by_workflow ON checkpoints (workflow_name, created_at, superstep, seq);
  CREATE INDEX IF NOT EXISTS checkpoints_by_lineage ON checkpoints (lineage_id, created_at, superstep, seq);
  CREATE INDEX IF NOT EXISTS checkpoints_by_run ON checkpoints (run_id, created_at, superstep, seq);
  CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
  );
`;

const META_COLUMNS = `seq, id, workflow_name, lineage_id, run_id, parent_id, superstep, created_at, signature,
  format_version, blob_hashes, reason, run_status`;
const FILTER = `(@workflowName IS NULL OR workflow_name = @workflowName)
  AND (@lineageId IS NULL OR lineage_id = @lineageId) AND (@runId IS NULL OR run_id = @runId)`;

interface MetaRow extends RunStateColumns {
  seq: number;
  id: string;
  workflow_name: string;
  lineage_id: string;
  run_id: string | null;
  parent_id: string | null;
  superstep: number;
  created_at: number;
  signature: string;
  format_version: number;
  blob_hashes: string;
}

/**
 * Opens (creating if needed) a SQLite checkpoint store.
 *
 * @example
 * const store = await openSqliteStore({ path: 'data/checkpoints.db' });
 * const workflow = await builder.build({ name: 'orders', store });
 * // later, in a fresh process:
 * const latest = await store.latest({ workflowName: 'orders' });
 * if (latest) await workflow.restore(latest.id);
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<CheckpointStore> {
  requireObject(options, 'options');
  const { path, busyTimeoutMs = 5000, durability = 'normal' } = options;
  if (!(['normal', 'full'] as unknown[]).includes(durability)) {
    throw new SuperstepError('INVALID_OPTION', `options.durability must be 'normal' or 'full'`, {
      details: { option: 'options.durability' },
    });
  }
  if (typeof path !== 'string' || path.length === 0) {
    throw new SuperstepError('INVALID_OPTION', 'options.path must be a non-empty string', {
      details: { option: 'options.path' },
    });
  }
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new SuperstepError('INVALID_OPTION', 'options.busyTimeoutMs must be a non-negative integer', {
      details: { option: 'options.busyTimeoutMs' },
    });
  }
  // An optional peer: loaded when a SQLite store is opened, so projects without one need no native build.
  // It is CommonJS: `import()` gives `module.exports` as `default`, which its `export =` types do not say.
  const { default: Sqlite } = (await importOptional(
    'better-sqlite3',
    'the SQLite checkpoint store',
    () => import('better-sqlite3'),
  )) as unknown as { default: typeof Database };
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    db = new Sqlite(path, { timeout: busyTimeoutMs });
    // Snapshots are blobs of kilobytes: 16 KiB pages hold one in a page or a few instead of a chain of
    // 4 KiB overflow pages (a bare insert of 8 x 16 KB blobs, hashing included, measured 1022 → 689 µs).
    // Only a new file takes a page size, and only before WAL is on.
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    // NORMAL (in WAL mode): survives a crash of this process; FULL: survives a power cut too.
    db.pragma(durability === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (error) {
    db?.close();
    if (error instanceof SuperstepError) throw error;
    throw new SuperstepError('CHECKPOINT_STORE_FAILED', `cannot open the SQLite checkpoint store ${path}`, {
      cause: error,
      details: { store: 'sqlite', operation: 'open', path },
    });
  }
  return createSqliteStore(db);
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true });
    if (version !== 0 && version !== 1 && version !== LAYOUT_VERSION) {
      throw new SuperstepError(
        'CHECKPOINT_VERSION_UNSUPPORTED',
        `${path} holds a checkpoint store of format ${String(version)}; this runtime reads format ${LAYOUT_VERSION}`,
        { details: { store: 'sqlite', path, formatVersion: version } },
      );
    }
    // Layout 1 → 2: the references table only repeated `blob_hashes`; dropping it loses nothing.
    if (version === 1) db.exec('DROP TABLE IF EXISTS checkpoint_blobs');
    db.exec(SCHEMA);
    addRunStateColumns(db);
    db.pragma(`user_version = ${LAYOUT_VERSION}`);
  }).immediate();
}

/**
 * Why each checkpoint was written and how its run stood: columns added to files made before they were
 * recorded (their rows read as NULL, which decodes as absent). Additive, so the layout number stays.
 */
function addRunStateColumns(db: Database.Database): void {
  const info = db.pragma('table_info(checkpoints)') as { name: string }[];
  const columns = new Set(info.map((column) => column.name));
  if (!columns.has('reason')) db.exec('ALTER TABLE checkpoints ADD COLUMN reason TEXT');
  if (!columns.has('run_status')) db.exec('ALTER TABLE checkpoints ADD COLUMN run_status TEXT');
}

/** The store's prepared statements. */
function prepareStatements(db: Database.Database) {
  return {
    exists: db.prepare<[string], { seq: number }>('SELECT seq FROM checkpoints WHERE id = ?'),
    // Set-based statements over a JSON array of hashes: a checkpoint names every actor's blob, so one
    // statement instead of one per actor keeps a save's cost with what changed, not with all actors.
    missingBlobs: db.prepare<[string], { hash: string }>(
      'SELECT value AS hash FROM json_each(?) WHERE value NOT IN (SELECT hash FROM blobs)',
    ),
    insertBlob: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO blobs (hash, bytes) VALUES (?, ?)'),
    insertCheckpoint: db.prepare(
      `INSERT INTO checkpoints (id, workflow_name, lineage_id, run_id, parent_id, superstep, created_at, signature,
       format_version, blob_hashes, body, reason, run_status)
     VALUES (@id, @workflowName, @lineageId, @runId, @parentId, @superstep, @createdAt, @signature,
       @formatVersion, @blobHashes, @body, @reason, @runStatus)`,
    ),
    loadCheckpoint: db.prepare<[string], MetaRow & { body: Buffer }>(
      `SELECT ${META_COLUMNS}, body FROM checkpoints WHERE id = ?`,
    ),
    loadBlobs: db.prepare<[string], { hash: string; bytes: Buffer }>(
      'SELECT hash, bytes FROM blobs WHERE hash IN (SELECT value FROM json_each(?))',
    ),
    list: db.prepare<FilterParams, MetaRow>(
      `SELECT ${META_COLUMNS} FROM checkpoints WHERE ${FILTER} ORDER BY created_at, seq`,
    ),
    latest: db.prepare<FilterParams, MetaRow>(
      `SELECT ${META_COLUMNS} FROM checkpoints WHERE ${FILTER}
     ORDER BY created_at DESC, seq DESC LIMIT 1`,
    ),
    hashesOf: db.prepare<[number], { blob_hashes: string }>('SELECT blob_hashes FROM checkpoints WHERE seq = ?'),
    deleteCheckpoint: db.prepare<[number]>('DELETE FROM checkpoints WHERE seq = ?'),
    // The subquery does not depend on the outer row, so SQLite evaluates it once per statement.
    deleteUnreferenced: db.prepare<[string]>(
      `DELETE FROM blobs WHERE hash IN (SELECT value FROM json_each(?))
       AND hash NOT IN (SELECT value FROM checkpoints, json_each(checkpoints.blob_hashes))`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** A row's meta, checked as untrusted (the file may have been edited or damaged). */
function toStored(row: MetaRow): StoredMeta {
  let blobHashes: unknown;
  try {
    blobHashes = JSON.parse(row.blob_hashes);
  } catch {
    blobHashes = undefined;
  }
  const meta = metaFromRecord(
    {
      id: row.id,
      workflowName: row.workflow_name,
      lineageId: row.lineage_id,
      runId: row.run_id,
      parentId: row.parent_id,
      superstep: row.superstep,
      createdAt: row.created_at,
      signature: row.signature,
      formatVersion: row.format_version,
      blobHashes,
      ...runStateFromColumns(row),
    },
    `checkpoints row ${row.seq}`,
  );
  return { meta, seq: row.seq };
}

/** The store's transactions: each runs as one SQLite transaction. */
function transactions(db: Database.Database, statements: Statements) {
  /** Deletes checkpoints by seq, then the blobs they named that nothing else names. Inside a transaction. */
  const removeAll = (seqs: readonly number[]): void => {
    const candidates = new Set<string>();
    for (const seq of seqs) {
      const row = statements.hashesOf.get(seq);
      if (row === undefined) continue;
      for (const hash of parseHashes(row.blob_hashes)) candidates.add(hash);
      statements.deleteCheckpoint.run(seq);
    }
    if (candidates.size > 0) statements.deleteUnreferenced.run(JSON.stringify([...candidates]));
  };

  const save = db.transaction((meta: CheckpointMeta, write: CheckpointWrite): void => {
    if (statements.exists.get(meta.id) !== undefined) throw checkpointExists(meta.id);
    const needed = blobsToStore(meta, write);
    const notShipped = [...needed].filter(([, bytes]) => bytes === undefined).map(([hash]) => hash);
    const missing =
      notShipped.length === 0 ? [] : statements.missingBlobs.all(JSON.stringify(notShipped)).map((row) => row.hash);
    if (missing.length > 0) throw blobMissing(meta.id, missing);
    for (const [hash, bytes] of needed) if (bytes !== undefined) statements.insertBlob.run(hash, asBuffer(bytes));
    statements.insertCheckpoint.run({
      ...meta,
      blobHashes: JSON.stringify(meta.blobHashes),
      body: asBuffer(write.body),
      reason: meta.reason ?? null,
      runStatus: meta.runStatus ?? null,
    });
  });

  const load = db.transaction((id: string): CheckpointRead | undefined => {
    const row = statements.loadCheckpoint.get(id);
    if (row === undefined) return undefined;
    const { meta } = toStored(row);
    const blobs = new Map<string, Uint8Array>();
    for (const { hash, bytes } of statements.loadBlobs.all(row.blob_hashes)) blobs.set(hash, ownedBytes(bytes));
    if (blobs.size !== new Set(meta.blobHashes).size) {
      throw new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint "${id}" lacks some of its blobs`, {
        details: { store: 'sqlite', checkpointId: id },
      });
    }
    return { meta, body: ownedBytes(row.body), blobs };
  });

  const remove = db.transaction((id: string): boolean => {
    const row = statements.exists.get(id);
    if (row === undefined) return false;
    removeAll([row.seq]);
    return true;
  });

  const prune = db.transaction((policy: RetentionPolicy): number => {
    const stored = statements.list.all(filterParams(policy.filter)).map(toStored);
    const pruned = selectPruned(stored, policy);
    removeAll(pruned.map((entry) => entry.seq));
    return pruned.length;
  });

  return { save, load, remove, prune };
}

function createSqliteStore(db: Database.Database): CheckpointStore {
  const boundary = createStoreBoundary('sqlite');
  const statements = prepareStatements(db);
  const { save, load, remove, prune } = transactions(db, statements);

  const store: CheckpointStore = {
    kind: 'sqlite',

    save(write: CheckpointWrite) {
      return boundary.call('save', () => {
        const meta = validateWrite(write);
        save.immediate(meta, write);
      });
    },

    load(id: string) {
      return boundary.call('load', () => {
        assertCheckpointId(id);
        return load(id);
      });
    },

    list(filter?: CheckpointFilter) {
      return boundary.call('list', () =>
        statements.list.all(filterParams(validateFilter(filter))).map((row) => toStored(row).meta),
      );
    },

    latest(filter?: CheckpointFilter) {
      return boundary.call('latest', () => {
        const row = statements.latest.get(filterParams(validateFilter(filter)));
        return row === undefined ? undefined : toStored(row).meta;
      });
    },

    delete(id: string) {
      return boundary.call('delete', () => {
        assertCheckpointId(id);
        return remove.immediate(id);
      });
    },

    prune(policy: RetentionPolicy) {
      return boundary.call('prune', () => prune.immediate(validateRetentionPolicy(policy)));
    },

    close() {
      return boundary.close(() => {
        db.close();
      });
    },

    [Symbol.asyncDispose]() {
      return store.close();
    },
  };
  return store;
}

interface FilterParams {
  workflowName: string | null;
  lineageId: string | null;
  runId: string | null;
}

/** The hashes of a `blob_hashes` column; a damaged column names nothing (loading that checkpoint fails). */
function parseHashes(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((hash): hash is string => typeof hash === 'string') : [];
  } catch {
    return [];
  }
}

function filterParams(filter: CheckpointFilter | undefined): FilterParams {
  return {
    workflowName: filter?.workflowName ?? null,
    lineageId: filter?.lineageId ?? null,
    runId: filter?.runId ?? null,
  };
}
