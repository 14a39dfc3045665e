/**
 * The hosted-workflow example for real: an HTTP server on 127.0.0.1 (ephemeral port), one workflow
 * instance on real worker threads, conversations checkpointed to a real SQLite file in a temp dir.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Reply } from './executors.ts';
import { startHost, type Host } from './main.ts';

const scratch = mkdtempSync(join(tmpdir(), 'superstep-hosted-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const hosts: Host[] = [];
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
});

async function open(db: string): Promise<Host> {
  const host = await startHost({ dbPath: join(scratch, db) });
  hosts.push(host);
  return host;
}

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

async function call<T>(host: Host, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface Started {
  readonly conversationId: string;
  readonly checkpointId: string;
}
interface Served {
  readonly conversationId: string;
  readonly replies: Reply[];
  readonly checkpointId: string;
}
interface Failure {
  readonly error: { readonly code: string; readonly message: string };
}

const start = (host: Host) => call<Started>(host, 'POST', '/conversations');
const say = (host: Host, id: string, text: string) =>
  call<Served & Failure>(host, 'POST', `/conversations/${id}/messages`, { text });

describe('hosted workflow example', () => {
  it('keeps interleaved conversations apart, each restored from its own checkpoints', async () => {
    const host = await open('interleaved.db');
    const a = await start(host);
    const b = await start(host);
    expect(a.status).toBe(201);
    expect(b.body.conversationId).not.toBe(a.body.conversationId);
    const A = a.body.conversationId;
    const B = b.body.conversationId;

    expect((await say(host, A, 'add 5')).body.replies).toEqual([
      { turn: 1, text: 'added 5; the tally is 5', tally: 5, from: 'bot' },
    ]);
    expect((await say(host, B, 'add 100')).body.replies[0]).toMatchObject({ turn: 1, tally: 100 });
    expect((await say(host, A, 'add 2')).body.replies[0]).toMatchObject({ turn: 2, tally: 7 });
    const hello = await say(host, B, 'hello');
    expect(hello.status).toBe(200);
    expect(hello.body.replies[0]).toMatchObject({
      turn: 2,
      tally: 100,
      text: 'you said "hello" (turn 2; the tally is 100)',
    });

    // Every served message is a checkpoint in the conversation's own lineage.
    const { checkpointId } = (await say(host, A, 'add 1')).body;
    expect((await host.store.list({ lineageId: A })).map((meta) => meta.id)).toContain(checkpointId);
    expect((await host.store.list({ lineageId: B })).map((meta) => meta.id)).not.toContain(checkpointId);
  });

  it('answers an unknown conversation with 404', async () => {
    const host = await open('unknown.db');
    const answer = await say(host, 'no-such-conversation', 'hi');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('CONVERSATION_UNKNOWN');
  });

  it('answers 409 WORKFLOW_BUSY while a run holds the instance, and serves the request once it is free', async () => {
    const host = await open('busy.db');
    const A = (await start(host)).body.conversationId;
    const B = (await start(host)).body.conversationId;
    await say(host, A, 'add 3');

    // A's message asks the operator: its run holds the instance until the question is answered.
    const asked = once(host.events, 'question');
    const slow = say(host, A, 'ask are you open on sunday?');
    const [question] = (await asked) as [{ requestId: string; conversationId: string; question: string }];
    expect(question).toMatchObject({ conversationId: A, question: 'are you open on sunday?' });

    // Now the instance is certainly busy: every other operation is refused, with the runtime's code.
    const refused = await say(host, B, 'add 1');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WORKFLOW_BUSY');
    const refusedStart = await start(host);
    expect(refusedStart.status).toBe(409);
    expect((refusedStart.body as unknown as Failure).error.code).toBe('WORKFLOW_BUSY');
    expect((await call<{ busy: boolean; workflow: string }>(host, 'GET', '/status')).body).toMatchObject({
      busy: true,
      workflow: 'running',
    });
    // The same refusal straight from the runtime: run() throws, reset() rejects.
    let thrown: unknown;
    try {
      host.workflow.run({ text: 'x' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'WORKFLOW_BUSY' });
    await expect(host.workflow.reset()).rejects.toMatchObject({ code: 'WORKFLOW_BUSY' });

    // The operator's questions: listed; a wrong answer is refused with 400 and changes nothing.
    expect((await call<unknown[]>(host, 'GET', '/operator/questions')).body).toEqual([question]);
    const invalid = await call<Failure>(host, 'POST', `/operator/questions/${question.requestId}`, { answer: 42 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('RESPONSE_INVALID');
    const unknown = await call<Failure>(host, 'POST', '/operator/questions/nope', { answer: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('REQUEST_UNKNOWN');
    const accepted = await call(host, 'POST', `/operator/questions/${question.requestId}`, {
      answer: 'yes, ten to four',
    });
    expect(accepted.status).toBe(202);

    const served = await slow;
    expect(served.status).toBe(200);
    expect(served.body.replies).toEqual([{ turn: 2, text: 'yes, ten to four', tally: 3, from: 'operator' }]);

    // Free again: B's message goes through, and A kept its state across the wait.
    expect((await say(host, B, 'add 1')).body.replies[0]).toMatchObject({ turn: 1, tally: 1 });
    expect((await say(host, A, 'add 1')).body.replies[0]).toMatchObject({ turn: 3, tally: 4 });
  });

  it('finds conversations again after a restart, from the SQLite file alone', async () => {
    const first = await open('restart.db');
    const A = (await start(first)).body.conversationId;
    const B = (await start(first)).body.conversationId;
    await say(first, A, 'add 10');
    await say(first, B, 'add 20');
    await say(first, A, 'add 1');
    await first.close();

    const second = await open('restart.db');
    expect((await say(second, B, 'add 2')).body.replies[0]).toMatchObject({ turn: 2, tally: 22 });
    expect((await say(second, A, 'add 2')).body.replies[0]).toMatchObject({ turn: 3, tally: 13 });
  });

  it('a message whose client gives up is cancelled and leaves the conversation as it was', async () => {
    const host = await open('cancelled.db');
    const A = (await start(host)).body.conversationId;
    await say(host, A, 'add 4');
    const before = await host.store.list({ lineageId: A });

    const controller = new AbortController();
    const asked = once(host.events, 'question');
    const abandoned = fetch(`${host.url}/conversations/${A}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'ask anyone there?' }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await asked;
    const released = once(host.events, 'released');
    controller.abort();
    await abandoned;
    await released;

    // The next message waits for nothing: the cancelled run's checkpoints (with its question) are gone.
    const next = await say(host, A, 'add 1');
    expect(next.body.replies[0]).toMatchObject({ turn: 2, tally: 5 });
    const after = await host.store.list({ lineageId: A });
    expect(after.slice(0, before.length)).toEqual(before);
  });
});
