/**
 * Hosted workflow: ONE workflow instance behind an HTTP server, serving many conversations, with every
 * conversation checkpointed to SQLite.
 *
 * A conversation is a small stateful workflow (`parse` → `session`, see executors.ts): the `session`
 * actor keeps the turn count, a running tally and the recent history in its state. The instance holds one
 * conversation at a time, so each request swaps the right conversation in:
 *
 *   POST /conversations                 → reset() + createCheckpoint(): a new conversation starts from
 *                                          the initial state. 201 { conversationId, checkpointId }
 *   POST /conversations/:id/messages    → restore(that conversation's last checkpoint) + run({ text }).
 *        { "text": "add 5" }              200 { conversationId, replies, checkpointId, superstep }
 *                                          404 CONVERSATION_UNKNOWN for an unknown id
 *   GET  /status                        → { busy, holder, workflow }
 *   GET  /operator/questions            → questions `ask …` messages handed to a human operator
 *   POST /operator/questions/:requestId → answers one: { "answer": "…" } (400 RESPONSE_INVALID otherwise)
 *
 * One instance runs one thing at a time. A request that arrives while it is busy gets HTTP 409 with
 * `{ "error": { "code": "WORKFLOW_BUSY" } }` — the runtime's own code: `run()` throws it and `restore()`,
 * `reset()`, `createCheckpoint()` reject with it while another operation holds the instance. The server
 * adds a lease of its own on top, because serving a message takes *two* runtime operations (restore,
 * then run): the runtime reserves each one, not the pair, and a second request slipping in between the
 * two would run its message against the wrong conversation. The lease covers the pair and answers with
 * the same code. An `ask …` message holds the instance until the operator answers (the run waits for the
 * answer, `onPendingRequests: 'wait'`), which is also how the test makes an overlap happen on purpose.
 *
 * Which checkpoint is a conversation's? The conversation id IS the checkpoint lineage id: `reset()` starts
 * a new lineage, and `restore()` + `run()` continue the restored one. The server remembers the last
 * checkpoint of every conversation it served (from the run's final `checkpoint.saved` event): exact, and
 * no query per message. After a restart it finds a conversation again from the store alone, as the end
 * of its lineage's parent chain. That chain never forks: a message either completes or, if its run fails
 * or is cancelled, the checkpoints that run wrote are deleted, so the conversation stays where it was.
 *
 * Run it from the repository root (tsx is a dependency of packages/examples):
 *   pnpm --filter @superstep/examples example:hosted [--db hosted-workflow.db] [--port 8080] [--threads 1]
 * or from packages/examples: npx tsx src/hosted-workflow/main.ts
 * then:
 *   curl -s -X POST localhost:8080/conversations
 *   curl -s -X POST localhost:8080/conversations/$ID/messages -d '{"text":"add 5"}'
 *   curl -s -X POST localhost:8080/conversations/$ID/messages -d '{"text":"ask when do you open?"}' &
 *   curl -s localhost:8080/operator/questions
 *   curl -s -X POST localhost:8080/operator/questions/$REQUEST_ID -d '{"answer":"at nine"}'
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  WorkflowBuilder,
  executorModule,
  openSqliteStore,
  type CheckpointMeta,
  type CheckpointStore,
  type ErrorCode,
  type RunHandle,
  type Workflow,
} from '@superstep/runtime';
import { HttpError, listen, readJson, send, sendError, stop } from '../json-http.ts';
import type { ChatMessage, OperatorQuestion, Reply } from './executors.ts';
import { parseExampleArgs } from '../cli.ts';

/** Checkpoints are listed under this name. */
export const WORKFLOW_NAME = 'hosted-conversation';

export interface HostOptions {
  /** The SQLite file that holds every conversation. */
  readonly dbPath: string;
  /** Default 0: an ephemeral port (read it from `host.url`). */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Worker threads of the workflow's pool. Default 1: a conversation is small. */
  readonly threads?: number;
}

/** A question an `ask …` message handed to the operator. */
export interface PendingQuestion {
  readonly requestId: string;
  readonly conversationId: string;
  readonly question: string;
  readonly turn: number;
}

/** What the host tells in-process observers (a test, a log). */
export interface HostEvents {
  /** A message's run has started (the instance is held until it ends). */
  running: [conversationId: string];
  /** A run is waiting for the operator. */
  question: [PendingQuestion];
  /** The instance is free again (an operation, successful or not, has ended and cleaned up). */
  released: [holder: string];
}

export interface Host extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly workflow: Workflow<ChatMessage>;
  readonly store: CheckpointStore;
  readonly events: EventEmitter<HostEvents>;
  close(): Promise<void>;
}

