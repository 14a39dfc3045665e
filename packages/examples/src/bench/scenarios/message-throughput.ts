/**
 * `message-throughput` (docs/benchmarks.md): one actor sends M small messages spread over 8 sinks (a fan-out edge,
 * `send(…, { to })`), next to a hand-written floor that carries the same messages along the same path
 * (see throughput-floor.ts). Metric: messages per second over the whole run; `superstep/floor` is the ratio
 * of the rates (docs/benchmarks.md#ratio-direction: for throughput, `superstep/x` divides rates, so higher is better for superstep).
 *
 * A superstep run is 2 supersteps: in 1 the source sends (the messages leave its worker and are routed on
 * the main thread), in 2 the sinks receive them. The rate is taken over the whole run — the messages cross
 * two thread boundaries in either system — and the two supersteps' durations (from the run's events) are
 * reported beside it. The sinks do nothing; deliveries are counted from `executor.invoked` events.
 */
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type Workflow } from '@superstep/runtime';
import { performance } from 'node:perf_hooks';
import type { ThroughputJob } from '../executors.ts';
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
import { ThroughputFloor } from '../throughput-floor.ts';

const SINKS = 8;

const mod = executorModule<typeof import('../executors.js')>(new URL('../executors.js', import.meta.url));

async function buildFanOut(pool: ActorPool): Promise<Workflow<ThroughputJob>> {
  const sinks = Array.from({ length: SINKS }, (_, index) => mod.executor('throughputSink', { id: `sink${index}` }));
  return await new WorkflowBuilder(mod.executor('throughputSource'))
    .addFanOut('throughputSource', sinks)
    .build({ pool });
}

export const messageThroughput: Scenario = {
  id: 'message-throughput',
  title: 'one superstep carrying M small messages from one actor to 8: messages/s vs a raw worker_threads floor',
  async run({ quick, threads, progress }) {
    const messages = quick ? 20_000 : 100_000;
    const repetitions = quick ? { warmup: 1, reps: 4 } : { warmup: 2, reps: 11 };
    const job: ThroughputJob = { messages, sinks: SINKS };
    const setup: ResultRow[] = [];

    const pool = await timed(() => createPool({ threads }));
    let floor: ThroughputFloor | undefined;
    let workflow: Workflow<ThroughputJob> | undefined;
    try {
      const floorStart = await timed(() => ThroughputFloor.start(threads));
      floor = floorStart.value;
      const floorRun = floor;
      const built = await timed(() => buildFanOut(pool.value));
      workflow = built.value;
      const fanOut = workflow;
      setup.push(
        single('superstep', 'startupMs', pool.ms),
        single('superstep', 'buildMs', built.ms),
        single('floor', 'startupMs', floorStart.ms),
      );
      progress(`started · superstep pool ${pool.ms.toFixed(0)} ms · floor workers ${floorStart.ms.toFixed(0)} ms`);

      /** Per-superstep durations of the measured superstep runs (warm-up ones are dropped below). */
      const sendSteps: number[] = [];
      const deliverSteps: number[] = [];
      const contenders: Contender[] = [
        {
          name: 'superstep',
          async once() {
            const start = performance.now();
            const handle = fanOut.run(job);
            let delivered = 0;
            let deliverStart = Number.NaN;
            let deliverEnd = Number.NaN;
            for await (const event of handle) {
              if (event.type === 'executor.invoked' && event.superstep === 2) delivered += event.messages;
              else if (event.type === 'superstep.started' && event.superstep === 2) deliverStart = performance.now();
              else if (event.type === 'superstep.completed' && event.superstep === 2) deliverEnd = performance.now();
            }
            const result = await handle.result();
            const ms = performance.now() - start;
            if (result.supersteps !== 2 || delivered !== messages) {
              throw new Error(`superstep delivered ${delivered} of ${messages} in ${result.supersteps} supersteps`);
            }
            sendSteps.push(deliverStart - start);
            deliverSteps.push(deliverEnd - deliverStart);
            return messages / (ms / 1000);
          },
        },
        {
          name: 'floor',
          async once() {
            const { ms, value } = await timed(() => floorRun.run(messages, SINKS));
            if (value !== messages) throw new Error(`floor delivered ${value} of ${messages}`);
            return messages / (ms / 1000);
          },
        },
      ];
      const samples = await measureInterleaved(contenders, repetitions, progress);
      const rows = new Map<string, ResultRow>();
      for (const [name, values] of samples) rows.set(name, row(name, 'msgsPerSec', values));
      const measured = (values: number[]): number[] => values.slice(repetitions.warmup);
      const results = [
        ...rows.values(),
        row('superstep', 'sendStepMs', measured(sendSteps)),
        row('superstep', 'deliverStepMs', measured(deliverSteps)),
        ...setup,
      ];
      const ratios: Record<string, number> = {};
      const value = ratio(rows.get('superstep'), rows.get('floor'));
      if (value !== undefined) ratios['superstep/floor'] = value;
      return { params: { M: messages, sinks: SINKS }, results, ratios };
    } finally {
      await workflow?.close();
      await floor?.close();
      await pool.value.close();
    }
  },
};
