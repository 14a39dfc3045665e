/**
 * Sub-workflows (guarantees 43–44): a parent workflow delegates each article to a `review` sub-workflow in which a
 * human approves it. Shows, in the parent's one event stream:
 * - the child's events as `subworkflow` events with their path (`review`);
 * - the child's request surfacing at the parent as a `request` event with the child's own request id, and
 *   `handle.respond()` at the parent resuming the child, whose output flows on to `publish`;
 * then a checkpoint round trip: a run that ends with the question pending (`onPendingRequests: 'end'`), its
 * last checkpoint (which embeds the child) restored on a fresh instance, answered with `resume({ responses })`.
 *
 * Run it: `pnpm --filter @superstep/examples run example:sub-workflow [--yes] [--title T]`
 * (`--yes` approves automatically; otherwise you are asked on the terminal).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import {
  WorkflowBuilder,
  executorModule,
  openFileStore,
  subWorkflow,
  type CheckpointStore,
  type RequestEvent,
  type WorkflowEvent,
} from '@superstep/runtime';
import type { Brief, Published, Verdict } from './executors.ts';
import { parseExampleArgs } from '../cli.ts';

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));

/** The parent: draft → review (sub-workflow: check → approve) → publish. */
export function publishingWorkflow(): WorkflowBuilder<Brief> {
  const review = new WorkflowBuilder(mod.executor('check')).addEdge('check', mod.executor('approve'));
  return new WorkflowBuilder<Brief>(mod.executor('draft'))
    .addEdge('draft', subWorkflow('review', review))
    .addEdge('review', mod.executor('publish'));
}

/** Answers a question that surfaced at the parent. */
export type Answer = (request: RequestEvent) => Verdict | Promise<Verdict>;

/** JSON, cut short. */
function brief(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length > 110 ? `${json.slice(0, 107)}…` : json;
}

/** One line for the events worth showing; nested events are shown with their path. */
export function describeEvent(event: WorkflowEvent): string | undefined {
  switch (event.type) {
    case 'subworkflow': {
      const inner = describeEvent(event.event);
      return inner === undefined ? undefined : `  [${event.path.join(' › ')}] ${inner}`;
    }
    case 'superstep.started':
      return `superstep ${event.superstep}`;
    case 'executor.completed':
      return `${event.executorId} done`;
    case 'custom':
      return `${event.executorId}: ${event.name} ${brief(event.data)}`;
    case 'output':
      return `output of ${event.executorId}: ${brief(event.data)}`;
    case 'output.intermediate':
      return `intermediate output of ${event.executorId}: ${brief(event.data)}`;
    case 'request':
      return `request ${event.requestId} from ${event.executorId}: ${(event.data as { question: string }).question}`;
    case 'checkpoint.saved':
      return `checkpoint ${event.checkpointId.slice(0, 8)} (superstep ${event.superstep})`;
    case 'status':
      return event.final ? `status: ${event.status}` : undefined;
    case 'warning':
    case 'run.failed':
      return `${event.type}: ${brief(event)}`;
    case 'run.started':
    case 'superstep.completed':
    case 'executor.invoked':
    case 'executor.failed':
    case 'worker.restarted':
      return undefined;
  }
}

/** What {@link reviewLive} saw. */
export interface LiveReview {
  readonly outputs: readonly Published[];
  /** The `request` events of the parent's stream. */
  readonly requests: readonly RequestEvent[];
  /** The paths of the `subworkflow` events, as `review`, … */
  readonly paths: readonly string[];
}

/** Runs the parent live: streams its events to `log`, answers each request at the parent with `respond`. */
export async function reviewLive(brief: Brief, answer: Answer, log: (line: string) => void): Promise<LiveReview> {
  await using workflow = await publishingWorkflow().build({ threads: 2 });
  const run = workflow.run(brief);
  const requests: RequestEvent[] = [];
  const paths = new Set<string>();
  for await (const event of run) {
    const line = describeEvent(event);
    if (line !== undefined) log(line);
    if (event.type === 'subworkflow') paths.add(event.path.join('/'));
    if (event.type === 'request') {
      requests.push(event);
      // The child's question, answered at the parent: the child resumes in the parent's next superstep.
      await run.respond(event.requestId, await answer(event));
    }
  }
  const { outputs } = await run.result();
  return { outputs: outputs as Published[], requests, paths: [...paths] };
}