/** The runtime's error codes this server can meet, as HTTP statuses. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  WORKFLOW_BUSY: 409,
  REQUEST_UNKNOWN: 404,
  REQUEST_ALREADY_ANSWERED: 409,
  RESPONSE_INVALID: 400,
  RUN_ENDED: 409,
  RUN_CANCELLED: 503,
  CHECKPOINT_NOT_FOUND: 404,
};

const BODY_LIMIT = 64 * 1024;

/**
 * The last checkpoint of a conversation (= lineage), from the store alone: the end of the parent chain.
 * Parent links, not timestamps: every run numbers its supersteps from 0 again, and checkpoints written
 * within one millisecond would otherwise be hard to order.
 */
async function chainEnd(store: CheckpointStore, lineageId: string): Promise<CheckpointMeta | undefined> {
  const chain = await store.list({ workflowName: WORKFLOW_NAME, lineageId });
  const parents = new Set(chain.map((meta) => meta.parentId));
  return chain.filter((meta) => !parents.has(meta.id)).at(-1);
}

/**
 * Starts the server. Resolves once it listens.
 *
 * @example
 * await using host = await startHost({ dbPath: 'conversations.db' });
 * const res = await fetch(`${host.url}/conversations`, { method: 'POST' });
 */
export async function startHost(options: HostOptions): Promise<Host> {
  const store = await openSqliteStore({ path: options.dbPath });
  const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
  let workflow: Workflow<ChatMessage>;
  try {
    workflow = await new WorkflowBuilder(mod.executor('parse'))
      .addEdge('parse', mod.executor('session'))
      .build({ threads: options.threads ?? 1, name: WORKFLOW_NAME, store });
  } catch (error) {
    await store.close();
    throw error;
  }

  const events = new EventEmitter<HostEvents>();
  /** conversation id → id of its last checkpoint (a cache: the store can always tell, see chainEnd). */
  const conversations = new Map<string, string>();
  /** Questions waiting for the operator, by request id. */
  const questions = new Map<string, PendingQuestion>();
  /** The run in progress, if any: the operator answers through its handle. */
  let active: RunHandle | undefined;

  // ---- the lease: one operation (of one or more runtime calls) at a time ----
  let lease: { readonly holder: string; settled: Promise<unknown> } | undefined;
  /** Check-and-set before the first await, so of two simultaneous requests exactly one gets the instance. */
  async function withLease<T>(holder: string, operation: () => Promise<T>): Promise<T> {
    if (lease !== undefined) {
      const message = `the workflow instance is busy (${lease.holder}); try again`;
      throw new HttpError(409, 'WORKFLOW_BUSY' satisfies ErrorCode, message);
    }
    const current: { readonly holder: string; settled: Promise<unknown> } = { holder, settled: Promise.resolve() };
    lease = current;
    const running = operation();
    current.settled = running.catch(() => undefined);
    try {
      return await running;
    } finally {
      if (lease === current) {
        lease = undefined;
        events.emit('released', holder);
      }
    }
  }

  async function lastCheckpoint(conversationId: string): Promise<string | undefined> {
    const known = conversations.get(conversationId);
    if (known !== undefined) return known;
    const found = await chainEnd(store, conversationId);
    if (found !== undefined) conversations.set(conversationId, found.id);
    return found?.id;
  }

  function newConversation(): Promise<{ conversationId: string; checkpointId: string }> {
    return withLease('starting a conversation', async () => {
      // The initial state, in a lineage of its own: the lineage id becomes the conversation id.
      await workflow.reset();
      const meta = await workflow.createCheckpoint();
      conversations.set(meta.lineageId, meta.id);
      return { conversationId: meta.lineageId, checkpointId: meta.id };
    });
  }

  function postMessage(conversationId: string, message: ChatMessage, signal: AbortSignal) {
    return withLease(`conversation ${conversationId}`, async () => {
      const from = await lastCheckpoint(conversationId);
      if (from === undefined) throw new HttpError(404, 'CONVERSATION_UNKNOWN', `no conversation "${conversationId}"`);
      await workflow.restore(from);
      // 'wait': an `ask …` run stays open (and holds the instance) until the operator answers.
      const run = workflow.run(message, { signal, onPendingRequests: 'wait' });
      active = run;
      events.emit('running', conversationId);
      let last: { checkpointId: string; superstep: number } | undefined;
      let checkpointFailed = false;
      try {
        for await (const event of run) {
          if (event.type === 'checkpoint.saved') last = event;
          else if (event.type === 'warning' && event.code === 'CHECKPOINT_FAILED') checkpointFailed = true;
          else if (event.type === 'request') {
            const { question, turn } = event.data as OperatorQuestion;
            const pending: PendingQuestion = { requestId: event.requestId, conversationId, question, turn };
            questions.set(event.requestId, pending);
            events.emit('question', pending);
          }
        }
        const result = await run.result();
        if (checkpointFailed || last === undefined) {
          throw new HttpError(500, 'CHECKPOINT_FAILED', 'the conversation was not saved; the message is not kept');
        }
        conversations.set(conversationId, last.checkpointId);
        return {
          conversationId,
          replies: result.outputs as Reply[],
          checkpointId: last.checkpointId,
          superstep: last.superstep,
        };
      } catch (error) {
        // Leave no half-served message behind: the conversation stays at its last completed turn.
        for (const meta of await store.list({ runId: run.runId })) await store.delete(meta.id);
        throw error;
      } finally {
        active = undefined;
        for (const [requestId, pending] of questions) {
          if (pending.conversationId === conversationId) questions.delete(requestId);
        }
      }
    });
  }

  async function answer(requestId: string, body: unknown): Promise<void> {
    // The runtime tells unknown ids, second answers and invalid answers apart (REQUEST_UNKNOWN,
    // REQUEST_ALREADY_ANSWERED, RESPONSE_INVALID); only with no run at all is there nobody to ask.
    if (active === undefined) {
      throw new HttpError(404, 'REQUEST_UNKNOWN' satisfies ErrorCode, `no pending request "${requestId}"`);
    }
    await active.respond(requestId, body);
    questions.delete(requestId);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    let match: RegExpExecArray | null;
    if (method === 'POST' && pathname === '/conversations') {
      send(res, 201, await newConversation());
    } else if (method === 'POST' && (match = /^\/conversations\/([^/]+)\/messages$/.exec(pathname)) !== null) {
      const body = await readJson(req, { limit: BODY_LIMIT, optional: true });
      const text = (body as { text?: unknown } | undefined)?.text;
      if (typeof text !== 'string' || text.trim() === '') {
        throw new HttpError(400, 'BAD_MESSAGE', 'the body must be { "text": "…" }');
      }
      // A client that gives up cancels its run (and so frees the instance).
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort('the client went away');
      });
      send(res, 200, await postMessage(decodeURIComponent(match[1] ?? ''), { text }, gone.signal));
    } else if (method === 'GET' && pathname === '/status') {
      send(res, 200, { busy: lease !== undefined, holder: lease?.holder ?? null, workflow: workflow.status });
    } else if (method === 'GET' && pathname === '/operator/questions') {
      send(res, 200, [...questions.values()]);
    } else if (method === 'POST' && (match = /^\/operator\/questions\/([^/]+)$/.exec(pathname)) !== null) {
      await answer(decodeURIComponent(match[1] ?? ''), await readJson(req, { limit: BODY_LIMIT, optional: true }));
      send(res, 202, { accepted: true });
    } else {
      throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${pathname}`);
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      sendError(res, error, HTTP_STATUS);
    });
  });
  const url = await listen(server, options.port ?? 0, options.hostname ?? '127.0.0.1');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await stop(server);
      await workflow.close(); // cancels a run still waiting for the operator
      await lease?.settled; // its clean-up still uses the store
      await store.close();
    })());

  return { url, workflow, store, events, close, [Symbol.asyncDispose]: close };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseExampleArgs('example:hosted', {
    db: { type: 'string', default: 'hosted-workflow.db', description: 'SQLite file for the checkpoints' },
    port: { type: 'string', default: '8080', description: 'HTTP port (0: any free port)' },
    threads: { type: 'string', default: '1', description: 'worker threads' },
  });
  const host = await startHost({
    dbPath: resolve(process.env.INIT_CWD ?? process.cwd(), args.db),
    port: Number(args.port),
    threads: Number(args.threads),
  });
  host.events.on('question', (q) => {
    console.log(`operator, please answer ${q.requestId} (conversation ${q.conversationId}): ${q.question}`);
  });
  console.log(`hosted workflow listening on ${host.url} (checkpoints in ${args.db}); Ctrl-C to stop`);
  console.log('try it (ID: the id the first call returns; REQUEST_ID: the one the operator is asked):');
  console.log(`  curl -s -X POST ${host.url}/conversations`);
  console.log(`  curl -s -X POST ${host.url}/conversations/$ID/messages -d '{"text":"add 5"}'`);
  console.log(`  curl -s -X POST ${host.url}/conversations/$ID/messages -d '{"text":"ask when do you open?"}' &`);
  console.log(`  curl -s ${host.url}/operator/questions`);
  console.log(`  curl -s -X POST ${host.url}/operator/questions/$REQUEST_ID -d '{"answer":"at nine"}'`);
  console.log(`  curl -s ${host.url}/status`);
  process.once('SIGINT', () => {
    void host.close().then(() => {
      console.log('closed');
    });
  });
}
