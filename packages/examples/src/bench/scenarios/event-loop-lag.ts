/**
 * `event-loop-lag` (docs/benchmarks.md): how long the main thread's event loop is held up while `fanout-cpu` runs —
 * `perf_hooks.monitorEventLoopDelay({ resolution: 1 })`, reset and enabled around each run, its p99 and
 * max in ms. superstep runs the CPU work in worker threads; LangGraph runs it on the main thread. An
 * absolute latency bound (docs/benchmarks.md), not a speed: no ratio. The systems are fanout-cpu's, same work.
 * Beside them, `idle`: the same monitor around a plain timer as long as the parallel run — the delay the
 * machine itself adds (other processes, GC), to read the others against.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { calibrate } from '../cpu-work.ts';
import { measureInterleaved, row, single, type Contender, type ResultRow, type Scenario } from '../harness.ts';
import {
  FANOUT_SYSTEMS,
  TASK_MS,
  expectedChecksum,
  type FanoutRunner,
  type FanoutSystem,
  type FanoutWork,
} from './fanout-cpu.ts';

const SYSTEMS = ['superstep', 'langgraph'] as const;

/** A few of the histogram's 1 ms ticks, on the event loop. */
const settle = (): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, 5);
  });

/** Histogram values are in ns. */
const NS_PER_MS = 1e6;

export const eventLoopLag: Scenario = {
  id: 'event-loop-lag',
  title: 'main-thread event-loop delay (p99, max) during fanout-cpu: superstep vs langgraph (and idle)',
  async run({ quick, threads, progress }) {
    const tasks = quick ? 8 : 16;
    const repetitions = quick ? { warmup: 1, reps: 4 } : { warmup: 2, reps: 10 };
    const calibration = calibrate(TASK_MS);
    const work: FanoutWork = { tasks, iterations: calibration.iterations };
    const expected = expectedChecksum(work);
    const histogram = monitorEventLoopDelay({ resolution: 1 });

    const results: ResultRow[] = [];
    const setup: ResultRow[] = [];
    const runners: { system: FanoutSystem; runner: FanoutRunner }[] = [];
    try {
      for (const name of SYSTEMS) {
        const system = FANOUT_SYSTEMS.find((candidate) => candidate.name === name);
        if (system === undefined) throw new Error(`event-loop-lag: no fanout-cpu system "${name}"`);
        const runner = await system.start(work, threads);
        runners.push({ system, runner });
        for (const { metric, ms } of runner.setup) setup.push(single(system.name, metric, ms));
      }
      /** Max delay of each measured run, by system (the contender returns the p99). */
      const maxima = new Map<string, number[]>([...SYSTEMS, 'idle'].map((name) => [name, []]));
      const idleMs = (tasks * TASK_MS) / threads;
      const idle: FanoutRunner = {
        setup: [],
        run: () =>
          new Promise((resolve) => {
            setTimeout(() => {
              resolve(expected);
            }, idleMs);
          }),
        close: () => Promise.resolve(),
      };
      const measured = [...runners, { system: { name: 'idle', start: () => Promise.resolve(idle) }, runner: idle }];
      const contenders: Contender[] = measured.map(({ system, runner }) => ({
        name: system.name,
        async once() {
          histogram.reset();
          histogram.enable();
          let checksum: number;
          try {
            // The histogram measures from its timer's first tick: a loop blocked before that is not seen.
            await settle();
            checksum = await runner.run();
            // It records a delay when its timer finally fires. A run that never yields to the event loop
            // (LangGraph's nodes chain through promises only) blocks it until here: let it fire.
            await settle();
          } finally {
            histogram.disable();
          }
          if (checksum !== expected) {
            throw new Error(`event-loop-lag: ${system.name} returned checksum ${checksum}, expected ${expected}`);
          }
          maxima.get(system.name)?.push(histogram.max / NS_PER_MS);
          return histogram.percentile(99) / NS_PER_MS;
        },
      }));
      const samples = await measureInterleaved(contenders, repetitions, progress);
      for (const [name, values] of samples) {
        results.push(
          row(name, 'p99Ms', values),
          row(name, 'maxMs', (maxima.get(name) ?? []).slice(repetitions.warmup)),
        );
      }
      return {
        params: {
          tasks,
          taskMs: TASK_MS,
          iterations: calibration.iterations,
          calibratedTaskMs: Number(calibration.measuredMs.toFixed(2)),
          resolutionMs: 1,
        },
        results: [...results, ...setup],
        ratios: {},
      };
    } finally {
      for (const { runner } of runners.reverse()) await runner.close();
    }
  },
};
