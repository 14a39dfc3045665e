/**
 * Runs the checkpoint store contract against every store (guarantee 26), plus what only one store has: the
 * SQLite's persistence and WAL mode, PostgreSQL's sharing (the file store's own cases: file-store.test.ts).
 * PostgreSQL runs against a real server (`SUPERSTEP_PG_URL`, default the local one) and is skipped, with a
 * warning naming the URL, only if no server answers there.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeCheckpointStoreContract, expectCode } from './checkpoint-store.contract.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { describeFencingContract } from './fence.contract.ts';
import { openFileStore } from './file-store.ts';
import { createMemoryStore } from './memory-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { countFiles, tempDir, write } from './store-test-fixtures.ts';

const PG_URL = process.env.SUPERSTEP_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describeCheckpointStoreContract('memory', () => Promise.resolve({ store: createMemoryStore() }));
describeFencingContract('memory', () => Promise.resolve(createMemoryStore()));

describeCheckpointStoreContract('file', async () => {
  const directory = await tempDir();
  return {
    store: await openFileStore({ directory }),
    reopen: () => openFileStore({ directory }),
    countBlobs: () => countFiles(join(directory, 'blobs')),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

describeCheckpointStoreContract('file (durability full: every file and directory fsynced)', async () => {
  const directory = await tempDir();
  return {
    store: await openFileStore({ directory, durability: 'full' }),
    reopen: () => openFileStore({ directory, durability: 'full' }),
    countBlobs: () => countFiles(join(directory, 'blobs')),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

describeCheckpointStoreContract('sqlite', async () => {
  const directory = await tempDir();
  const path = join(directory, 'checkpoints.db');
  return {
    store: await openSqliteStore({ path }),
    reopen: () => openSqliteStore({ path }),
    countBlobs: () => Promise.resolve(countSqliteBlobs(path)),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});

function countSqliteBlobs(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Whether a PostgreSQL server answers at `url`. Only "nothing is listening there" counts as absent. */
async function probePostgres(url: string): Promise<{ reachable: boolean; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { reachable: true, reason: '' };
  } catch (error) {
    const codes = [error, ...(error instanceof AggregateError ? (error.errors as unknown[]) : [])].map(
      (e) => (e as { code?: unknown } | null)?.code,
    );
    const absent = codes.some((code) =>
      ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(String(code)),
    );
    const timedOut = error instanceof Error && /timeout/i.test(error.message);
    // Anything else (bad password, missing database) means a server is there: run, and fail loudly.
    return {
      reachable: !(absent || timedOut),
      reason: error instanceof Error ? error.message || String(codes) : String(error),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgres = await probePostgres(PG_URL);
if (!postgres.reachable) {
  console.warn(`No PostgreSQL server at ${PG_URL} (${postgres.reason}): skipping the postgres checkpoint store tests.`);
}

describe.skipIf(!postgres.reachable)(`postgres at ${PG_URL}`, () => {
  // One schema per test run, dropped at the end; one table prefix per store the suite opens.
  const schema = `superstep_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  let stores = 0;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  describeCheckpointStoreContract('postgres', async () => {
    const tablePrefix = `s${++stores}_`;
    const open = (): Promise<CheckpointStore> => openPostgresStore({ connectionString: PG_URL, schema, tablePrefix });
    return {
      store: await open(),
      reopen: open,
      countBlobs: async () => {
        const { rows } = await admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}"."${tablePrefix}blobs"`,
        );
        return Number(rows[0]?.n);
      },
    };
  });

  describeFencingContract('postgres', () =>
    openPostgresStore({ connectionString: PG_URL, schema, tablePrefix: `fence${++stores}_` }),
  );

  it('shares checkpoints and blobs between stores on the same tables (as between processes)', async () => {
    const tablePrefix = `shared${++stores}_`;
    await using one = await openPostgresStore({ connectionString: PG_URL, schema, tablePrefix });
    await using two = await openPostgresStore({ connectionString: PG_URL, schema, tablePrefix });
    await one.save(write('a', ['x']));
    const second = write('b', ['x']);
    await two.save({ ...second, blobs: [] });
    expect((await one.load('b'))?.blobs.size).toBe(1);
    expect((await two.list()).map((meta) => meta.id)).toEqual(['a', 'b']);
  });

  it('adds the run-state columns to tables made before them; old rows read without them, damaged ones as CHECKPOINT_CORRUPT', async () => {
    const tablePrefix = `runstate${++stores}_`;
    const table = `"${schema}"."${tablePrefix}checkpoints"`;
    await using first = await openPostgresStore({ connectionString: PG_URL, schema, tablePrefix });
    await first.save(write('old'));
    await admin.query(`ALTER TABLE ${table} DROP COLUMN reason, DROP COLUMN run_status`);
    await using second = await openPostgresStore({ connectionString: PG_URL, schema, tablePrefix });
    const old = (await second.load('old'))?.meta;
    expect(old?.id).toBe('old');
    expect(old !== undefined && ('reason' in old || 'runStatus' in old)).toBe(false);
    await second.save({ ...write('new'), meta: { ...write('new').meta, reason: 'final', runStatus: 'failed' } });
    expect((await second.latest())?.runStatus).toBe('failed');
    await admin.query(`UPDATE ${table} SET run_status = 'exploded' WHERE id = 'new'`);
    await expectCode(second.load('new'), 'CHECKPOINT_CORRUPT');
  });

  it('refuses tables of another layout version', async () => {
    const tablePrefix = `layout${++stores}_`;
    await (await openPostgresStore({ connectionString: PG_URL, schema, tablePrefix })).close();
    await admin.query(`UPDATE "${schema}"."${tablePrefix}layout" SET format_version = 99`);
    await expectCode(
      openPostgresStore({ connectionString: PG_URL, schema, tablePrefix }),
      'CHECKPOINT_VERSION_UNSUPPORTED',
    );
  });
});

