/**
 * Approval in the terminal: a fan-out where two actors crunch numbers over several supersteps while a
 * third asks a person whether to publish them. The question is printed and read from stdin while the
 * crunchers keep going (their progress is printed as it happens): a pending request stops nobody.
 *
 *   plan ──fan-out──▶ crunch-a ⟲ , crunch-b ⟲   (one round of CPU work per superstep, on the workers)
 *                 └─▶ approve                    (ctx.request; the answer is validated by a zod schema)
 *
 * The answer is given through the `onRequest` run option: a function that receives the `request` event
 * and returns (or resolves to) the answer. Interactively it asks on the terminal (node:readline/promises);
 * with `--yes` it approves at once, so the example runs unattended (CI). If the crunchers finish before
 * anybody answers, the run waits — status `waiting-for-answers` — and goes on when the answer
 * comes (the default `onPendingRequests: 'auto'` waits because an `onRequest` is set). See
 * docs/human-in-the-loop.md.
 *
 * Run it from the repository root (tsx is a dependency of packages/examples):
 *   pnpm --filter @superstep/examples example:approval [--yes] [--rounds 8] [--iterations 30000000] [--threads 2]
 * or from packages/examples: npx tsx src/approval/main.ts --yes
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { WorkflowBuilder, executorModule, type Workflow } from '@superstep/runtime';
import type { ApprovalOutput, Decision, Progress, Question, Work } from './executors.ts';
import { parseExampleArgs } from '../cli.ts';

/** The crunching actors' ids. */
export const CRUNCHERS = ['crunch-a', 'crunch-b'] as const;

/**
 * Builds the approval workflow (close it when done).
 *
 * @example
 * await using workflow = await buildApprovalWorkflow({ threads: 2 });
 * const run = workflow.run({ title: 'Q3 report', rounds: 6, iterations: 1e6, round: 1 });
 */
export async function buildApprovalWorkflow(options: { readonly threads?: number } = {}): Promise<Workflow<Work>> {
  const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
  const crunchers = CRUNCHERS.map((id) => mod.executor('crunch', { id }));
  const builder = new WorkflowBuilder(mod.executor('plan')).addFanOut('plan', [...crunchers, mod.executor('approve')]);
  // Each cruncher sends its next round to itself.
  for (const id of CRUNCHERS) builder.addEdge(id, id);
  return await builder.build({ threads: options.threads ?? 2 });
}

/** What a run of the approval workflow comes to. */
export interface ApprovalSummary {
  readonly approved: boolean;
  readonly note: string | null;
  /** The superstep in which the answer reached `approve`. */
  readonly decidedInSuperstep: number;
  /** Each cruncher's final digest. */
  readonly results: Readonly<Record<string, string>>;
  readonly supersteps: number;
}

/** Folds the workflow's outputs into a summary. */
export function summarize(outputs: readonly ApprovalOutput[], supersteps: number): ApprovalSummary {
  const decision = outputs.find((output) => output.kind === 'decision');
  const results: Record<string, string> = {};
  for (const output of outputs) if (output.kind === 'result') results[output.executorId] = output.digest;
  return {
    approved: decision?.approved ?? false,
    note: decision?.note ?? null,
    decidedInSuperstep: decision?.superstep ?? 0,
    results,
    supersteps,
  };
}

export interface ApprovalOptions {
  readonly title?: string;
  readonly rounds?: number;
  readonly iterations?: number;
  readonly threads?: number;
  /** Answers the question: what it returns, or resolves to, is the answer (it runs while work goes on). */
  readonly answer: (question: Question) => Decision | Promise<Decision>;
  /** Where progress lines go. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the approval workflow to its end, answering its question with `options.answer`.
 *
 * @example
 * const summary = await runApproval({ answer: () => ({ approved: true }) });
 */
export async function runApproval(options: ApprovalOptions): Promise<ApprovalSummary> {
  const log = options.log ?? (() => undefined);
  const work: Work = {
    title: options.title ?? 'the quarterly numbers',
    rounds: options.rounds ?? 8,
    iterations: options.iterations ?? 30_000_000,
    round: 1,
  };
  await using workflow = await buildApprovalWorkflow(options.threads === undefined ? {} : { threads: options.threads });
  const run = workflow.run(work, { onRequest: (request) => options.answer(request.data as Question) });
  for await (const event of run) {
    if (event.type === 'custom' && event.name === 'progress') {
      const { round, of } = event.data as Progress;
      log(`  ${event.executorId}: round ${round}/${of} (superstep ${event.superstep})`);
    } else if (event.type === 'request') {
      log(`  approve: asked "${(event.data as Question).text}" (superstep ${event.superstep})`);
    } else if (event.type === 'status' && event.status === 'waiting-for-answers') {
      log('  all work done; waiting for the answer');
    } else if (event.type === 'warning') {
      log(`  warning ${event.code}: ${event.message}`);
    }
  }
  const { outputs, supersteps } = await run.result();
  return summarize(outputs as ApprovalOutput[], supersteps);
}

/**
 * Asks `question` on a terminal until the answer is y or n (optionally followed by a note). Resolves to
 * a refusal if the input ends first.
 */
export async function askInTerminal(
  question: Question,
  streams: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<Decision> {
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: false });
  const closed = once(rl, 'close').then(() => undefined);
  try {
    for (;;) {
      // The prompt ends its line: progress lines keep coming while the person thinks.
      const prompt = `\n? ${question.text}\n? Type y or n (then an optional note) and press Enter:\n`;
      const line = await Promise.race([rl.question(prompt), closed]);
      if (line === undefined) return { approved: false, note: 'no answer (input closed)' };
      const match = /^\s*(y|yes|n|no)\b\s*(.*)$/i.exec(line);
      if (match !== null) {
        const note = (match[2] ?? '').trim().slice(0, 200);
        return { approved: /^y/i.test(match[1] ?? ''), ...(note === '' ? {} : { note }) };
      }
      streams.output.write('please answer y or n\n');
    }
  } finally {
    rl.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseExampleArgs('example:approval', {
    yes: { type: 'boolean', default: false, description: 'approve without asking (no terminal needed)' },
    rounds: { type: 'string', default: '8', description: 'supersteps of CPU work while the question waits' },
    iterations: { type: 'string', default: '30000000', description: 'CPU work per superstep' },
    threads: { type: 'string', default: '2', description: 'worker threads' },
  });
  const summary = await runApproval({
    rounds: Number(args.rounds),
    iterations: Number(args.iterations),
    threads: Number(args.threads),
    answer: args.yes
      ? () => ({ approved: true, note: 'approved automatically (--yes)' })
      : (question) => askInTerminal(question),
    log: (line) => {
      console.log(line);
    },
  });
  console.log(
    `\n${summary.approved ? 'APPROVED' : 'NOT APPROVED'}${summary.note === null ? '' : ` (${summary.note})`}` +
      ` — answer handled in superstep ${summary.decidedInSuperstep} of ${summary.supersteps}`,
  );
  for (const [executorId, digest] of Object.entries(summary.results)) {
    console.log(`${executorId}: ${digest}${summary.approved ? ' (published)' : ' (kept back)'}`);
  }
}
