/**
 * Crash injection (guarantees 24, 38, 39). The ledger workflow (fixtures/ledger.ts: 4 rounds, 12 supersteps,
 * six stateful actors on two threads, a fan-out, a fan-in and a four-message mailbox per round) is
 * interrupted at points a seeded PRNG picks, and must end exactly as an uninterrupted run does:
 *
 * (a) in process, 100 runs: a worker thread is killed (process.exit, or an uncaught error from a timer) in
 *     a chosen actor's handler in a chosen superstep, before or after it set state and sent. The worker is
 *     replaced, the superstep replayed; every actor's ledger shows each message committed exactly once,
 *     in the superstep it was due, and a memory store holds exactly one checkpoint per barrier.
 * (b) whole process, 6 runs: a child process checkpointing to SQLite is SIGKILLed inside the superstep after
 *     a chosen checkpoint; a second process restores the newest checkpoint and resumes. Together they print
 *     the outputs of the uninterrupted run, and the lineage in the database has no gap.
 *
 * The seed is fixed (CRASH_SEED overrides it, CRASH_RUNS the number of in-process runs).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, createPool, openSqliteStore, type ActorPool } from '@superstep/runtime';
import { killChildren, startScript, type Child } from './child-process.ts';
import type { Final, Job, KillPlan } from './fixtures/ledger.ts';
import { HANG_ENV } from './fixtures/ledger.ts';
import { drain, ofType } from './helpers.ts';
import { canonical, expectedLedgers, ledgerGraph, ledgersOf, schedule, superstepsOf } from './ledger-graph.ts';

const ROUNDS = 4;
const SUPERSTEPS = superstepsOf(ROUNDS);
const SEED = Number(process.env.CRASH_SEED ?? 20_261_121);
const IN_PROCESS_RUNS = Number(process.env.CRASH_RUNS ?? 100);
const PROCESS_RUNS = 6;
const CHILD = new URL('./children/ledger-process.ts', import.meta.url);

/** mulberry32: a small seeded PRNG, so every injection point is reproducible from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(random: () => number, items: readonly T[]): T => {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('nothing to pick from');
  return item;
};

const scratch = mkdtempSync(join(tmpdir(), 'superstep-crash-injection-'));
let pool: ActorPool;
/** The uninterrupted run's outputs, canonical order. */
let reference: Final[];

