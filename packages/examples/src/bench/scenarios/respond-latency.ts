/**
 * `respond-latency` (docs/benchmarks.md): the time from `handle.respond()` to the asking executor's `onResponse`
 * starting, while other actors keep the workers busy with CPU work.
 *
 * The run: superstep 1 starts three grinders (a ring, each ~30 ms of CPU work per superstep for G
 * supersteps) and an asker, which in superstep 2 calls `ctx.request()`. The request event is streamed at
 * the barrier of superstep 2; the test answers it at once (`respond()`, the main thread's clock noted just
 * before), i.e. while superstep 3 runs. The answer is delivered in the next superstep, where `onResponse`
 * notes its clock and yields it. Both clocks are `performance.timeOrigin + performance.now()` (each thread
 * has its own `performance.now()` origin; the sum is comparable across threads).
 *
 * Reported: `respondMs` (respond → handler start) and `supersteps`, the handler's superstep minus the
 * superstep running when `respond()` was called (taken as the request's superstep + 1: the request event
 * is emitted at the barrier, and the next superstep starts right after it). BSP delivers an answer in the
 * next superstep, so the expected value is 1, and `respondMs` is the rest of the busy superstep in which
 * `respond()` was called, plus any grinder that runs before the asker on its worker in the next one (3
 * grinders on 2 threads: a superstep lasts ~2 grinds).
 */
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type Workflow } from '@superstep/runtime';
import { performance } from 'node:perf_hooks';
import { calibrate } from '../cpu-work.ts';
import type { LatencyAnswer, LatencyJob } from '../executors.ts';
import { measureInterleaved, row, single, timed, type ResultRow, type Scenario } from '../harness.ts';

const GRINDERS = 3;
const GRIND_MS = 30;

const mod = executorModule<typeof import('../executors.js')>(new URL('../executors.js', import.meta.url));

async function buildBusy(pool: ActorPool): Promise<Workflow<LatencyJob>> {
  const grinders = Array.from({ length: GRINDERS }, (_, index) => `g${index}`);
  const builder = new WorkflowBuilder(mod.executor('latencyStart')).addFanOut('latencyStart', [
    ...grinders.map((id) => mod.executor('latencyGrinder', { id })),
    mod.executor('latencyAsker'),
  ]);
  grinders.forEach((id, index) => builder.addEdge(id, grinders[(index + 1) % GRINDERS] ?? id));
  return await builder.build({ pool });
}

const now = (): number => performance.timeOrigin + performance.now();

export const respondLatency: Scenario = {
  id: 'respond-latency',
  title: 'respond() to the executor’s onResponse while 3 actors grind CPU: ms and supersteps',
  async run({ quick, threads, progress }) {
    const grindSteps = quick ? 3 : 6;
    const repetitions = quick ? { warmup: 1, reps: 4 } : { warmup: 2, reps: 11 };
    const calibration = calibrate(GRIND_MS);
    const job: LatencyJob = { steps: grindSteps, iterations: calibration.iterations };

    const pool = await timed(() => createPool({ threads }));
    let workflow: Workflow<LatencyJob> | undefined;
    try {
      const built = await timed(() => buildBusy(pool.value));
      workflow = built.value;
      const busy = workflow;
      const setup: ResultRow[] = [single('superstep', 'startupMs', pool.ms), single('superstep', 'buildMs', built.ms)];

      const gaps: number[] = [];
      const samples = await measureInterleaved(
        [
          {
            name: 'superstep',
            async once() {
              const handle = busy.run(job);
              let respondedAt = Number.NaN;
              let respondedDuring = Number.NaN;
              let answered: Promise<void> | undefined;
              for await (const event of handle) {
                if (event.type === 'request') {
                  respondedDuring = event.superstep + 1;
                  respondedAt = now();
                  answered = handle.respond(event.requestId, respondedAt);
                }
              }
              await answered;
              const result = await handle.result();
              const answer = result.outputs[0] as LatencyAnswer | undefined;
              if (answer?.answer !== respondedAt) {
                throw new Error(`respond-latency: no answer handled (${result.outputs.length} outputs)`);
              }
              gaps.push(answer.superstep - respondedDuring);
              return answer.handledAt - respondedAt;
            },
          },
        ],
        repetitions,
        progress,
      );
      const results: ResultRow[] = [
        row('superstep', 'respondMs', samples.get('superstep') ?? []),
        row('superstep', 'supersteps', gaps.slice(repetitions.warmup)),
        ...setup,
      ];
      return {
        params: {
          grinders: GRINDERS,
          grindMs: GRIND_MS,
          grindSupersteps: grindSteps,
          calibratedGrindMs: Number(calibration.measuredMs.toFixed(2)),
        },
        results,
        ratios: {},
      };
    } finally {
      await workflow?.close();
      await pool.value.close();
    }
  },
};
