/**
 * `checkpoint-overhead` (docs/benchmarks.md): 64 actors with ~16 KB of state each run S supersteps of a ring, 8 of
 * them changing state in each, with a checkpoint at every barrier to the `memory`, `file` or `sqlite`
 * store (each at its defaults: durability `'normal'` for file and SQLite, see docs/checkpoints.md), or none.
 * Each system has its own instance of the same graph on one pool (a store only knows the
 * snapshots it was given: runs of another store in between would change states behind its back, and its
 * next entry checkpoint would ship them all). Metric: µs per superstep; `memory/none`, `sqlite/none` (and
 * `file/none`) are the cost of checkpointing as a factor.
 *
 * Bytes: each store is wrapped to add up what `save` receives (body + blobs). The runtime ships only the
 * snapshots of actors whose state changed (blobs keep their key while unchanged), so the bytes written per superstep
 * should be close to the changed bytes, 8 × 16 KB, plus a body that references all 64 snapshots:
 * `bytesWritten/changedBytes` is that factor (the same for every store; reported for each).
 *
 * Stores keep growing: between repetitions (outside the timed region) the memory and SQLite stores are
 * pruned to their newest checkpoint, which still holds every current snapshot. The file store is not: on an
 * ext4 mounted with `discard` (this project's machines) the prune's ~900 deletions slowed the file creations
 * that followed for seconds, 10-file saves from ~0.6 ms to 2–10 ms, which charged the harness's housekeeping
 * to the next repetition's saves (same session: `file/none` 7.7–8.1 pruned, 1.7–3.7 not). `file-pruned`, a
 * second file store pruned between repetitions as before, keeps that cost in view: what a save costs right
 * after a prune. File and SQLite live in a temporary directory, removed at the end.
 */
import { createMemoryStore, createPool, openFileStore, openSqliteStore, type Workflow } from '@superstep/runtime';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATE_BYTES, type StateStep } from '../executors.ts';
import {
  measureInterleaved,
  ratio,
  round,
  row,
  single,
  timed,
  type Contender,
  type ResultRow,
  type Scenario,
} from '../harness.ts';
import {
  CHANGE_EVERY,
  INIT_STEP,
  STATE_ACTORS,
  buildStateRing,
  countingStore,
  ringSteps,
  type CountingStore,
} from '../state-ring.ts';

/** State bytes that change per superstep: 8 actors × 16 KB. */
const CHANGED_BYTES = (STATE_ACTORS / CHANGE_EVERY) * STATE_BYTES;

export const checkpointOverhead: Scenario = {
  id: 'checkpoint-overhead',
  title: '64 actors × 16 KB state, 8 change per superstep: µs per superstep with memory/file/sqlite checkpoints',
  async run({ quick, threads, progress }) {
    const steps = quick ? 5 : 90;
    const repetitions = quick ? { warmup: 1, reps: 4 } : { warmup: 2, reps: 15 };
    const directory = await mkdtemp(join(tmpdir(), 'superstep-bench-'));
    const pool = await timed(() => createPool({ threads }));
    /** `pruned`: pruned to the newest checkpoint between repetitions (see the top of this file). */
    const stores: { name: string; counting: CountingStore; pruned: boolean }[] = [];
    const rings = new Map<string, Workflow<StateStep>>();
    try {
      stores.push(
        { name: 'memory', counting: countingStore(createMemoryStore()), pruned: true },
        { name: 'file', counting: await fileStore(join(directory, 'file')), pruned: false },
        { name: 'file-pruned', counting: await fileStore(join(directory, 'file-pruned')), pruned: true },
        {
          name: 'sqlite',
          counting: countingStore(await openSqliteStore({ path: join(directory, 'bench.db') })),
          pruned: true,
        },
      );
      const builds: number[] = [];
      for (const name of ['none', ...stores.map((store) => store.name)]) {
        const built = await timed(() => buildStateRing(pool.value));
        builds.push(built.ms);
        rings.set(name, built.value);
        await built.value.run(INIT_STEP).result();
      }
      progress(`started · pool ${pool.ms.toFixed(0)} ms · ${rings.size} instances with their states`);

      const job = ringSteps(steps);
      const runOnce = async (name: string, counting: CountingStore | undefined): Promise<number> => {
        const ring = rings.get(name);
        if (ring === undefined) throw new Error(`checkpoint-overhead: no instance for ${name}`);
        const { ms, value } = await timed(() =>
          ring.run(job, counting === undefined ? {} : { store: counting.store }).result(),
        );
        if (value.supersteps !== steps + 1) {
          throw new Error(`checkpoint-overhead ran ${value.supersteps} supersteps, expected ${steps + 1}`);
        }
        return (ms * 1000) / value.supersteps;
      };
      /** Bytes given to each store per ring superstep, one sample per run (warm-up runs included). */
      const bytesPerStep = new Map<string, number[]>(stores.map(({ name }) => [name, []]));
      const contenders: Contender[] = [
        { name: 'none', once: () => runOnce('none', undefined) },
        ...stores.map(({ name, counting, pruned }): Contender => ({
          name,
          async once() {
            counting.reset();
            const us = await runOnce(name, counting);
            bytesPerStep.get(name)?.push(counting.bytes / steps);
            if (pruned) await counting.store.prune({ keepLast: 1 });
            return us;
          },
        })),
      ];
      const samples = await measureInterleaved(contenders, repetitions, progress);
      const rows = new Map<string, ResultRow>();
      for (const [name, values] of samples) rows.set(name, row(name, 'usPerSuperstep', values));
      const byteRows = stores.map(({ name }) =>
        row(name, 'bytesPerStep', (bytesPerStep.get(name) ?? []).slice(repetitions.warmup)),
      );
      const ratios: Record<string, number> = {};
      for (const name of ['memory', 'file', 'file-pruned', 'sqlite']) {
        const value = ratio(rows.get(name), rows.get('none'));
        if (value !== undefined) ratios[`${name}/none`] = value;
      }
      const written = byteRows.find((candidate) => candidate.system === 'sqlite') ?? byteRows[0];
      if (written !== undefined) ratios['bytesWritten/changedBytes'] = round(written.median / CHANGED_BYTES);
      return {
        params: {
          actors: STATE_ACTORS,
          stateBytes: STATE_BYTES,
          changedPerStep: STATE_ACTORS / CHANGE_EVERY,
          S: steps,
        },
        results: [
          ...rows.values(),
          ...byteRows,
          single('changed', 'bytesPerStep', CHANGED_BYTES),
          single('superstep', 'startupMs', pool.ms),
          row('superstep', 'buildMs', builds),
        ],
        ratios,
      };
    } finally {
      for (const ring of rings.values()) await ring.close();
      for (const { counting } of stores) await counting.store.close();
      await pool.value.close();
      await rm(directory, { recursive: true, force: true });
    }
  },
};

async function fileStore(directory: string): Promise<CountingStore> {
  return countingStore(await openFileStore({ directory }));
}
