/**
 * Guarantee 52 (docs/guarantees.md#g52) across real processes: coordinator processes of one named instance,
 * reserved through a NATS KV lease, checkpointing to PostgreSQL (test/children/leased-ledger.ts). Exactly
 * one runs while the others get WORKFLOW_BUSY; a SIGKILLed holder's lease expires and a standby resumes from
 * the latest checkpoint to the uninterrupted run's result; a SIGSTOPped holder resumed after the takeover
 * fails with LEASE_LOST and commits nothing. And a run's events, followed from this process through a
 * JetStream stream, are the sequence its handle yields in the coordinator's.
 *
 * Real NATS (SUPERSTEP_NATS_URL, default the local one) and PostgreSQL (SUPERSTEP_PG_URL); skipped, with a
 * warning naming the server, only if one does not answer. Every child is killed in afterEach.
 */
import { randomBytes } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { WorkflowEvent } from '@superstep/runtime';
import { natsEventStream } from '@superstep/runtime/nats';
import { killChildren, startScript, type Child } from './child-process.ts';
import { HANG_ENV, SLOW_ENV } from './fixtures/ledger.ts';
import { canonical, expectedLedgers, ledgersOf, superstepsOf } from './ledger-graph.ts';

const NATS_URL = process.env.SUPERSTEP_NATS_URL ?? 'nats://127.0.0.1:4222';
const PG_URL = process.env.SUPERSTEP_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHILD = new URL('./children/leased-ledger.ts', import.meta.url);
const ROUNDS = 3;
const SUPERSTEPS = superstepsOf(ROUNDS);
const TTL_MS = 1500;

/** Why a server is not usable here, or `undefined` when it answers. */
async function absent(check: () => Promise<void>): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
const natsAbsent = await absent(async () => {
  await (await connect({ servers: NATS_URL, timeout: 3000, reconnect: false })).close();
});
const pgAbsent = await absent(async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  await client.end();
});
if (natsAbsent !== undefined)
  console.warn(`No NATS server at ${NATS_URL} (${natsAbsent}): skipping the cross-process lease tests.`);
if (pgAbsent !== undefined)
  console.warn(`No PostgreSQL at ${PG_URL} (${pgAbsent}): skipping the cross-process lease tests.`);

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const schema = `superstep_lease_${suffix}`;
const buckets: string[] = [];
const streams: string[] = [];
let tests = 0;

/** A fresh instance: its own lease bucket, its own name (the PostgreSQL schema is shared by the file). */
function instance(): { name: string; args: (mode: string, ...more: string[]) => string[] } {
  const n = ++tests;
  const bucket = `superstep_test_lease_${suffix}_${n}`;
  buckets.push(bucket);
  const name = `ledger-${n}`;
  return {
    name,
    args: (mode, ...more) => [
      ...['--mode', mode, '--name', name, '--rounds', String(ROUNDS), '--ttl', String(TTL_MS)],
      ...['--pg', PG_URL, '--schema', schema, '--nats', NATS_URL, '--bucket', bucket, ...more],
    ],
  };
}

const outputsOf = (child: Child): unknown[] =>
  child.lines.filter((line) => line.startsWith('output ')).map((line) => JSON.parse(line.slice(7)) as unknown);

/** The instance's checkpoint rows in commit order: which run wrote which superstep. */
async function rows(name: string): Promise<{ seq: number; runId: string; superstep: number }[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows: found } = await client.query<{ seq: string; run_id: string; superstep: string }>(
      `SELECT seq, run_id, superstep FROM "${schema}".superstep_checkpoints WHERE workflow_name = $1 ORDER BY seq`,
      [name],
    );
    return found.map((row) => ({ seq: Number(row.seq), runId: row.run_id, superstep: Number(row.superstep) }));
  } finally {
    await client.end();
  }
}

const runIdOf = async (child: Child): Promise<string> => (await child.waitFor(/^run (\S+)$/))[1] ?? '';

