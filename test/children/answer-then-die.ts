/**
 * Two askers in one process (test/answer-durability.test.ts kills it with SIGKILL): `kick` fans out to
 * `ask-a` and `ask-b`, which both ask in superstep 2. Checkpoints every barrier to SQLite. The human is
 * scripted (stable request ids: `approve:ask-a`, `approve:ask-b`): `ask-a` gets `{ approved: false }`, `ask-b` `{ approved: true }`. Prints, one per line:
 *   `started` or `resumed <reason> <superstep>`, `asked <executorId>`, `accepted <executorId>`,
 *   `output <json>`, `done`.
 * `--die-after-first-answer`: once the first answer is accepted (respond() resolved), the main thread
 * freezes — no barrier can follow — and prints `frozen`, for the parent to SIGKILL it.
 * Without it, the process starts with `resumeLatest()` and starts a fresh run only if there is nothing to resume.
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WorkflowBuilder, executorModule, openSqliteStore, type RunHandle } from '@superstep/runtime';

const WORKFLOW_NAME = 'two-askers';
const ANSWERS: Readonly<Record<string, { approved: boolean }>> = {
  'ask-a': { approved: false },
  'ask-b': { approved: true },
};

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    'die-after-first-answer': { type: 'boolean', default: false },
  },
});
if (args.db === undefined) throw new Error('--db is required');

// Synchronous writes: a line printed is a line the parent can read, even if we are SIGKILLed right after.
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const req = executorModule<typeof import('../fixtures/requests.ts')>(
  new URL('../fixtures/requests.ts', import.meta.url),
);
const basic = executorModule<typeof import('../fixtures/basic.ts')>(new URL('../fixtures/basic.ts', import.meta.url));

await using store = await openSqliteStore({ path: args.db });
await using workflow = await new WorkflowBuilder(basic.executor('forward', { id: 'kick' }))
  .addFanOut('kick', [req.executor('asker', { id: 'ask-a' }), req.executor('asker', { id: 'ask-b' })])
  .build({ threads: 2, store, name: WORKFLOW_NAME });

let run: RunHandle;
if (args['die-after-first-answer']) {
  run = workflow.run({ item: 'invoice', requestId: 'approve' });
  say('started');
} else {
  const latest = await workflow.resumeLatest();
  if (latest.kind === 'resumed') {
    say(`resumed ${latest.checkpoint.reason ?? '?'} ${latest.checkpoint.superstep}`);
    run = latest.run;
  } else {
    run = workflow.run({ item: 'invoice', requestId: 'approve' });
    say('started');
  }
}
for await (const event of run) {
  if (event.type === 'output') say(`output ${JSON.stringify(event.data)}`);
  if (event.type !== 'request') continue;
  say(`asked ${event.executorId}`);
  const answer = ANSWERS[event.executorId];
  if (answer === undefined) throw new Error(`unexpected request from ${event.executorId}`);
  await run.respond(event.requestId, answer);
  say(`accepted ${event.executorId}`);
  if (args['die-after-first-answer']) {
    say('frozen');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
}
await run.result();
say('done');
