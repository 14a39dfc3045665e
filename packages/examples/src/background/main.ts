/**
 * A background run answered over HTTP. The server starts a run of an expense-claim batch and keeps its
 * handle; the run goes on in the background while the program keeps serving. Large claims need a
 * person: the run streams a `request` event for each and, started with `onPendingRequests: 'wait'`, stays
 * open (status `waiting-for-answers`) until someone answers over HTTP — no polling. (`'wait'` is
 * spelled out: the default, `'auto'`, waits only while an `onRequest` callback is set or the events are
 * being iterated, and a background run must not end just because nobody is reading its events.)
 *
 *   GET  /requests[?wait=true]  → the pending requests, from the run's `request` events. With `wait=true`
 *                                 the answer waits until the run is blocked on people (or has ended).
 *   POST /requests/:id          → `handle.respond(id, body)`, body e.g. { "approved": true, "comment": "ok" }
 *                                 202 accepted · 400 RESPONSE_INVALID · 404 REQUEST_UNKNOWN
 *                                 409 REQUEST_ALREADY_ANSWERED · 410 RUN_ENDED
 *   GET  /result                → awaits `handle.result()`: 200 { status, outputs, supersteps }, or the
 *                                 run's error code (500 for a failure, 503 RUN_CANCELLED)
 *   GET  /status                → { runId, status, pending }
 *   POST /runs                  → a new batch (a JSON array of claims) once the last run has ended:
 *                                 `reset()` (a clean ledger) then `run()`. 202 { runId }; 409
 *                                 WORKFLOW_BUSY while a run holds the instance (the runtime's refusal:
 *                                 `reset()` rejects with it, `run()` throws it)
 *
 * Run it from the repository root (tsx is a dependency of packages/examples):
 *   pnpm --filter @superstep/examples example:background [--port 8080]
 * or from packages/examples: npx tsx src/background/main.ts
 * then, in another terminal:
 *   curl -s 'localhost:8080/requests?wait=true'
 *   curl -s -X POST localhost:8080/requests/claim-c3 -d '{"approved":true,"comment":"conference"}'
 *   curl -s -X POST localhost:8080/requests/claim-c4 -d '{"approved":false}'
 *   curl -s localhost:8080/result
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  WorkflowBuilder,
  executorModule,
  type ErrorCode,
  type PendingRequest,
  type RunHandle,
  type RunStatus,
  type Workflow,
} from '@superstep/runtime';
import { HttpError, listen, readJson, send, sendError, stop } from '../json-http.ts';
import type { Claim } from './executors.ts';
import { parseExampleArgs } from '../cli.ts';

/** A small batch: two claims settle by policy, one is refused, two wait for a person. */
export const SAMPLE_CLAIMS: readonly Claim[] = [
  { id: 'c1', employee: 'ada', amount: 42, description: 'taxi to the client' },
  { id: 'c2', employee: 'grace', amount: 18.5, description: 'lunch' },
  { id: 'c3', employee: 'alan', amount: 950, description: 'conference ticket' },
  { id: 'c4', employee: 'ada', amount: 1200, description: 'new laptop' },
  { id: 'c5', employee: 'edsger', amount: -3, description: 'refund?' },
];

export interface BackgroundOptions {
  /** Started at once, if given. */
  readonly claims?: readonly Claim[];
  /** Default 0: an ephemeral port (read it from `server.url`). */
  readonly port?: number;
  readonly hostname?: string;
  readonly threads?: number;
}

export interface BackgroundServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

/** Request bodies: a batch of claims or an answer. */
const BODY_LIMIT = 1024 * 1024;

/** The runtime's codes, as HTTP statuses. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  RESPONSE_INVALID: 400,
  REQUEST_UNKNOWN: 404,
  REQUEST_ALREADY_ANSWERED: 409,
  RUN_ENDED: 410,
  WORKFLOW_BUSY: 409,
  RUN_CANCELLED: 503,
};

/** One background run: its handle, and what its events have told so far. */
class BackgroundRun {
  readonly pending = new Map<string, PendingRequest>();
  status: RunStatus = 'running';
  ended = false;
  /** Callers of `GET /requests?wait=true`, woken when the run blocks on people or ends. */
  private waiters: (() => void)[] = [];
  /** Resolves once every event has been read. */
  readonly consumed: Promise<void>;

  constructor(readonly handle: RunHandle) {
    this.consumed = this.consume();
  }

