/**
 * guarantee 39: worker supervision. A worker thread that exits, dies of an uncaught exception thrown from a
 * timer, or runs out of its memory limit is replaced at the same index; its actors come back from the
 * last barrier on the new thread, the superstep is replayed, and the run ends as an unfailing run would,
 * with one `worker.restarted` per recovery. Actors on the other thread keep their thread and their state.
 * Past `maxWorkerRestarts` the run fails with WORKER_LOST, and the instance carries on with `resume()`.
 * What only a whole process shows (a hang, an uncaught exception on the main thread) runs in a child
 * process (children/probe.ts). Public API only, real worker threads (fixtures/faults.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type WorkflowEvent } from '@superstep/runtime';
import { killChildren, startScript } from './child-process.ts';
import { drain, ofType } from './helpers.ts';
import type { FaultKind, FaultPlan, Met, ThreadReport, Tick } from './fixtures/faults.ts';

const faults = executorModule<typeof import('./fixtures/faults.ts')>(new URL('./fixtures/faults.ts', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'superstep-supervision-'));
let files = 0;
/** A fresh path in the scratch directory (fault counters, side-effect logs). */
const scratchFile = (name: string): string => join(scratch, `${name}-${++files}`);

/** Anything that reached the process's last-resort handlers while these tests ran: must stay empty. */
const escaped: unknown[] = [];
const onEscape = (error: unknown): void => {
  escaped.push(error);
};

