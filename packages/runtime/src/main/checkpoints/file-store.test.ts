/**
 * What only the file store has: path safety, crash leftovers, failed saves and its on-disk layout.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BAD_IDS, expectCode } from './checkpoint-store.contract.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { openFileStore } from './file-store.ts';
import { countFiles, tempDir, write } from './store-test-fixtures.ts';

describe('file store', () => {
  let parent: string;
  let directory: string;
  let store: CheckpointStore;

  beforeEach(async () => {
    parent = await tempDir();
    directory = join(parent, 'store');
    store = await openFileStore({ directory });
  });

  afterEach(async () => {
    await store.close();
    await rm(parent, { recursive: true, force: true });
  });

  it('never lets an id or a blob hash name a path outside its directory', async () => {
    const before = await readdir(directory, { recursive: true });
    for (const id of [...BAD_IDS, '../../outside', `${parent}/outside`, 'sub/../../outside']) {
      await expectCode(store.save(write(id)), 'CHECKPOINT_ID_INVALID');
      await expectCode(store.load(id), 'CHECKPOINT_ID_INVALID');
      await expectCode(store.delete(id), 'CHECKPOINT_ID_INVALID');
    }
    const escaping = write('ok', ['x']);
    const [, data] = escaping.blobs[0] ?? ['', new Uint8Array()];
    await expectCode(
      store.save({
        ...escaping,
        meta: { ...escaping.meta, blobHashes: ['../../outside'] },
        blobs: [['../../outside', data]],
      }),
      'INVALID_OPTION',
    );
    expect(await readdir(parent)).toEqual(['store']);
    expect(await readdir(directory, { recursive: true })).toEqual(before);
  });

  it('lays out a format marker, bodies, metas and blobs by key, and leaves no temp files', async () => {
    const saved = write('c1', ['snapshot']);
    await store.save(saved);
    const [hash = ''] = saved.meta.blobHashes;
    expect(JSON.parse(await readFile(join(directory, 'superstep-store.json'), 'utf8'))).toEqual({
      store: 'superstep-checkpoints',
      formatVersion: 1,
    });
    expect(new Uint8Array(await readFile(join(directory, 'blobs', hash.slice(0, 2), hash)))).toEqual(
      new TextEncoder().encode('snapshot'),
    );
    expect((await readdir(join(directory, 'checkpoints'))).sort()).toEqual(['c1.body', 'c1.json']);
    const all = await readdir(directory, { recursive: true });
    expect(all.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('ignores what an interrupted save leaves, removes temp files on open and sweeps leftovers on prune', async () => {
    await store.save(write('kept', ['x']));
    await writeFile(join(directory, 'checkpoints', 'torn.body'), 'body without a meta');
    await writeFile(join(directory, 'checkpoints', 'torn.json.abc123.tmp'), '{"seq":');
    await mkdir(join(directory, 'blobs', 'ff'), { recursive: true });
    await writeFile(join(directory, 'blobs', 'ff', 'f'.repeat(64)), 'orphan blob');
    expect(await store.load('torn')).toBeUndefined();
    expect((await store.list()).map((meta) => meta.id)).toEqual(['kept']);
    await store.close();
    store = await openFileStore({ directory });
    expect((await readdir(join(directory, 'checkpoints'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(await store.prune({ keepLast: 1 })).toBe(0);
    expect((await readdir(join(directory, 'checkpoints'))).sort()).toEqual(['kept.body', 'kept.json']);
    expect(await countFiles(join(directory, 'blobs'))).toBe(1);
    expect((await store.load('kept'))?.blobs.size).toBe(1);
  });

  it('reports a failed save as CHECKPOINT_STORE_FAILED and leaves none of its files behind', async () => {
    // A directory where the body should go makes the body's rename fail after the blob was written.
    await mkdir(join(directory, 'checkpoints', 'c1.body'));
    await expectCode(store.save(write('c1', ['new blob'])), 'CHECKPOINT_STORE_FAILED');
    expect(await countFiles(join(directory, 'blobs'))).toBe(0);
    expect(await store.list()).toEqual([]);
    expect(await store.load('c1')).toBeUndefined();
  });

  it('a failed save in a new process removes only the files it created, never a blob older checkpoints use', async () => {
    await store.save(write('old', ['shared state']));
    await store.close();
    // A new process: its store has not seen the blob on disk, and a checkpointer whose save failed ships every blob.
    store = await openFileStore({ directory });
    await mkdir(join(directory, 'checkpoints', 'c2.body'));
    await expectCode(store.save(write('c2', ['shared state', 'new blob'])), 'CHECKPOINT_STORE_FAILED');
    expect(await countFiles(join(directory, 'blobs'))).toBe(1);
    expect((await store.load('old'))?.blobs.size).toBe(1);
  });

  it('reports a damaged meta file as CHECKPOINT_CORRUPT', async () => {
    await store.save(write('c1'));
    await writeFile(join(directory, 'checkpoints', 'c1.json'), '{"seq": 1, "meta": {"id": "c1"}}');
    await expectCode(store.load('c1'), 'CHECKPOINT_CORRUPT');
    await expectCode(store.list(), 'CHECKPOINT_CORRUPT');
  });

  it('reads a meta file without run state (written before it was recorded); a damaged one is CHECKPOINT_CORRUPT', async () => {
    await store.save({ ...write('c1'), meta: { ...write('c1').meta, reason: 'barrier', runStatus: 'running' } });
    const path = join(directory, 'checkpoints', 'c1.json');
    const record = JSON.parse(await readFile(path, 'utf8')) as { meta: Record<string, unknown> };
    expect(record.meta).toMatchObject({ reason: 'barrier', runStatus: 'running' });
    delete record.meta.reason;
    delete record.meta.runStatus;
    await writeFile(path, JSON.stringify(record));
    const meta = (await store.load('c1'))?.meta;
    expect(meta !== undefined && ('reason' in meta || 'runStatus' in meta)).toBe(false);
    await writeFile(path, JSON.stringify({ ...record, meta: { ...record.meta, runStatus: { done: true } } }));
    await expectCode(store.load('c1'), 'CHECKPOINT_CORRUPT');
  });

  it('refuses a directory written in another layout version', async () => {
    await store.close();
    await writeFile(join(directory, 'superstep-store.json'), '{"store":"superstep-checkpoints","formatVersion":99}');
    await expectCode(openFileStore({ directory }), 'CHECKPOINT_VERSION_UNSUPPORTED');
  });

  it('refuses a missing directory and an unknown durability', async () => {
    await expectCode(openFileStore({ directory: '' }), 'INVALID_OPTION');
    await expectCode(
      openFileStore({ directory: join(directory, 'd'), durability: 'always' as 'full' }),
      'INVALID_OPTION',
    );
  });
});
