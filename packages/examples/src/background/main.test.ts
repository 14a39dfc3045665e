/**
 * The background example for real: a run on real worker threads, driven to completion by HTTP calls to
 * a real server on 127.0.0.1 (ephemeral port).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PendingRequest } from '@superstep/runtime';
import type { BatchSummary, Claim, ClaimQuestion } from './executors.ts';
import { SAMPLE_CLAIMS, startBackground, type BackgroundServer } from './main.ts';

const servers: BackgroundServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function open(claims?: readonly Claim[]): Promise<BackgroundServer> {
  const server = await startBackground({ threads: 2, ...(claims === undefined ? {} : { claims }) });
  servers.push(server);
  return server;
}

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}
interface Failure {
  readonly error: { readonly code: string; readonly message: string };
}
interface Result {
  readonly status: string;
  readonly outputs: BatchSummary[];
  readonly supersteps: number;
}

async function call<T>(server: BackgroundServer, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('background example', () => {
  it('HTTP calls drive a background run with pending requests to completion', async () => {
    const server = await open(SAMPLE_CLAIMS);

    // Wait (server-side, no polling) until the run is blocked on people: both large claims are pending.
    const pending = await call<PendingRequest[]>(server, 'GET', '/requests?wait=true');
    expect(pending.status).toBe(200);
    expect(pending.body.map((request) => request.requestId).sort()).toEqual(['claim-c3', 'claim-c4']);
    expect(pending.body[0]).toMatchObject({ executorId: 'ledger', superstep: 3 });
    expect((pending.body.find((r) => r.requestId === 'claim-c3')?.data as ClaimQuestion).question).toBe(
      `Approve alan's claim of 950 for "conference ticket"?`,
    );
    expect((await call(server, 'GET', '/status')).body).toMatchObject({
      status: 'waiting-for-answers',
      pending: 2,
    });

    // Refusals change nothing.
    const invalid = await call<Failure>(server, 'POST', '/requests/claim-c3', { approved: 'sure' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('RESPONSE_INVALID');
    const unknown = await call<Failure>(server, 'POST', '/requests/claim-zz', { approved: true });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('REQUEST_UNKNOWN');

    // Answer one: accepted; a second answer to it is refused (the run is still waiting for the other).
    const accepted = await call(server, 'POST', '/requests/claim-c3', { approved: true, comment: 'conference' });
    expect(accepted.status).toBe(202);
    const twice = await call<Failure>(server, 'POST', '/requests/claim-c3', { approved: false });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('REQUEST_ALREADY_ANSWERED');
    expect((await call<PendingRequest[]>(server, 'GET', '/requests')).body.map((r) => r.requestId)).toEqual([
      'claim-c4',
    ]);

    // The instance is held by the waiting run: a new batch is refused.
    const busy = await call<Failure>(server, 'POST', '/runs', []);
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('WORKFLOW_BUSY');

    // The last answer; then the result.
    const last = await call(server, 'POST', '/requests/claim-c4', { approved: false, comment: 'use the old one' });
    expect(last.status).toBe(202);
    const result = await call<Result>(server, 'GET', '/result');
    expect(result.status).toBe(200);
    expect(result.body.status).toBe('idle');
    expect(result.body.outputs).toEqual([
      {
        claims: 5,
        approvedTotal: 42 + 18.5 + 950,
        settled: [
          { id: 'c1', amount: 42, approved: true, by: 'policy', note: 'within the 100 limit' },
          { id: 'c2', amount: 18.5, approved: true, by: 'policy', note: 'within the 100 limit' },
          { id: 'c3', amount: 950, approved: true, by: 'person', note: 'conference' },
          { id: 'c4', amount: 1200, approved: false, by: 'person', note: 'use the old one' },
          { id: 'c5', amount: -3, approved: false, by: 'policy', note: 'the amount must be positive' },
        ],
      },
    ]);

    // After the end: answers are refused with RUN_ENDED, and a new batch starts from a clean ledger.
    const late = await call<Failure>(server, 'POST', '/requests/claim-c4', { approved: true });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('RUN_ENDED');
    const next = await call<{ runId: string }>(server, 'POST', '/runs', [SAMPLE_CLAIMS[0], SAMPLE_CLAIMS[1]]);
    expect(next.status).toBe(202);
    const second = await call<Result>(server, 'GET', '/result');
    expect(second.body.outputs[0]).toMatchObject({ claims: 2, approvedTotal: 60.5 });
    expect((await call<PendingRequest[]>(server, 'GET', '/requests?wait=true')).body).toEqual([]);
  });

  it('without a run, the endpoints say so', async () => {
    const server = await open();
    const none = await call<Failure>(server, 'GET', '/result');
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('NO_RUN');
  });
});
