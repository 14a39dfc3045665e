/**
 * `map-reduce-corpus` (docs/benchmarks.md): the map-reduce example's word count over the Brown Corpus
 * (../../map-reduce/: read every document, count its stems, merge, summarise), end to end, on the example's own
 * workflow — real work on real data. Every system runs the same chunks (one per thread, documents dealt like
 * cards) and the same per-document work (../../map-reduce/text.ts); every repetition's summary must equal the
 * plain loop's, or the scenario fails.
 *
 * - `superstep`: the example's workflow (`mapReduceWorkflow`), one chunk and one merge partition per thread;
 * - `handwritten`: the same split, count and partitioned merge over plain `worker_threads` (../corpus-handwritten.ts);
 * - `langgraph`: LangGraph.js's `Send` map-reduce (../langgraph-corpus.ts), on the main thread;
 * - `sequential`: the example's plain loop on the main thread (`countSequentially`).
 *
 * Pool and worker start-up stay outside the timed region (reported as `startupMs`).
 */
import { createPool } from '@superstep/runtime';
import { findBrownCorpus } from '../../map-reduce/corpus.ts';
import { countSequentially, mapReduceWorkflow } from '../../map-reduce/main.ts';
import type { Summary } from '../../map-reduce/text.ts';
import { HandwrittenWordCount, type WordCountJob } from '../corpus-handwritten.ts';
import { buildLangGraphWordCount } from '../langgraph-corpus.ts';
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

/** A started system: `run()` counts the job once; start-up (`startupMs`) is already paid. */
interface CorpusRunner {
  readonly name: string;
  readonly startupMs: number;
  run(): Promise<Summary>;
  close(): Promise<void>;
}

const TOP = 15;

/** The documents a run counts: the whole corpus (500), or its first 100 with `--quick`. */
const QUICK_DOCUMENTS = 100;

async function startSuperstep(job: WordCountJob, threads: number): Promise<CorpusRunner> {
  const pool = await timed(() => createPool({ threads }));
  try {
    const workflow = await mapReduceWorkflow(threads).build({ pool: pool.value });
    const input = { dir: job.dir, ids: job.ids, splits: threads, partitions: threads, top: job.top };
    return {
      name: 'superstep',
      startupMs: pool.ms,
      run: async () => (await workflow.run(input).result()).outputs[0] as Summary,
      close: async () => {
        await workflow.close();
        await pool.value.close();
      },
    };
  } catch (error) {
    await pool.value.close();
    throw error;
  }
}

async function startHandwritten(job: WordCountJob, threads: number): Promise<CorpusRunner> {
  const started = await timed(() => HandwrittenWordCount.start(threads));
  const peer = started.value;
  return { name: 'handwritten', startupMs: started.ms, run: () => peer.run(job), close: () => peer.close() };
}

function startLangGraph(job: WordCountJob, threads: number): CorpusRunner {
  const graph = buildLangGraphWordCount(threads);
  return { name: 'langgraph', startupMs: 0, run: () => graph.run(job), close: () => Promise.resolve() };
}

function startSequential(job: WordCountJob): CorpusRunner {
  const corpus = { dir: job.dir, ids: job.ids };
  return {
    name: 'sequential',
    startupMs: 0,
    run: () => Promise.resolve(countSequentially(corpus, job.top)),
    close: () => Promise.resolve(),
  };
}

/** A contender that times one run and fails the scenario if its summary differs from the expected one. */
function checkedContender(runner: CorpusRunner, expected: string): Contender {
  return {
    name: runner.name,
    async once() {
      const { ms, value } = await timed(() => runner.run());
      if (JSON.stringify(value) !== expected) {
        throw new Error(`map-reduce-corpus: ${runner.name} returned ${JSON.stringify(value)}, expected ${expected}`);
      }
      return ms;
    },
  };
}

export const mapReduceCorpus: Scenario = {
  id: 'map-reduce-corpus',
  title: 'word count over the Brown Corpus (the map-reduce example): superstep vs worker_threads, langgraph, a loop',
  async run({ quick, threads, progress }) {
    const corpus = await findBrownCorpus();
    const job: WordCountJob = {
      dir: corpus.dir,
      ids: quick ? corpus.ids.slice(0, QUICK_DOCUMENTS) : corpus.ids,
      top: TOP,
    };
    const repetitions = quick ? { warmup: 1, reps: 3 } : { warmup: 3, reps: 7 };
    const expected = countSequentially(job, TOP);
    const runners: CorpusRunner[] = [];
    try {
      // One at a time, so that a start-up failure still closes what had started.
      runners.push(await startSuperstep(job, threads));
      runners.push(await startHandwritten(job, threads));
      runners.push(startLangGraph(job, threads), startSequential(job));
      progress(`${job.ids.length} documents, ${expected.tokens} words counted, ${expected.distinct} distinct stems`);
      const contenders = runners.map((runner) => checkedContender(runner, JSON.stringify(expected)));
      const samples = await measureInterleaved(contenders, repetitions, progress);
      const wall = new Map([...samples].map(([name, values]) => [name, row(name, 'wallMs', values)]));
      const ratios: Record<string, number> = {};
      for (const peer of ['handwritten', 'langgraph', 'sequential']) {
        const value = ratio(wall.get(peer), wall.get('superstep'));
        if (value !== undefined) ratios[`${peer}/superstep`] = value;
      }
      const startup = runners.filter((r) => r.startupMs > 0).map((r) => single(r.name, 'startupMs', r.startupMs));
      const results: ResultRow[] = [...wall.values(), ...startup];
      const chunks = Math.min(threads, job.ids.length);
      const params = { documents: job.ids.length, chunks, partitions: threads, tokens: expected.tokens };
      return { params: { ...params, distinctStems: expected.distinct, top: TOP }, results, ratios };
    } finally {
      for (const runner of runners.reverse()) await runner.close();
    }
  },
};