beforeAll(async () => {
  pool = await createPool({ threads: 2 });
  await using workflow = await ledgerGraph().build({ pool });
  const result = await workflow.run({ rounds: ROUNDS } satisfies Job).result();
  reference = canonical(result.outputs);
});
afterEach(() => {
  killChildren();
});
afterAll(async () => {
  killChildren();
  await pool.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('crash injection', () => {
  it('the uninterrupted run commits every message exactly once, in the superstep it was due', () => {
    expect(ledgersOf(reference)).toEqual(expectedLedgers(ROUNDS));
    expect(reference.map((final) => final.actor)).toEqual(['audit', 'lane-0', 'lane-1', 'lane-2', 'mix', 'source']);
  });

  it(`(a) ${IN_PROCESS_RUNS} runs, each with a worker killed at a seeded-random actor, superstep and phase, end exactly as the uninterrupted run: no message lost or committed twice, one checkpoint per barrier`, async () => {
    const random = prng(SEED);
    const slots = schedule(ROUNDS);
    const tally = { exit: 0, timer: 0, before: 0, after: 0 };
    for (let n = 1; n <= IN_PROCESS_RUNS; n++) {
      const slot = pick(random, slots);
      const kill: KillPlan = {
        ...slot,
        phase: pick(random, ['before', 'after'] as const),
        how: pick(random, ['exit', 'exit', 'timer'] as const),
        marker: join(scratch, `kill-${n}`),
      };
      const where = `run ${n}: ${JSON.stringify(kill)}`;
      await using store = createMemoryStore();
      await using workflow = await ledgerGraph().build({ pool, store });
      const run = workflow.run({ rounds: ROUNDS, kill } satisfies Job);
      const { events, result, error } = await drain(run);

      expect(error, where).toBeUndefined();
      expect(existsSync(kill.marker), `${where}: the kill happened`).toBe(true);
      // The worker was replaced once and the superstep replayed, not renumbered.
      expect(
        ofType(events, 'worker.restarted').map((e) => [e.superstep, e.attempt]),
        where,
      ).toEqual([[kill.superstep, 1]]);
      expect(result?.supersteps, where).toBe(SUPERSTEPS);
      // Same outputs; the ledgers (part of them) show each message committed exactly once.
      expect(canonical(result?.outputs ?? []), where).toEqual(reference);
      // One checkpoint per barrier, 0..N, each the child of the one before.
      const metas = await store.list({ runId: run.runId });
      expect(
        metas.map((meta) => meta.superstep),
        where,
      ).toEqual(Array.from({ length: SUPERSTEPS + 1 }, (_, k) => k));
      metas.forEach((meta, k) => {
        expect(meta.parentId, where).toBe(k === 0 ? null : metas[k - 1]?.id);
      });
      tally[kill.how]++;
      tally[kill.phase]++;
    }
    console.log(
      `crash injection (a): ${IN_PROCESS_RUNS} worker kills injected (seed ${SEED}): ` +
        `${tally.exit} process.exit, ${tally.timer} timer throws; ${tally.before} before and ${tally.after} after the handler's effects`,
    );
  }, 300_000);

  it(`(b) ${PROCESS_RUNS} processes SIGKILLed inside the superstep after a seeded-random checkpoint, then restored from SQLite and resumed, print the uninterrupted run's outputs; the lineage has no gap`, async () => {
    const outputsOf = (child: Child): unknown[] =>
      child.lines.filter((line) => line.startsWith('output ')).map((line) => JSON.parse(line.slice(7)) as unknown);

    // The uninterrupted run, as a process of its own.
    const clean = startScript(CHILD, ['--db', join(scratch, 'clean.db'), '--rounds', String(ROUNDS)]);
    expect(await clean.exited).toMatchObject({ code: 0, signal: null });
    expect(clean.lines.at(-1)).toBe(`done ${SUPERSTEPS}`);
    expect(canonical(outputsOf(clean))).toEqual(reference);

    const random = prng(SEED ^ 0x5eed);
    const killedAt: number[] = [];
    for (let n = 1; n <= PROCESS_RUNS; n++) {
      const k = Math.floor(random() * SUPERSTEPS); // 0..N-1: the entry checkpoint up to the one before last
      const db = join(scratch, `killed-${n}.db`);
      const where = `process run ${n}, killed after checkpoint ${k}`;

      // Its handlers of superstep k+1 hang, so checkpoint k is the newest when the SIGKILL lands.
      const doomed = startScript(CHILD, ['--db', db, '--rounds', String(ROUNDS)], {
        env: { ...process.env, [HANG_ENV]: String(k + 1) },
      });
      await doomed.waitFor(new RegExp(`^checkpoint ${k} `));
      doomed.kill('SIGKILL');
      expect(await doomed.exited, where).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: false });
      expect(
        doomed.lines.some((line) => line.startsWith('done')),
        where,
      ).toBe(false);

      const resumed = startScript(CHILD, ['--db', db, '--resume']);
      const exit = await resumed.exited;
      expect(exit, `${where}\n${exit.stderr}`).toMatchObject({ code: 0, signal: null });
      expect(resumed.lines[0], where).toBe(`restored ${k}`);
      expect(resumed.lines.at(-1), where).toBe(`done ${SUPERSTEPS - k}`);
      // Outputs of supersteps ≤ k came from the killed process, the rest from the resumed one.
      expect(canonical([...outputsOf(doomed), ...outputsOf(resumed)]), where).toEqual(reference);

      // The database holds checkpoints 0..N once each, in one chain across the two processes.
      await using store = await openSqliteStore({ path: db });
      const metas = await store.list({ workflowName: 'ledger' });
      expect(
        metas.map((meta) => meta.superstep),
        where,
      ).toEqual(Array.from({ length: SUPERSTEPS + 1 }, (_, s) => s));
      metas.forEach((meta, s) => {
        expect(meta.parentId, `${where}: parent of ${s}`).toBe(s === 0 ? null : metas[s - 1]?.id);
      });
      killedAt.push(k);
    }
    console.log(
      `crash injection (b): ${PROCESS_RUNS} processes SIGKILLed (seed ${SEED}), after checkpoints ${killedAt.join(', ')}`,
    );
  }, 300_000);
});
