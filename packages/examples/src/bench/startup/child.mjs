// One start-up sample, in a fresh `node` process (no tsx on the main thread): import the runtime, start a
// pool, build a one-executor workflow (every worker imports the executor module) and run it once.
// argv: runtime entry URL, executor module URL, threads. Prints {"startupMs", "rssMb"} as JSON.
import { performance } from 'node:perf_hooks';

const [runtimeUrl, moduleUrl, threadsText] = process.argv.slice(2);
const start = performance.now();
const { WorkflowBuilder, createPool, executorModule } = await import(runtimeUrl);
const pool = await createPool({ threads: Number(threadsText) });
const workflow = await new WorkflowBuilder(executorModule(moduleUrl).executor('echo')).build({ pool });
try {
  const { outputs } = await workflow.run(1).result();
  const startupMs = performance.now() - start;
  if (outputs[0] !== 1) throw new Error(`unexpected outputs ${JSON.stringify(outputs)}`);
  console.log(JSON.stringify({ startupMs, rssMb: process.memoryUsage().rss / 2 ** 20 }));
} finally {
  await workflow.close();
  await pool.close();
}
