// The adopter test, plain JavaScript: no TypeScript, no tsx. Same program as ../app/main.ts.
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
} from '@superstep/runtime';
import { natsLease } from '@superstep/runtime/nats';
const THREADS = 2;
const useSqlite = process.argv.includes('--sqlite');
const dir = mkdtempSync(join(tmpdir(), 'superstep-adopt-'));
// A URL, so the module resolves against this file (a relative string would resolve against the runtime).
const mod = executorModule(new URL('./executors.mjs', import.meta.url));
const graph = () =>
  new WorkflowBuilder(mod.executor('split'))
    .addEdge('split', mod.executor('square'))
    .addEdge('square', mod.executor('gather'));
async function answerAll(run) {
  let asked = 0;
  for await (const event of run) {
    if (event.type === 'request') {
      asked += 1;
      await run.respond(event.requestId, { approved: true });
    }
  }
  return { outputs: (await run.result()).outputs, asked };
}
let store;
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
// The NATS entry imports without its optional clients; using it names the package to install.
try {
  await natsLease({ servers: 'nats://127.0.0.1:4222' }).acquire('adopt');
  throw new Error('natsLease worked without @nats-io/kv installed');
} catch (error) {
  if (!isSuperstepError(error, 'OPTIONAL_DEPENDENCY_MISSING')) throw error;
  console.log(`without the NATS clients: ${error.code} (${String(error.details.package)})`);
}
// A TypeScript executor module where tsx is not installed: build() refuses it and names the package.
try {
  const typed = executorModule(new URL('./typed.ts', import.meta.url));
  await new WorkflowBuilder(typed.executor('typed')).build({ threads: 1 });
  throw new Error('build() accepted a TypeScript executor module without tsx');
} catch (error) {
  if (!isSuperstepError(error, 'OPTIONAL_DEPENDENCY_MISSING')) throw error;
  console.log(`without tsx: ${error.code} (${String(error.details.package)})`);
}
const workflow = await graph().build({ threads: THREADS, store, name: 'adopt' });
const again = await graph().build({ threads: THREADS, store, name: 'adopt' });
try {
  const first = await answerAll(workflow.run(8));
  const result = first.outputs[0];
  // Restore the barrier after the fan-out was sent (superstep 1) on another instance, and finish from there.
  const checkpoints = await store.list({ workflowName: 'adopt' });
  const fanOut = checkpoints.find((meta) => meta.superstep === 1 && meta.runId !== null);
  if (fanOut === undefined) throw new Error('no checkpoint of superstep 1');
  await again.restore(fanOut.id);
  const restored = await answerAll(again.resume());
  const after = restored.outputs[0];
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
