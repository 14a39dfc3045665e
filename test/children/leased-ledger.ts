/**
 * A coordinator process of the ledger workflow on a leased instance (test/lease-across-processes.test.ts):
 * checkpoints to PostgreSQL, reserves the instance through a NATS lease, optionally publishes its run events
 * to a JetStream stream. Modes:
 *   `run`       runs `--rounds` rounds; a refused reservation ends it with `error WORKFLOW_BUSY`.
 *   `take-over` restores the newest checkpoint and resumes, retrying while the instance is held elsewhere
 *               (prints `busy` once), as a standby coordinator would after the holder stops renewing.
 * Prints, one per line, as they happen: `run <runId>`, `busy`, `restored <superstep>`,
 * `checkpoint <superstep> <id>`, `output <json>`, `done <supersteps>` or `error <code>`; with
 * `--print-events` also `event <json>` for every event of the run as its handle yields it.
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isSuperstepError, openPostgresStore, type RunHandle } from '@superstep/runtime';
import { natsEventStream, natsLease } from '@superstep/runtime/nats';
import type { Job } from '../fixtures/ledger.ts';
import { ledgerGraph } from '../ledger-graph.ts';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'run' },
    name: { type: 'string', default: 'ledger' },
    rounds: { type: 'string', default: '3' },
    pg: { type: 'string' },
    schema: { type: 'string' },
    nats: { type: 'string' },
    bucket: { type: 'string' },
    stream: { type: 'string' },
    prefix: { type: 'string', default: 'superstep.events' },
    ttl: { type: 'string', default: '1500' },
    'print-events': { type: 'boolean', default: false },
  },
});
const { pg, schema, nats, bucket } = args;
if (pg === undefined || schema === undefined || nats === undefined || bucket === undefined) {
  throw new Error('--pg, --schema, --nats and --bucket are required');
}

// Synchronous writes: a line printed is a line the parent can read, even if we are SIGKILLed right after.
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

await using store = await openPostgresStore({ connectionString: pg, schema });
await using lease = natsLease({ servers: nats, bucket, ttlMs: Number(args.ttl), holder: `pid ${process.pid}` });
await using events =
  args.stream === undefined
    ? undefined
    : natsEventStream({ servers: nats, stream: args.stream, subjectPrefix: args.prefix });
await using workflow = await ledgerGraph().build({
  threads: 2,
  store,
  name: args.name,
  lease,
  ...(events === undefined ? {} : { events }),
  logger: { warn: () => undefined },
  // A run stopped by a lost lease lets its slow handlers (SUPERSTEP_LEDGER_SLOW_AT) return rather than having
  // their worker terminated.
  cancelGraceMs: 5000,
});

async function follow(run: RunHandle): Promise<void> {
  for await (const event of run) {
    if (args['print-events']) say(`event ${JSON.stringify(event)}`);
    if (event.type === 'run.started') say(`run ${event.runId}`);
    if (event.type === 'checkpoint.saved') say(`checkpoint ${event.superstep} ${event.checkpointId}`);
    if (event.type === 'output') say(`output ${JSON.stringify(event.data)}`);
  }
  say(`done ${(await run.result()).supersteps}`);
}

/** Restores the newest checkpoint as soon as the instance is free. */
async function takeOver(): Promise<void> {
  let told = false;
  for (;;) {
    const latest = await store.latest({ workflowName: args.name });
    if (latest === undefined) throw new Error('nothing to take over');
    try {
      await workflow.restore(latest.id);
      say(`restored ${latest.superstep}`);
      return;
    } catch (error) {
      if (!isSuperstepError(error, 'WORKFLOW_BUSY')) throw error;
      if (!told) say('busy');
      told = true;
      await sleep(100);
    }
  }
}

try {
  if (args.mode === 'take-over') {
    await takeOver();
    await follow(workflow.resume());
  } else {
    await follow(workflow.run({ rounds: Number(args.rounds) } satisfies Job));
  }
} catch (error) {
  say(`error ${isSuperstepError(error) ? error.code : String(error)}`);
}