describe.skipIf(natsAbsent !== undefined || pgAbsent !== undefined)(
  'guarantee 52: one run per instance across processes',
  () => {
    afterEach(() => {
      killChildren();
    });

    afterAll(async () => {
      killChildren();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      const connection = await connect({ servers: NATS_URL });
      const kvm = new Kvm(connection);
      await Promise.allSettled(buckets.map(async (bucket) => (await kvm.open(bucket)).destroy()));
      const jsm = await jetstreamManager(connection);
      await Promise.allSettled(streams.map((stream) => jsm.streams.delete(stream)));
      await connection.close();
    });

    it('two coordinator processes ask for one named instance at once: exactly one runs, the other gets WORKFLOW_BUSY', async () => {
      const { args } = instance();
      // Whoever wins hangs in superstep 2, so it still holds the instance when the other asks.
      const env = { ...process.env, [HANG_ENV]: '2' };
      const pair = [startScript(CHILD, args('run'), { env }), startScript(CHILD, args('run'), { env })];
      const outcome = await Promise.race(
        pair.map(async (child, index) => ({ index, line: (await child.waitFor(/^error \S+$/))[0] })),
      );
      expect(outcome.line).toBe('error WORKFLOW_BUSY');
      const holder = pair[1 - outcome.index];
      await holder?.waitFor(/^checkpoint 1 /);
      expect(holder?.lines.some((line) => line.startsWith('error'))).toBe(false);
    });

    it('a SIGKILLed holder: a standby takes the lease after the TTL and resumes from the latest checkpoint to the uninterrupted result', async () => {
      const { name, args } = instance();
      const doomed = startScript(CHILD, args('run'), { env: { ...process.env, [HANG_ENV]: '5' } });
      await doomed.waitFor(/^checkpoint 4 /);
      const standby = startScript(CHILD, args('take-over'));
      await standby.waitFor(/^busy$/);
      const killedAt = Date.now();
      doomed.kill('SIGKILL');
      await standby.waitFor(/^restored \d+$/);
      const tookOverMs = Date.now() - killedAt;
      const exit = await standby.exited;
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
      expect(standby.lines.filter((line) => /^(restored|done|error)/.test(line))).toEqual([
        'restored 4',
        `done ${SUPERSTEPS - 4}`,
      ]);
      expect(ledgersOf(canonical(outputsOf(standby)))).toEqual(expectedLedgers(ROUNDS));
      // One chain of checkpoints 0..N, each once, across the two processes.
      expect((await rows(name)).map((row) => row.superstep)).toEqual(
        Array.from({ length: SUPERSTEPS + 1 }, (_, s) => s),
      );
      console.log(
        `lease takeover after SIGKILL: the standby restored ${tookOverMs} ms after the kill (TTL ${TTL_MS} ms)`,
      );
    });

    it('a SIGSTOPped holder resumed after the takeover fails with LEASE_LOST and commits no checkpoint after the new holder’s', async () => {
      const { name, args } = instance();
      // Its handlers of superstep 5 take a while: the stop lands while checkpoint 4 is the newest.
      const paused = startScript(CHILD, args('run'), { env: { ...process.env, [SLOW_ENV]: '5:1000' } });
      const pausedRun = await runIdOf(paused);
      await paused.waitFor(/^checkpoint 4 /);
      paused.kill('SIGSTOP');
      const standby = startScript(CHILD, args('take-over'));
      try {
        await standby.waitFor(/^restored 4$/);
        expect((await standby.exited).code).toBe(0);
        expect(standby.lines.at(-1)).toBe(`done ${SUPERSTEPS - 4}`);
        expect(ledgersOf(canonical(outputsOf(standby)))).toEqual(expectedLedgers(ROUNDS));
      } finally {
        paused.kill('SIGCONT');
      }
      await paused.waitFor(/^error /);
      expect(paused.lines.filter((line) => /^(done|error)/.test(line))).toEqual(['error LEASE_LOST']);
      expect((await paused.exited).code).toBe(0);
      // In commit order: the stale holder's rows all come before the new holder's first.
      const committed = await rows(name);
      const firstOfStandby = committed.findIndex((row) => row.runId !== pausedRun);
      expect(committed.slice(firstOfStandby).filter((row) => row.runId === pausedRun)).toEqual([]);
      expect(committed.map((row) => row.superstep)).toEqual(Array.from({ length: SUPERSTEPS + 1 }, (_, s) => s));
    });

    it('another process follows a run through the event stream: the same events, in the same order, as its handle', async () => {
      const { name, args } = instance();
      const stream = `SUPERSTEP_TEST_${suffix}`;
      streams.push(stream);
      await using events = natsEventStream({ servers: NATS_URL, stream, subjectPrefix: `superstep.test.${suffix}` });
      const following = collect(events.observe(name));
      const late: Promise<WorkflowEvent[]>[] = [];
      await untilObserved(stream);
      const prefix = ['--stream', stream, '--prefix', `superstep.test.${suffix}`, '--print-events'];
      // Superstep 4 is slow, so the run is still going when a second observer comes in at checkpoint 3.
      const coordinator = startScript(CHILD, args('run', ...prefix), { env: { ...process.env, [SLOW_ENV]: '4:1500' } });
      await coordinator.waitFor(/^checkpoint 3 /);
      late.push(collect(events.observe(name)));
      await untilObserved(stream, 2);
      expect((await coordinator.exited).code).toBe(0);
      const handled = coordinator.lines
        .filter((line) => line.startsWith('event '))
        .map((line) => JSON.parse(line.slice(6)) as unknown);
      expect(handled.length).toBeGreaterThan(SUPERSTEPS * 3);
      expect(JSON.parse(JSON.stringify(await following))).toEqual(handled);
      expect(JSON.parse(JSON.stringify(await late[0]))).toEqual(handled);
    });
  },
);

async function collect(events: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const seen: WorkflowEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** Resolves once the stream has a consumer: an observer is set up and will see what comes next. */
async function untilObserved(stream: string, consumers = 1): Promise<void> {
  const connection = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(connection);
    for (;;) {
      const found = await jsm.consumers
        .list(stream)
        .next()
        .catch(() => []);
      if (found.length >= consumers) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await connection.close();
  }
}
