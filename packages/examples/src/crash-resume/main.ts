/**
 * Crash and resume: a long CPU workflow checkpoints every barrier to SQLite; kill the process at any
 * moment (even `kill -9`), start it again with the same `--db`, and it carries on from the last
 * checkpoint and prints the same result an uninterrupted run prints.
 *
 * The workflow (executors.ts): four stateful lanes grind hash chains in parallel on the worker threads,
 * round after round; `mix` joins each round (fan-in), folds it into a digest and salts the next round
 * with it. After the last round it asks a human whether to publish the digest (`--answer` stands in for
 * the human). R rounds take 2R + 2 supersteps, and every barrier is a checkpoint.
 *
 * On start, `workflow.resumeLatest()` looks at the store's newest checkpoint of this workflow: if its run
 * did not finish (its `runStatus` is `running` or `waiting`), it is restored and resumed; if it finished,
 * or there is none, a fresh run starts. The answer is checkpointed before `respond()` resolves, so a
 * process killed after the human answered resumes with the answer and does not ask again.
 *
 * Run it from the repository root (Ctrl-C or kill it half-way, then run the same command again):
 *   pnpm --filter @superstep/examples example:crash-resume --db crash-resume.db [--rounds 10] [--iterations 20000000]
 * or from packages/examples: npx tsx src/crash-resume/main.ts --db crash-resume.db
 * (a relative --db is resolved against the directory you ran the command in).
 *
 * Output lines a supervisor (or the test) can read: `starting fresh`, `resumed from superstep N`,
 * `checkpoint saved: superstep N`, `asked: publish <digest>?`, `answer accepted`,
 * `result: <digest> (<rounds> rounds, published|not published)`, `ran N supersteps`.
 * `--hang-after N` and `--hang-after-answer` are test hooks: right after checkpoint N is reported, or
 * right after the answer was accepted, the process freezes, as a hung process would, so a test can SIGKILL
 * it at a known point.
 */
import { writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { WorkflowBuilder, executorModule, openSqliteStore, type RunHandle } from '@superstep/runtime';
import type { PublishQuestion, Result } from './executors.ts';
import { LANES, laneIds, type Job } from './work.ts';
import { parseExampleArgs } from '../cli.ts';

/** Checkpoints are listed under this name. */
const WORKFLOW_NAME = 'crash-resume';

const args = parseExampleArgs('example:crash-resume', {
  db: { type: 'string', description: 'SQLite file for the checkpoints (required; reuse it to resume)' },
  rounds: { type: 'string', default: '10', description: 'supersteps of work' },
  iterations: { type: 'string', default: '20000000', description: 'CPU work per lane and superstep' },
  threads: { type: 'string', default: String(Math.min(availableParallelism(), LANES)), description: 'worker threads' },
  answer: { type: 'string', default: 'yes', description: "the human's answer to 'publish the digest?' (yes or no)" },
  'hang-after': { type: 'string', description: 'hang after this superstep (to be killed, then resumed)' },
  'hang-after-answer': {
    type: 'boolean',
    description: 'hang once the answer is accepted (to be killed, then resumed)',
  },
});

if (args.db === undefined) {
  console.error('--db FILE is required (see --help)');
  process.exit(2);
}

function positiveInt(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}

/** One line on stdout, written synchronously (it must be out before a hang or a kill). */
function say(line: string): void {
  writeSync(1, `${line}\n`);
}

const job: Job = {
  rounds: positiveInt('rounds', args.rounds),
  lanes: LANES,
  iterations: positiveInt('iterations', args.iterations),
};
const hangAfter = args['hang-after'] === undefined ? undefined : Number(args['hang-after']);
const hangAfterAnswer = args['hang-after-answer'] === true;
if (args.answer !== 'yes' && args.answer !== 'no') {
  console.error(`--answer must be yes or no, got "${args.answer}"`);
  process.exit(2);
}
const publish = args.answer === 'yes';
const dbPath = resolve(process.env.INIT_CWD ?? process.cwd(), args.db);

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
const lanes = laneIds(LANES).map((id) => mod.executor('lane', { id }));

await using store = await openSqliteStore({ path: dbPath });
await using workflow = await new WorkflowBuilder(mod.executor('seed'))
  .addFanOut('seed', lanes)
  .addFanIn(lanes, mod.executor('mix'))
  .addFanOut('mix', lanes)
  .build({ threads: positiveInt('threads', args.threads), name: WORKFLOW_NAME, store });

/** Resumes the unfinished run the store holds, or starts a fresh one. */
async function start(): Promise<RunHandle> {
  const latest = await workflow.resumeLatest();
  if (latest.kind === 'resumed') {
    // The job travels in the queued messages, so the checkpoint alone says how to go on.
    const { superstep, id, reason, runId } = latest.checkpoint;
    say(`resumed from superstep ${superstep} (${reason ?? 'older'} checkpoint ${id} of run ${runId ?? 'none'})`);
    return latest.run;
  }
  say(`starting fresh: ${job.rounds} rounds × ${LANES} lanes × ${job.iterations} iterations`);
  return workflow.run(job);
}

/** Freezes the main thread for good: no barrier, no checkpoint, no exit — until someone kills us. */
function hang(hook: string): void {
  say(`hanging (test hook ${hook})`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

async function finish(run: RunHandle): Promise<{ result: Result | undefined; supersteps: number }> {
  for await (const event of run) {
    if (event.type === 'checkpoint.saved') {
      say(`checkpoint saved: superstep ${event.superstep}`);
      if (event.superstep === hangAfter) hang('--hang-after');
    } else if (event.type === 'request') {
      say(`asked: publish ${(event.data as PublishQuestion).digest}?`);
      // Resolves once the answer is accepted and checkpointed: from here on a crash does not lose it.
      await run.respond(event.requestId, { publish });
      say('answer accepted');
      if (hangAfterAnswer) hang('--hang-after-answer');
    } else if (event.type === 'custom' && event.name === 'round') {
      const { round, of, digest } = event.data as { round: number; of: number; digest: string };
      say(`round ${round}/${of} done (digest so far ${digest})`);
    }
  }
  const { outputs, supersteps } = await run.result();
  return { result: outputs.at(-1) as Result | undefined, supersteps };
}

const { result, supersteps } = await finish(await start());
const published = result?.published === true ? 'published' : 'not published';
say(`result: ${result?.digest ?? 'none'} (${result?.rounds ?? 0} rounds, ${published})`);
say(`ran ${supersteps} supersteps`);
