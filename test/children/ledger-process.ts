/**
 * The crash-injection workflow as a whole process (test/crash-injection.test.ts kills it with SIGKILL).
 * Checkpoints every barrier to SQLite. Started fresh it runs `--rounds` rounds; with `--resume` it restores
 * the newest checkpoint in the database and resumes. Prints, one per line, as they happen:
 *   `restored <superstep>`, `checkpoint <superstep> <id>`, `output <json>`, `done <supersteps>`.
 * With SUPERSTEP_LEDGER_HANG_AT=<n> in its environment, its handlers hang in superstep n (see fixtures/ledger.ts).
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '@superstep/runtime';
import type { Job } from '../fixtures/ledger.ts';
import { ledgerGraph } from '../ledger-graph.ts';

const WORKFLOW_NAME = 'ledger';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    resume: { type: 'boolean', default: false },
  },
});
if (args.db === undefined) throw new Error('--db is required');

// Synchronous writes: a line printed is a line the parent can read, even if we are SIGKILLed right after.
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

await using store = await openSqliteStore({ path: args.db });
await using workflow = await ledgerGraph().build({ threads: 2, store, name: WORKFLOW_NAME });
let run;
if (args.resume) {
  const latest = await store.latest({ workflowName: WORKFLOW_NAME });
  if (latest === undefined) throw new Error('nothing to resume');
  await workflow.restore(latest.id);
  say(`restored ${latest.superstep}`);
  run = workflow.resume();
} else {
  run = workflow.run({ rounds: Number(args.rounds) } satisfies Job);
}
for await (const event of run) {
  if (event.type === 'checkpoint.saved') say(`checkpoint ${event.superstep} ${event.checkpointId}`);
  if (event.type === 'output') say(`output ${JSON.stringify(event.data)}`);
}
say(`done ${(await run.result()).supersteps}`);