  private async consume(): Promise<void> {
    try {
      for await (const event of this.handle) {
        if (event.type === 'request') {
          const { requestId, executorId, superstep, data } = event;
          this.pending.set(requestId, { requestId, executorId, superstep, data });
        } else if (event.type === 'status') {
          this.status = event.status;
          if (event.status === 'waiting-for-answers' || event.final) this.wake();
        }
      }
    } finally {
      this.ended = true;
      this.pending.clear();
      this.wake();
    }
  }

  /** Resolves when the run waits for answers, or has ended. */
  blocked(): Promise<void> {
    if (this.ended || this.status === 'waiting-for-answers') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async respond(requestId: string, value: unknown): Promise<void> {
    await this.handle.respond(requestId, value);
    this.pending.delete(requestId);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/**
 * Starts the server (and a first run, if `options.claims` is given). Resolves once it listens.
 *
 * @example
 * await using server = await startBackground({ claims: SAMPLE_CLAIMS, port: 8080 });
 */
export async function startBackground(options: BackgroundOptions = {}): Promise<BackgroundServer> {
  const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
  const workflow: Workflow<readonly Claim[]> = await new WorkflowBuilder(mod.executor('intake'))
    .addEdge('intake', mod.executor('check'))
    .addEdge('check', mod.executor('ledger'))
    .build({ threads: options.threads ?? 2, name: 'expense-claims' });

  let current: BackgroundRun | undefined;

  async function startRun(claims: readonly Claim[]): Promise<BackgroundRun> {
    // A new batch starts from a clean ledger. reset() is refused with WORKFLOW_BUSY during a run.
    await workflow.reset();
    // 'wait': the run stays open until its requests are answered, whoever reads its events.
    current = new BackgroundRun(workflow.run(claims, { onPendingRequests: 'wait' }));
    return current;
  }

  function requireRun(): BackgroundRun {
    if (current === undefined) throw new HttpError(404, 'NO_RUN', 'no run has been started; POST /runs first');
    return current;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const answer = /^\/requests\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && url.pathname === '/requests') {
      const run = requireRun();
      if (url.searchParams.get('wait') === 'true') await run.blocked();
      send(res, 200, [...run.pending.values()]);
    } else if (method === 'POST' && answer !== null) {
      const run = requireRun();
      await run.respond(decodeURIComponent(answer[1] ?? ''), await readJson(req, { limit: BODY_LIMIT }));
      send(res, 202, { accepted: true });
    } else if (method === 'GET' && url.pathname === '/result') {
      const { handle } = requireRun();
      const { runId, status, outputs, supersteps } = await handle.result();
      send(res, 200, { runId, status, outputs, supersteps });
    } else if (method === 'GET' && url.pathname === '/status') {
      const run = requireRun();
      send(res, 200, { runId: run.handle.runId, status: run.status, pending: run.pending.size });
    } else if (method === 'POST' && url.pathname === '/runs') {
      const claims = await readJson(req, { limit: BODY_LIMIT });
      if (!Array.isArray(claims)) throw new HttpError(400, 'BAD_BATCH', 'the body must be a JSON array of claims');
      const run = await startRun(claims as Claim[]);
      send(res, 202, { runId: run.handle.runId });
    } else {
      throw new HttpError(404, 'NOT_FOUND', `no route ${method} ${url.pathname}`);
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      sendError(res, error, HTTP_STATUS);
    });
  });
  let url: string;
  try {
    if (options.claims !== undefined) await startRun(options.claims);
    url = await listen(server, options.port ?? 0, options.hostname ?? '127.0.0.1');
  } catch (error) {
    await workflow.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await stop(server);
      await workflow.close(); // cancels a run still waiting for answers
      await current?.consumed;
    })());
  return { url, close, [Symbol.asyncDispose]: close };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseExampleArgs('example:background', {
    port: { type: 'string', default: '8080', description: 'HTTP port (0: any free port)' },
  });
  const server = await startBackground({ claims: SAMPLE_CLAIMS, port: Number(args.port) });
  console.log(`expense-claim batch running in the background; serving on ${server.url}`);
  console.log(`  curl -s '${server.url}/requests?wait=true'`);
  console.log(`  curl -s -X POST ${server.url}/requests/claim-c3 -d '{"approved":true,"comment":"conference"}'`);
  console.log(`  curl -s ${server.url}/result`);
  process.once('SIGINT', () => {
    void server.close().then(() => {
      console.log('closed');
    });
  });
}