describe('postgres store options and failures', () => {
  it('refuses names that are not plain identifiers', async () => {
    await expectCode(openPostgresStore({ connectionString: PG_URL, schema: 'x"; DROP TABLE y; --' }), 'INVALID_OPTION');
    await expectCode(openPostgresStore({ connectionString: PG_URL, tablePrefix: 'a-b' }), 'INVALID_OPTION');
    await expectCode(openPostgresStore({ connectionString: PG_URL, maxConnections: 0 }), 'INVALID_OPTION');
  });

  it('reports a server it cannot reach as CHECKPOINT_STORE_FAILED', async () => {
    await expectCode(
      openPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2000 }),
      'CHECKPOINT_STORE_FAILED',
    );
  });
});

describe('sqlite store', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await tempDir();
    path = join(directory, 'nested', 'checkpoints.db');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('persists across close and reopen, in WAL mode', async () => {
    const first = await openSqliteStore({ path });
    await first.save(write('c1', ['x', 'y']));
    await first.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    await using second = await openSqliteStore({ path });
    const read = await second.load('c1');
    expect(read?.body).toEqual(new TextEncoder().encode('body of c1'));
    expect(read?.blobs.size).toBe(2);
  });

  it('shares one file between stores (as between processes)', async () => {
    await using one = await openSqliteStore({ path });
    await using two = await openSqliteStore({ path });
    await one.save(write('a', ['x']));
    await two.save({ ...write('b', ['x']), blobs: [] });
    expect((await one.load('b'))?.blobs.size).toBe(1);
    expect(await two.delete('a')).toBe(true);
    expect((await one.list()).map((meta) => meta.id)).toEqual(['b']);
  });

  it('migrates a layout-1 file (with its references table) and keeps reading and collecting it', async () => {
    // Layout 1 as it was written: the references were also kept in checkpoint_blobs.
    await mkdir(join(directory, 'nested'), { recursive: true });
    const old = new Database(path);
    old.exec(`
      CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        workflow_name TEXT NOT NULL, lineage_id TEXT NOT NULL, run_id TEXT, parent_id TEXT,
        superstep INTEGER NOT NULL, created_at REAL NOT NULL, signature TEXT NOT NULL,
        format_version INTEGER NOT NULL, blob_hashes TEXT NOT NULL, body BLOB NOT NULL);
      CREATE TABLE blobs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
      CREATE TABLE checkpoint_blobs (checkpoint_seq INTEGER NOT NULL REFERENCES checkpoints (seq) ON DELETE CASCADE,
        hash TEXT NOT NULL REFERENCES blobs (hash), PRIMARY KEY (checkpoint_seq, hash)) WITHOUT ROWID;
      CREATE INDEX checkpoint_blobs_by_hash ON checkpoint_blobs (hash);
      PRAGMA user_version = 1;`);
    for (const [seq, id, texts] of [
      [1, 'old-1', ['x', 'y']],
      [2, 'old-2', ['y']],
    ] as const) {
      const { meta, body, blobs } = write(id, texts);
      old
        .prepare('INSERT INTO checkpoints VALUES (?, ?, ?, ?, NULL, NULL, 0, ?, ?, ?, ?, ?)')
        .run(
          seq,
          id,
          meta.workflowName,
          meta.lineageId,
          seq,
          meta.signature,
          meta.formatVersion,
          JSON.stringify(meta.blobHashes),
          Buffer.from(body),
        );
      for (const [hash, bytes] of blobs) {
        old.prepare('INSERT OR IGNORE INTO blobs VALUES (?, ?)').run(hash, Buffer.from(bytes));
        old.prepare('INSERT INTO checkpoint_blobs VALUES (?, ?)').run(seq, hash);
      }
    }
    old.close();

    await using store = await openSqliteStore({ path });
    expect((await store.load('old-1'))?.blobs.size).toBe(2);
    // Written before checkpoints said why and how their run stood: read without those fields.
    const oldMeta = await store.latest();
    expect(oldMeta !== undefined && ('reason' in oldMeta || 'runStatus' in oldMeta)).toBe(false);
    // Deleting old-1 frees x, which only it named, and keeps y, which old-2 still names.
    expect(await store.delete('old-1')).toBe(true);
    expect(countSqliteBlobs(path)).toBe(1);
    expect([...((await store.load('old-2'))?.blobs.values() ?? [])]).toEqual([new TextEncoder().encode('y')]);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'checkpoint_blobs'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('adds the run-state columns to a layout-2 file made before them, and reports a damaged value as CHECKPOINT_CORRUPT', async () => {
    await (await openSqliteStore({ path })).close();
    const db = new Database(path);
    db.exec('ALTER TABLE checkpoints DROP COLUMN reason; ALTER TABLE checkpoints DROP COLUMN run_status');
    await using store = await openSqliteStore({ path });
    await store.save({ ...write('c1'), meta: { ...write('c1').meta, reason: 'response', runStatus: 'waiting' } });
    expect(await store.latest()).toMatchObject({ id: 'c1', reason: 'response', runStatus: 'waiting' });
    db.exec("UPDATE checkpoints SET reason = 'whim' WHERE id = 'c1'");
    db.close();
    await expectCode(store.load('c1'), 'CHECKPOINT_CORRUPT');
    await expectCode(store.latest(), 'CHECKPOINT_CORRUPT');
  });

  it('refuses a database of another layout version', async () => {
    await (await openSqliteStore({ path })).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await expectCode(openSqliteStore({ path }), 'CHECKPOINT_VERSION_UNSUPPORTED');
  });

  it('reports a file it cannot open as CHECKPOINT_STORE_FAILED, and bad options as INVALID_OPTION', async () => {
    await writeFile(join(directory, 'not-a-db'), 'definitely not SQLite '.repeat(100));
    await expectCode(openSqliteStore({ path: join(directory, 'not-a-db') }), 'CHECKPOINT_STORE_FAILED');
    await expectCode(openSqliteStore({ path: '' }), 'INVALID_OPTION');
  });
});
