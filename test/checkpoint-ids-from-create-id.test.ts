/**
 * Checkpoint ids made by a workflow's `createId` are checked like any other id: every write a store is
 * handed — the runtime's own included — names only ids of 1–128 characters of `[A-Za-z0-9_-]`, and any
 * other is refused with CHECKPOINT_ID_INVALID before a byte is written (docs/checkpoints.md, "Stores").
 * Before, the runtime's own writes skipped the check, so `createId: () => '../../escape'` wrote files
 * outside the file store's directory.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createMemoryStore,
  createPool,
  executorModule,
  openFileStore,
  type ActorPool,
  type CheckpointStore,
} from '@superstep/runtime';
import { drain, ofType, rejectionOf } from './helpers.ts';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const chain = (): WorkflowBuilder =>
  new WorkflowBuilder(basic.executor('forward')).addEdge('forward', basic.executor('sink'));
const VALID_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Ids that name a path outside the layout, or no file at all. */
const HOSTILE_IDS = ['../../escape', '..', '.', '', 'a/b', 'a\\b', '..\\..\\escape', 'x'.repeat(129), 'id\0', 'é'];

let pool: ActorPool;
let root: string;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
  root = await mkdtemp(join(tmpdir(), 'superstep-ids-'));
});
afterAll(async () => {
  await pool.close();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('checkpoint ids from createId', () => {
  it('a run whose createId makes path-like ids writes no file anywhere: each checkpoint is refused with CHECKPOINT_ID_INVALID', async () => {
    for (const id of HOSTILE_IDS) {
      const outer = await mkdtemp(join(root, 'run-'));
      const directory = join(outer, 'a', 'store');
      await using store = await openFileStore({ directory });
      const before = await filesUnder(outer);
      await using wf = await chain().build({
        pool,
        store,
        name: 'ids',
        createId: () => id,
        logger: { warn: () => undefined },
      });
      const { result, events } = await drain(wf.run({ n: 1 }));
      // The run itself is unaffected: a failed checkpoint is a warning (docs/checkpoints.md).
      expect(result?.outputs).toEqual([{ n: 1 }]);
      const failed = ofType(events, 'warning').filter((warning) => warning.code === 'CHECKPOINT_FAILED');
      expect(failed).toHaveLength(ofType(events, 'superstep.completed').length + 1);
      for (const warning of failed) expect(String(warning.details.error)).toContain('write.meta.id must be');
      expect(await filesUnder(outer), `files after a run with createId → ${JSON.stringify(id)}`).toEqual(before);
      expect(await rejectionOf(wf.createCheckpoint())).toMatchObject({ code: 'CHECKPOINT_ID_INVALID' });
      expect(await store.list()).toEqual([]);
    }
  });

  it('property: whatever createId returns, a store saves it under checkpoints/<id> or refuses it with CHECKPOINT_ID_INVALID, and writes nothing else', async () => {
    const directory = join(root, 'property', 'store');
    const stores: CheckpointStore[] = [await openFileStore({ directory }), createMemoryStore()];
    let next = 'first';
    const workflows = await Promise.all(
      stores.map((store) => chain().build({ pool, store, name: 'ids', createId: () => next })),
    );
    try {
      const anyId = fc.oneof(
        fc.constantFrom(...HOSTILE_IDS),
        fc.string({ maxLength: 140 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,130}$/),
        fc.array(fc.constantFrom('..', '.', 'x', '_'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
      );
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(anyId, async (id) => {
          if (seen.has(id)) return;
          seen.add(id);
          next = id;
          for (const wf of workflows) {
            const saved = await wf.createCheckpoint().then(
              (meta) => meta,
              (error: unknown) => error as { code?: unknown },
            );
            if (VALID_ID.test(id)) expect(saved).toMatchObject({ id });
            else expect(saved).toMatchObject({ code: 'CHECKPOINT_ID_INVALID' });
          }
          const expected = [...seen].filter((each) => VALID_ID.test(each)).sort();
          const names = (await filesUnder(join(root, 'property'))).filter((name) => !name.startsWith('store/blobs/'));
          expect(names.sort()).toEqual(
            [
              'store/superstep-store.json',
              ...expected.flatMap((each) => [`store/checkpoints/${each}.body`, `store/checkpoints/${each}.json`]),
            ].sort(),
          );
          expect((await stores[1]?.list())?.map((meta) => meta.id).sort()).toEqual(expected);
        }),
        { numRuns: 60, seed: 13 },
      );
    } finally {
      await Promise.all(workflows.map((wf) => wf.close()));
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
