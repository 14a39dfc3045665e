/**
 * Soak: runs workflow instances in a loop for N minutes on one pool and watches memory. Not part of CI.
 *
 * Each wave builds `--concurrency` instances of the soak workflow (executors.ts: fan-out, fan-in, a loop,
 * stateless work spread over the threads, shared state, custom events) with an in-memory checkpoint store
 * each, runs them at the same time, checks every output against the first wave's, and closes them. Every
 * `--sample-seconds` it samples `process.memoryUsage()` (RSS covers the worker threads too) and
 * `pool.health()`: the heap in use on the main thread and in each worker, after a full GC when
 * `--expose-gc` is on (the workers inherit it). At the end: first vs last sample, and the least-squares
 * slope (MB per minute) after the first fifth of the samples (warm-up), for the process and for the main
 * thread's and the workers' heaps (docs/reliability.md#memory-bound).
 *
 * Run it (from the repository root):
 *   node --expose-gc --import tsx packages/examples/src/soak/main.ts [--minutes 3] [--sample-seconds 5]
 *        [--threads 2] [--concurrency 8] [--rounds 5] [--width 16]
 * Exits 1 if any instance yielded something other than the first wave did.
 */
import { parseArgs } from 'node:util';
import { WorkflowBuilder, createMemoryStore, createPool, executorModule } from '@superstep/runtime';
import type { Round } from './executors.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    minutes: { type: 'string', default: '3' },
    'sample-seconds': { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    width: { type: 'string', default: '16' },
  },
});

function positive(name: string, value: string): number {
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0)) throw new Error(`--${name} must be a number > 0, got ${value}`);
  return parsed;
}
const minutes = positive('minutes', args.minutes);
const sampleMs = positive('sample-seconds', args['sample-seconds']) * 1000;
const threads = Math.round(positive('threads', args.threads));
const concurrency = Math.round(positive('concurrency', args.concurrency));
const input: Round = {
  round: 1,
  rounds: Math.round(positive('rounds', args.rounds)),
  width: Math.round(positive('width', args.width)),
};

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
function soakGraph() {
  return (
    new WorkflowBuilder(mod.executor('scatter'))
      // Rounds go to left and right, items to hash: each message names its target.
      .addFanOut('scatter', [mod.executor('left'), mod.executor('right'), mod.executor('hash')])
      .addFanIn(['left', 'right'], mod.executor('join'))
      .addEdge('join', 'scatter')
      .addEdge('hash', mod.executor('tally'))
  );
}

interface Sample {
  readonly seconds: number;
  readonly waves: number;
  readonly runs: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Heap in use after GC (pool.health()): the main thread, and all worker threads together. */
  readonly mainHeap: number;
  readonly workerHeap: number;
}

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const started = performance.now();
const samples: Sample[] = [];
let waves = 0;
let runs = 0;
let mismatches = 0;

const mb = (bytes: number): string => (bytes / MB).toFixed(1).padStart(8);
async function sample(): Promise<void> {
  const health = await pool.health();
  gc?.();
  const usage = process.memoryUsage();
  const row: Sample = {
    seconds: (performance.now() - started) / 1000,
    waves,
    runs,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    mainHeap: health.main.heapUsed,
    workerHeap: health.hosts.reduce((sum, host) => sum + host.heapUsed, 0),
  };
  samples.push(row);
  console.log(
    `${row.seconds.toFixed(0).padStart(6)} ${String(waves).padStart(7)} ${String(runs).padStart(7)}` +
      `${mb(row.rss)}${mb(row.heapUsed)}${mb(row.external)}${mb(row.arrayBuffers)}${mb(row.mainHeap)}${mb(row.workerHeap)}`,
  );
}

/** Least-squares slope of `value` against time, in MB per minute. */
function slope(points: readonly Sample[], value: (s: Sample) => number): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((sum, p) => sum + p.seconds, 0) / n;
  const my = points.reduce((sum, p) => sum + value(p), 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.seconds - mx) * (value(p) - my);
    den += (p.seconds - mx) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 60) / MB;
}

const canonical = (outputs: readonly unknown[]): string =>
  JSON.stringify(outputs.map((output) => JSON.stringify(output)).sort());

console.log(
  `soak: ${minutes} min, ${threads} threads, ${concurrency} instances per wave, ${input.rounds} rounds × ${input.width} items` +
    (gc === undefined ? ' (no --expose-gc: samples include garbage)' : ''),
);
console.log('     s   waves    runs  rss MB heap MB  ext MB   ab MB main GC work GC');
await using pool = await createPool({ threads });
let expected: string | undefined;
await sample();
// Sampled between waves (a health call waits for a busy host), at most every sampleMs.
let nextSample = performance.now() + sampleMs;
const deadline = started + minutes * 60_000;
while (performance.now() < deadline) {
  const stores = Array.from({ length: concurrency }, () => createMemoryStore());
  const workflows = await Promise.all(stores.map((store) => soakGraph().build({ pool, store })));
  try {
    const results = await Promise.all(workflows.map((workflow) => workflow.run(input).result()));
    for (const result of results) {
      const got = canonical(result.outputs);
      expected ??= got;
      if (got !== expected) mismatches++;
      runs++;
    }
  } finally {
    await Promise.all(workflows.map((workflow) => workflow.close()));
    await Promise.all(stores.map((store) => store.close()));
  }
  waves++;
  if (performance.now() >= nextSample) {
    await sample();
    nextSample += sampleMs;
  }
}
await sample();

const first = samples[0];
const last = samples.at(-1);
if (first !== undefined && last !== undefined) {
  const steady = samples.slice(Math.floor(samples.length / 5));
  console.log(`\n${runs} runs in ${waves} waves, ${mismatches} with unexpected outputs`);
  console.log('metric         first      last    growth   slope after warm-up (MB/min)');
  for (const [name, value] of [
    ['rss', (s: Sample) => s.rss],
    ['heapUsed', (s: Sample) => s.heapUsed],
    ['external', (s: Sample) => s.external],
    ['arrayBuffers', (s: Sample) => s.arrayBuffers],
    ['main heap GC', (s: Sample) => s.mainHeap],
    ['worker heaps', (s: Sample) => s.workerHeap],
  ] as const) {
    console.log(
      `${name.padEnd(12)}${mb(value(first))}${mb(value(last))}${mb(value(last) - value(first))}   ${slope(steady, value).toFixed(2)}`,
    );
  }
}
if (mismatches > 0) process.exitCode = 1;