/** What {@link reviewAcrossRestore} saw. */
export interface RestoredReview {
  /** The ids of the requests pending when the first instance ended. */
  readonly pending: readonly string[];
  /** The checkpoint the fresh instance restored. */
  readonly checkpointId: string;
  readonly outputs: readonly Published[];
}

/**
 * The checkpoint round trip: the first instance runs until only the question is left and ends
 * (`onPendingRequests: 'end'`), checkpointing each barrier to `store`; a fresh instance restores the last
 * checkpoint — the child's state and its pending request come with it — and answers with `resume`.
 */
export async function reviewAcrossRestore(
  brief: Brief,
  answer: Answer,
  store: CheckpointStore,
  log: (line: string) => void,
): Promise<RestoredReview> {
  let checkpointId: string | undefined;
  const pending: RequestEvent[] = [];
  {
    await using first = await publishingWorkflow().build({ threads: 2, store });
    const run = first.run(brief, { onPendingRequests: 'end' });
    for await (const event of run) {
      if (event.type === 'checkpoint.saved') checkpointId = event.checkpointId;
      if (event.type === 'request') pending.push(event);
      const line = describeEvent(event);
      if (line !== undefined) log(line);
    }
    const result = await run.result();
    log(`first instance ended ${result.status}; pending: ${result.pendingRequests.map((r) => r.requestId).join(', ')}`);
  }
  if (checkpointId === undefined) throw new Error('no checkpoint was written');

  await using fresh = await publishingWorkflow().build({ threads: 2, store });
  await fresh.restore(checkpointId);
  log(`fresh instance restored checkpoint ${checkpointId.slice(0, 8)}`);
  const responses: Record<string, Verdict> = {};
  for (const request of pending) responses[request.requestId] = await answer(request);
  const run = fresh.resume({ responses });
  for await (const event of run) {
    const line = describeEvent(event);
    if (line !== undefined) log(line);
  }
  const { outputs } = await run.result();
  return { pending: pending.map((request) => request.requestId), checkpointId, outputs: outputs as Published[] };
}

/** Asks on the terminal. */
function askOnTerminal(): Answer {
  return async (request) => {
    const terminal = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const reply = await terminal.question(`${(request.data as { question: string }).question} [y/N] `);
      const approved = /^y(es)?$/i.test(reply.trim());
      return { approved, note: approved ? 'approved on the terminal' : 'declined on the terminal' };
    } finally {
      terminal.close();
    }
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseExampleArgs('example:sub-workflow', {
    yes: { type: 'boolean', default: false, description: 'approve without asking (no terminal needed)' },
    title: { type: 'string', default: 'Supersteps explained', description: 'the title of the draft to review' },
  });
  const answer: Answer = args.yes ? () => ({ approved: true, note: 'auto-approved (--yes)' }) : askOnTerminal();
  const log = (line: string): void => {
    console.log(line);
  };

  console.log('— live: the child asks, the parent answers —');
  const live = await reviewLive({ title: args.title, words: 40 }, answer, log);
  console.log(`published: ${JSON.stringify(live.outputs)}\n`);

  console.log('— checkpoint round trip: end with the question pending, restore on a fresh instance, answer —');
  const directory = await mkdtemp(join(tmpdir(), 'superstep-sub-workflow-'));
  const store = await openFileStore({ directory });
  try {
    const restored = await reviewAcrossRestore({ title: `${args.title} (part 2)`, words: 60 }, answer, store, log);
    console.log(`published after restore: ${JSON.stringify(restored.outputs)}`);
  } finally {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }
}
