// The adopter test's program: fan-out over every thread, a request answered, checkpoints, a restore.
// Prints one line `adopt: …` that the test runner compares; exits non-zero on any failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  WorkflowBuilder,
  createMemoryStore,
  executorModule,
  isSuperstepError,
  openSqliteStore,
  type CheckpointStore,
  type RunHandle,
} from '@superstep/runtime';
import { createTestExecutor } from '@superstep/runtime/testing';
import { split, type Gathered } from './executors.js';

const THREADS = 2;

// The packed `@superstep/runtime/testing` entry resolves and runs a handler in this process, no thread started.
const unit = createTestExecutor(split);
await unit.step([3]);
if (unit.messages.join(',') !== '0,1,2') throw new Error(`testing entry: split sent ${unit.messages.join(',')}`);
console.log('testing entry: split(3) sent 0,1,2');
const useSqlite = process.argv.includes('--sqlite');
const dir = mkdtempSync(join(tmpdir(), 'superstep-adopt-'));

// `.js`: the compiled file in a compiled project; tsx finds executors.ts when run from sources.
const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
const graph = () =>
  new WorkflowBuilder(mod.executor('split'))
    .addEdge('split', mod.executor('square'))
    .addEdge('square', mod.executor('gather'));

async function answerAll(run: RunHandle): Promise<{ outputs: readonly unknown[]; asked: number }> {
  let asked = 0;
  for await (const event of run) {
    if (event.type === 'request') {
      asked += 1;
      await run.respond(event.requestId, { approved: true });
    }
  }
  return { outputs: (await run.result()).outputs, asked };
}

let store: CheckpointStore;
if (useSqlite) {
  store = await openSqliteStore({ path: join(dir, 'checkpoints.db') });
} else {
  store = createMemoryStore();
  try {
    await openSqliteStore({ path: join(dir, 'checkpoints.db') });
    throw new Error('openSqliteStore worked without better-sqlite3 installed');
  } catch (error) {
    if (!isSuperstepError(error, 'OPTIONAL_DEPENDENCY_MISSING')) throw error;
    console.log(`without better-sqlite3: ${error.code} (${String(error.details.package)})`);
  }
}

const workflow = await graph().build({ threads: THREADS, store, name: 'adopt' });
const again = await graph().build({ threads: THREADS, store, name: 'adopt' });
try {
  const first = await answerAll(workflow.run(8));
  const result = first.outputs[0] as Gathered;
  // Restore the barrier after the fan-out was sent (superstep 1) on another instance, and finish from there.
  const checkpoints = await store.list({ workflowName: 'adopt' });
  const fanOut = checkpoints.find((meta) => meta.superstep === 1 && meta.runId !== null);
  if (fanOut === undefined) throw new Error('no checkpoint of superstep 1');
  await again.restore(fanOut.id);
  const restored = await answerAll(again.resume());
  const after = restored.outputs[0] as Gathered;
  console.log(
    `adopt: sum ${result.sum} on ${result.threads} threads, ${first.asked} request answered, ` +
      `${useSqlite ? 'sqlite' : 'memory'} checkpoints ${checkpoints.length > 2 ? 'written' : 'missing'}, ` +
      `restored from superstep 1: sum ${after.sum}`,
  );
} finally {
  // An open workflow keeps worker threads, and so the process, alive: close it.
  await again.close();
  await workflow.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
