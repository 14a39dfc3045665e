/**
 * The main job: renders a Mandelbrot image in tiles on every worker thread, shows a progress bar fed by
 * the run's event stream (its length from `superstep.started`, its steps from `executor.completed`),
 * writes the PNG, then renders the same image sequentially on the main thread and prints the speed-up.
 * `--timeline out.html` also writes the run's timeline page. Run it with `pnpm start` (options:
 * `pnpm start --help`).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { WorkflowBuilder, createRunRecorder, executorModule } from '@superstep/runtime';
import { assemblePng, DEFAULT_JOB, renderTile, tilesOf, type RenderJob } from './mandelbrot.ts';
import { parseExampleArgs } from '../cli.ts';

const args = parseExampleArgs('main', {
  threads: { type: 'string', default: String(availableParallelism()), description: 'worker threads' },
  width: { type: 'string', default: String(DEFAULT_JOB.width), description: 'image width in pixels' },
  height: { type: 'string', default: String(DEFAULT_JOB.height), description: 'image height in pixels' },
  iterations: { type: 'string', default: String(DEFAULT_JOB.maxIterations), description: 'Mandelbrot iterations' },
  out: { type: 'string', default: 'mandelbrot.png', description: 'the PNG to write' },
  'skip-sequential': { type: 'boolean', default: false, description: 'skip the main-thread comparison' },
  timeline: { type: 'string', description: 'also write the run timeline page (HTML) to this file' },
});

function positiveInt(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}

const job: RenderJob = {
  ...DEFAULT_JOB,
  width: positiveInt('width', args.width),
  height: positiveInt('height', args.height),
  maxIterations: positiveInt('iterations', args.iterations),
};
const threads = positiveInt('threads', args.threads);
const tileCount = tilesOf(job).length;
const here = process.env.INIT_CWD ?? process.cwd();
const outPath = resolve(here, args.out);
const timelinePath = args.timeline === undefined ? undefined : resolve(here, args.timeline);
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

console.log(
  `superstep main job: Mandelbrot ${job.width}×${job.height}, ${tileCount} tiles, ${job.maxIterations} iterations max`,
);

const startup = performance.now();
const plan = mod.executor('plan');
await using workflow = await new WorkflowBuilder(plan)
  // render is stateless: its tiles spread over every thread; assemble gathers them all in one call.
  .addEdge(plan, mod.executor('render'))
  .addEdge('render', mod.executor('assemble'))
  .build({ threads });
const startupMs = performance.now() - startup;

const bar = new cliProgress.SingleBar(
  {
    format: ' rendering |{bar}| {value}/{total} tiles | {duration_formatted}',
    noTTYOutput: true,
    notTTYSchedule: 1000,
  },
  cliProgress.Presets.shades_classic,
);
// The bar's length comes from the run itself: the superstep that renders says how many calls it holds.
let barStarted = false;
const isRender = (executorId: string): boolean => executorId === 'render';
const recorder = timelinePath === undefined ? undefined : createRunRecorder();
const started = performance.now();
const run = workflow.run(job, { recorder });
let png: Uint8Array | undefined;
let iterations = 0;
for await (const event of run) {
  if (event.type === 'superstep.started') {
    const renders = event.executors.filter((work) => isRender(work.executorId));
    if (renders.length > 0 && !barStarted) {
      bar.start(
        renders.reduce((sum, work) => sum + work.invocations, 0),
        0,
      );
      barStarted = true;
    }
  }
  if (event.type === 'executor.completed' && isRender(event.executorId)) bar.increment();
  if (event.type === 'output') ({ png, iterations } = event.data as { png: Uint8Array; iterations: number });
  if (event.type === 'run.failed') bar.stop();
}
const result = await run.result();
const parallelMs = performance.now() - started;
bar.stop();
if (png === undefined) throw new Error('the workflow produced no image');
await writeFile(outPath, png);

console.log(
  `\nsuperstep: ${parallelMs.toFixed(0)} ms on ${threads} threads (${result.supersteps} supersteps; pool start-up ${startupMs.toFixed(0)} ms, not counted)`,
);
console.log(
  `wrote ${outPath} (${(png.byteLength / 1024).toFixed(0)} KiB, sha256 ${sha(png)}, ${iterations.toLocaleString('en')} iterations)`,
);
if (recorder !== undefined && timelinePath !== undefined) {
  await recorder.writeTimeline(timelinePath, { title: `superstep main job: Mandelbrot ${job.width}×${job.height}` });
  console.log(`wrote the run timeline to ${timelinePath}`);
}

if (!args['skip-sequential']) {
  const seqStarted = performance.now();
  const sequential = assemblePng(job, tilesOf(job).map(renderTile));
  const sequentialMs = performance.now() - seqStarted;
  const same = sha(sequential.png) === sha(png);
  console.log(
    `sequential (main thread): ${sequentialMs.toFixed(0)} ms — ${same ? 'identical image' : 'DIFFERENT IMAGE'}`,
  );
  console.log(`speed-up: ${(sequentialMs / parallelMs).toFixed(2)}× on ${threads} threads`);
  if (!same) process.exitCode = 1;
}
