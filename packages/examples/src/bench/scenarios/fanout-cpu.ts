/**
 * `fanout-cpu` (docs/benchmarks.md): T CPU-bound tasks of fixed work (~25 ms each, calibrated once at start), fanned
 * out and joined. Measures whether superstep uses every thread as well as a bare pool does.
 *
 * Systems are pluggable: each is a {@link FanoutSystem} in {@link FANOUT_SYSTEMS} (`event-loop-lag` reuses
 * them). `langgraph` is LangGraph.js's `Send` map-reduce (see ../langgraph.ts).
 */
import { WorkflowBuilder, createPool, executorModule } from '@superstep/runtime';
import { Piscina } from 'piscina';
import { calibrate, cpuWork, taskSeed } from '../cpu-work.ts';
import type { FanoutJob } from '../executors.ts';
import { buildLangGraphFanout } from '../langgraph.ts';
import { superstepRemote } from '../remote-fanout.ts';
import type { FanoutRunner, FanoutSystem, FanoutWork } from '../fanout-system.ts';

export type { FanoutRunner, FanoutSystem, FanoutWork } from '../fanout-system.ts';
import {
  measureInterleaved,
  ratio,
  row,
  single,
  timed,
  type Contender,
  type ResultRow,
  type Scenario,
} from '../harness.ts';

export const TASK_MS = 25;

const mod = executorModule<typeof import('../executors.js')>(new URL('../executors.js', import.meta.url));

/** Sum of every task's checksum, in a plain loop: what each system must return, and the `sequential` system. */
export function expectedChecksum(work: FanoutWork): number {
  let sum = 0;
  for (let index = 0; index < work.tasks; index++) sum += cpuWork(work.iterations, taskSeed(index));
  return sum;
}

/** The runtime: split → work (stateless, spread round-robin over the threads) → collect. */
const superstep: FanoutSystem = {
  name: 'superstep',
  async start(work, threads) {
    const pool = await timed(() => createPool({ threads }));
    try {
      const built = await timed(() =>
        new WorkflowBuilder(mod.executor('fanoutSplit'))
          .addEdge('fanoutSplit', mod.executor('fanoutWork'))
          .addEdge('fanoutWork', mod.executor('fanoutCollect'))
          .build({ pool: pool.value }),
      );
      const workflow = built.value;
      const job: FanoutJob = { tasks: work.tasks, iterations: work.iterations };
      return {
        setup: [
          { metric: 'startupMs', ms: pool.ms },
          { metric: 'buildMs', ms: built.ms },
        ],
        async run() {
          const result = await workflow.run(job).result();
          return result.outputs[0] as number;
        },
        async close() {
          await workflow.close();
          await pool.value.close();
        },
      };
    } catch (error) {
      await pool.value.close();
      throw error;
    }
  },
};

/** The same work in a plain loop on the main thread. */
const sequential: FanoutSystem = {
  name: 'sequential',
  start(work) {
    return Promise.resolve({
      setup: [],
      run: () => Promise.resolve(expectedChecksum(work)),
      close: () => Promise.resolve(),
    });
  },
};

/** A bare piscina pool with the same thread count, used as its README shows: `Promise.all` of `run`. */
const piscina: FanoutSystem = {
  name: 'piscina',
  async start(work, threads) {
    const startup = await timed(() => startPiscina(threads));
    const pool = startup.value;
    return {
      setup: [{ metric: 'startupMs', ms: startup.ms }],
      async run() {
        const checksums = await Promise.all(
          Array.from(
            { length: work.tasks },
            (_, index) => pool.run({ iterations: work.iterations, seed: taskSeed(index) }) as Promise<number>,
          ),
        );
        return checksums.reduce((a, b) => a + b, 0);
      },
      async close() {
        await pool.destroy();
      },
    };
  },
};