let pool: ActorPool;
/** A pool whose threads have a 32 MB old generation: a handler that allocates without end dies of it. */
let limitedPool: ActorPool;
beforeAll(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  [pool, limitedPool] = await Promise.all([
    createPool({ threads: 2 }),
    createPool({ threads: 2, resourceLimits: { maxOldGenerationSizeMb: 32 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([pool.close(), limitedPool.close()]);
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  rmSync(scratch, { recursive: true, force: true });
  // The main thread never saw any of the workers' deaths as its own error (guarantee 39).
  expect(escaped).toEqual([]);
});

/** Three rounds of driver → (faulty ∥ steady) → meet: supersteps 1..9; faulty and steady on different threads. */
function rounds(on: ActorPool, options: { readonly maxWorkerRestarts?: number } = {}) {
  return new WorkflowBuilder(faults.executor('driver'))
    .addFanOut('driver', [faults.executor('faulty'), faults.executor('steady')])
    .addFanIn(['faulty', 'steady'], faults.executor('meet'))
    .addEdge('meet', 'driver')
    .build({ pool: on, ...options });
}

const ROUNDS = 3;
/** What an unfailing run yields: both counters advance once per round. */
const UNFAILING: Met[] = [
  { round: 1, faulty: 1, steady: 1 },
  { round: 2, faulty: 2, steady: 2 },
  { round: 3, faulty: 3, steady: 3 },
];
/** faulty handles its round-2 message in superstep 5. */
const FAULT_SUPERSTEP = 5;

function plan(kind: FaultKind, times = 1): FaultPlan {
  return { kind, superstep: FAULT_SUPERSTEP, counter: scratchFile(`counter-${kind}`), times };
}

/** executor id → the thread ids its handlers reported, in superstep order, per superstep. */
function threadsOf(events: readonly WorkflowEvent[], executorId: string): [number, number][] {
  return ofType(events, 'custom')
    .filter((event) => event.name === 'thread' && event.executorId === executorId)
    .map((event) => [event.superstep, (event.data as ThreadReport).threadId]);
}

/** The supersteps a side-effect file recorded, one per handler run. */
function sideEffects(path: string): number[] {
  return readFileSync(path, 'utf8').trim().split('\n').map(Number);
}

describe('guarantee 39: a dead worker is replaced and its superstep replayed', () => {
  it('guarantee 39: the unfailing run, for reference: three rounds, both counters at 1, 2, 3, no restart', async () => {
    await using wf = await rounds(pool);
    const { events, result } = await drain(wf.run({ round: 1, rounds: ROUNDS } satisfies Tick));
    expect(result?.outputs).toEqual(UNFAILING);
    expect(result?.supersteps).toBe(3 * ROUNDS);
    expect(ofType(events, 'worker.restarted')).toEqual([]);
  });

  const cases: readonly { kind: FaultKind; what: string }[] = [
    { kind: 'exit', what: 'calls process.exit() in a handler' },
    { kind: 'timer', what: 'throws an uncaught error from a timer' },
    { kind: 'oom', what: 'allocates past its resourceLimits (maxOldGenerationSizeMb: 32)' },
  ];
  for (const { kind, what } of cases) {
    it(`guarantee 39: a worker that ${what} is replaced; its actor is restored from the last barrier on the new thread, the superstep replayed, and the run yields what an unfailing run yields`, async () => {
      await using wf = await rounds(kind === 'oom' ? limitedPool : pool);
      const fault = plan(kind);
      const { events, result, error } = await drain(wf.run({ round: 1, rounds: ROUNDS, fault } satisfies Tick));
      expect(error).toBeUndefined();
      expect(result?.status).toBe('idle');
      // Same result as the unfailing run: faulty counts 2 in round 2, so it was restored from the barrier
      // of superstep 4 (count 1), not started afresh (it would count 1 again).
      expect(result?.outputs).toEqual(UNFAILING);
      expect(result?.supersteps).toBe(3 * ROUNDS);
      expect(readFileSync(fault.counter, 'utf8')).toBe('x');

      // One recovery, one event: the superstep, the first replay, and a reason.
      const restarts = ofType(events, 'worker.restarted');
      expect(restarts.map((e) => [e.superstep, e.attempt])).toEqual([[FAULT_SUPERSTEP, 1]]);
      expect([0, 1]).toContain(restarts[0]?.hostIndex);
      expect(restarts[0]?.reason).not.toBe('');
      // The superstep was started once and completed once: replayed inside, not renumbered.
      expect(ofType(events, 'superstep.completed').map((e) => e.superstep)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

      // faulty moved to a new thread from the faulty superstep on; steady never left its thread.
      const faultyThreads = threadsOf(events, 'faulty');
      const steadyThreads = threadsOf(events, 'steady');
      const before = faultyThreads.find(([superstep]) => superstep === 2)?.[1];
      const after = faultyThreads.filter(([superstep]) => superstep >= FAULT_SUPERSTEP).map(([, thread]) => thread);
      expect(after).toHaveLength(2);
      expect(new Set(after).size).toBe(1);
      expect(after[0]).not.toBe(before);
      expect(new Set(steadyThreads.map(([, thread]) => thread))).toEqual(new Set([steadyThreads[0]?.[1]]));
      expect(steadyThreads[0]?.[1]).not.toBe(before);
    });
  }

  it('guarantee 39: the actor on the surviving thread runs the replayed superstep again (side effects repeat) but commits it once (its count is exact)', async () => {
    await using wf = await rounds(pool);
    const clean = scratchFile('effects-clean');
    await wf.run({ round: 1, rounds: ROUNDS, sideEffects: clean } satisfies Tick).result();
    expect(sideEffects(clean)).toEqual([2, 5, 8]);

    await using faulted = await rounds(pool);
    const effects = scratchFile('effects-faulted');
    const result = await faulted
      .run({ round: 1, rounds: ROUNDS, sideEffects: effects, fault: plan('exit') } satisfies Tick)
      .result();
    // At-least-once execution: steady's handler ran in the lost attempt of superstep 5 and in its replay…
    expect(sideEffects(effects)).toEqual([2, 5, 5, 8]);
    // …exactly-once state transitions: its committed count went 1, 2, 3 all the same.
    expect(result.outputs).toEqual(UNFAILING);
  });

  it('guarantee 39: a fault that strikes maxWorkerRestarts times in one superstep is survived, one worker.restarted per recovery', async () => {
    await using wf = await rounds(pool, { maxWorkerRestarts: 2 });
    const fault = plan('exit', 2);
    const { events, result } = await drain(wf.run({ round: 1, rounds: ROUNDS, fault } satisfies Tick));
    expect(result?.outputs).toEqual(UNFAILING);
    expect(ofType(events, 'worker.restarted').map((e) => [e.superstep, e.attempt])).toEqual([
      [FAULT_SUPERSTEP, 1],
      [FAULT_SUPERSTEP, 2],
    ]);
    expect(readFileSync(fault.counter, 'utf8')).toBe('xx');
  });

  it('guarantee 39: one fault more than maxWorkerRestarts fails the run with WORKER_LOST, commits nothing of that superstep, and resume() finishes it with the unfailing result', async () => {
    await using wf = await rounds(pool, { maxWorkerRestarts: 2 });
    const fault = plan('exit', 3);
    const failed = await drain(wf.run({ round: 1, rounds: ROUNDS, fault } satisfies Tick));
    expect(failed.error).toMatchObject({ code: 'WORKER_LOST', details: { superstep: FAULT_SUPERSTEP, attempts: 3 } });
    expect(ofType(failed.events, 'worker.restarted').map((e) => e.attempt)).toEqual([1, 2]);
    expect(ofType(failed.events, 'run.failed').map((e) => e.error.code)).toEqual(['WORKER_LOST']);
    expect(ofType(failed.events, 'superstep.completed').map((e) => e.superstep)).toEqual([1, 2, 3, 4]);
    expect(readFileSync(fault.counter, 'utf8')).toBe('xxx');
    const before = ofType(failed.events, 'output').map((e) => e.data);
    expect(before).toEqual(UNFAILING.slice(0, 1));
    expect(wf.status).toBe('idle');

    // The failed superstep's messages are still queued; the fault has used up its strikes.
    const resumed = await drain(wf.resume());
    expect(ofType(resumed.events, 'superstep.started')[0]?.superstep).toBe(FAULT_SUPERSTEP);
    expect([...before, ...(resumed.result?.outputs ?? [])]).toEqual(UNFAILING);
    expect(ofType(resumed.events, 'worker.restarted')).toEqual([]);
  });

  it('guarantee 39: a worker killed under one workflow leaves another workflow sharing the pool correct', async () => {
    await using struck = await rounds(pool);
    await using bystander = await rounds(pool);
    const [a, b] = await Promise.all([
      struck.run({ round: 1, rounds: ROUNDS, fault: plan('exit') } satisfies Tick).result(),
      bystander.run({ round: 1, rounds: ROUNDS } satisfies Tick).result(),
    ]);
    expect(a.outputs).toEqual(UNFAILING);
    expect(b.outputs).toEqual(UNFAILING);
    // And both instances go on working on the replaced thread.
    expect((await bystander.run({ round: 1, rounds: 1 } satisfies Tick).result()).outputs).toEqual([
      { round: 1, faulty: 4, steady: 4 },
    ]);
  });
});

describe('guarantee 39: faults around a replacement, seen from the whole process', () => {
  const PROBE = new URL('./children/probe.ts', import.meta.url);
  afterEach(() => {
    killChildren();
  });

  /** The `outcome` line a probe printed. */
  function outcomeOf(lines: readonly string[]): unknown {
    const line = lines.find((l) => l.startsWith('outcome '));
    return line === undefined ? undefined : (JSON.parse(line.slice('outcome '.length)) as unknown);
  }

  // Regression guard for a runtime bug (reported): the replacement host's reload (a control-plane call to a
  // thread that has died) never settles, so the step waiting for the host to be ready hangs — and with it
  // the run, cancel() and close().
  it('guarantee 39: a replacement worker that itself dies while its actors are reloaded is replaced again, and the run completes', async () => {
    const dir = join(scratch, `dies-on-reload-${++files}`);
    mkdirSync(dir);
    const probe = startScript(PROBE, ['dies-on-reload', dir], { fallbackMs: 20_000 });
    const exit = await probe.exited;
    expect(exit.timedOut, 'the run hung: the probe had to be killed').toBe(false);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(outcomeOf(probe.lines)).toMatchObject({ outputs: [42], error: null });
    expect((outcomeOf(probe.lines) as { restarts: number[] }).restarts.length).toBeGreaterThanOrEqual(1);
  });

  // Regression guard for a runtime bug (reported): piscina emits 'error' on the pool for a worker that dies
  // outside a task (here: of its memory limit while starting); the pool has no listener, so the main thread
  // gets an uncaught exception, and createPool() waits for a ping that never comes.
  it('guarantee 39: a pool whose threads cannot start within their memory limit is refused with a typed error, and the main thread does not crash', async () => {
    const probe = startScript(PROBE, ['tiny-heap'], { fallbackMs: 20_000 });
    const exit = await probe.exited;
    expect(exit.timedOut, 'createPool hung: the probe had to be killed').toBe(false);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(['POOL_START_FAILED', 'INVALID_OPTION']).toContain(
      (outcomeOf(probe.lines) as { refused?: unknown }).refused,
    );
  });
});