/** Starts piscina and waits until every thread has answered a task (so start-up stays out of the runs). */
async function startPiscina(threads: number): Promise<Piscina> {
  const pool = new Piscina({
    filename: new URL('../worker/piscina-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
  });
  const seen = new Set<number>();
  for (let attempt = 0; seen.size < threads; attempt++) {
    if (attempt === 1000) throw new Error(`piscina: only ${seen.size} of ${threads} threads answered`);
    const ids = await Promise.all(
      Array.from({ length: threads }, () => pool.run(null, { name: 'whoAmI' }) as Promise<number>),
    );
    for (const id of ids) seen.add(id);
  }
  return pool;
}

/**
 * LangGraph.js as its docs show map-reduce: one `Send` per task to a `work` node, then a `join` node. Its
 * nodes run on the main thread, one after another; compiling the graph is its only set-up.
 */
const langgraph: FanoutSystem = {
  name: 'langgraph',
  async start(work) {
    const built = await timed(() => buildLangGraphFanout(work));
    return {
      setup: [{ metric: 'buildMs', ms: built.ms }],
      run: () => built.value.run(),
      close: () => Promise.resolve(),
    };
  },
};

/** Every system, in table order. */
export const FANOUT_SYSTEMS: readonly FanoutSystem[] = [superstep, sequential, piscina, langgraph, superstepRemote];

/** The ratios docs/benchmarks.md lists for this scenario; a pair whose system is absent is skipped. */
const RATIOS: readonly (readonly [string, string])[] = [
  ['sequential', 'superstep'],
  ['superstep', 'piscina'],
  ['langgraph', 'superstep'],
  // Hosts in other processes on the same cores: about 1× is expected (remote-fanout.ts).
  ['superstep-remote', 'superstep'],
];

export const fanoutCpu: Scenario = {
  id: 'fanout-cpu',
  title: 'fan-out of T CPU tasks (~25 ms each) and a join: superstep vs sequential, piscina, langgraph',
  async run({ quick, threads, progress }) {
    const tasks = quick ? 8 : 16;
    const repetitions = quick ? { warmup: 1, reps: 5 } : { warmup: 2, reps: 10 };
    const calibration = calibrate(TASK_MS);
    progress(`calibrated ${calibration.iterations} iterations ≈ ${calibration.measuredMs.toFixed(1)} ms per task`);
    const work: FanoutWork = { tasks, iterations: calibration.iterations };
    const expected = expectedChecksum(work);

    const results: ResultRow[] = [];
    const runners: { system: FanoutSystem; runner: FanoutRunner }[] = [];
    try {
      for (const system of FANOUT_SYSTEMS) {
        if (system.available !== undefined && !(await system.available())) {
          progress(`${system.name} skipped: what it needs is not available (NATS for superstep-remote)`);
          continue;
        }
        const runner = await system.start(work, threads);
        runners.push({ system, runner });
        for (const { metric, ms } of runner.setup) results.push(single(system.name, metric, ms));
        progress(`${system.name} started${runner.setup.map((s) => ` · ${s.metric} ${s.ms.toFixed(0)}`).join('')}`);
      }
      const contenders: Contender[] = runners.map(({ system, runner }) => ({
        name: system.name,
        async once() {
          const { ms, value } = await timed(() => runner.run());
          if (value !== expected) {
            throw new Error(`fanout-cpu: ${system.name} returned checksum ${value}, expected ${expected}`);
          }
          return ms;
        },
      }));
      const samples = await measureInterleaved(contenders, repetitions, progress);
      const wall = new Map<string, ResultRow>();
      for (const [name, values] of samples) wall.set(name, row(name, 'wallMs', values));
      results.unshift(...wall.values());

      const ratios: Record<string, number> = {};
      for (const [numerator, denominator] of RATIOS) {
        const value = ratio(wall.get(numerator), wall.get(denominator));
        if (value !== undefined) ratios[`${numerator}/${denominator}`] = value;
      }
      return {
        params: {
          tasks,
          taskMs: TASK_MS,
          iterations: calibration.iterations,
          calibratedTaskMs: Number(calibration.measuredMs.toFixed(2)),
        },
        results,
        ratios,
      };
    } finally {
      for (const { runner } of runners.reverse()) await runner.close();
    }
  },
};
