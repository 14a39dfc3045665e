/**
 * Child process of test/memory-bound.test.ts (started with --expose-gc, which the worker threads inherit).
 * On one pool: a warm-up, then `runs` runs of one instance, then `instances` build/run/close cycles (each
 * with its own memory store); after each phase it prints `heap <phase> <json>`, the pool's health (heap in
 * use after a full GC, main thread and every host), and finally `done`.
 */
import { WorkflowBuilder, createMemoryStore, createPool, executorModule } from '@superstep/runtime';
import type { Rounds } from '../fixtures/memory.ts';

const [runs = 2000, instances = 1000, warmup = 300] = process.argv.slice(2).map(Number);
const memory = executorModule<typeof import('../fixtures/memory.ts')>(
  new URL('../fixtures/memory.ts', import.meta.url),
);
const graph = (): WorkflowBuilder =>
  new WorkflowBuilder(memory.executor('start'))
    .addFanOut('start', [memory.executor('left'), memory.executor('right'), memory.executor('square')])
    .addFanIn(['left', 'right'], memory.executor('join'))
    .addEdge('join', 'start')
    .addEdge('square', memory.executor('total'));
const input: Rounds = { round: 1, rounds: 3, width: 8 };
const expected = 3 + 3; // join sums the last round's parts: left sends the round, right the shared round

await using pool = await createPool({ threads: 2 });
const check = (outputs: readonly unknown[]): void => {
  if (outputs.length !== 1 || outputs[0] !== expected) throw new Error(`unexpected outputs ${JSON.stringify(outputs)}`);
};
async function reuse(count: number): Promise<void> {
  await using workflow = await graph().build({ pool });
  for (let i = 0; i < count; i++) check((await workflow.run(input).result()).outputs);
}
async function rebuild(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await using store = createMemoryStore();
    await using workflow = await graph().build({ pool, store });
    check((await workflow.run(input).result()).outputs);
  }
}
async function report(phase: string): Promise<void> {
  const health = await pool.health();
  const heaps = { main: health.main.heapUsed, hosts: health.hosts.map((host) => host.heapUsed) };
  const collected = health.main.collected && health.hosts.every((host) => host.collected);
  console.log(`heap ${phase} ${JSON.stringify({ ...heaps, collected })}`);
}

await reuse(warmup);
await rebuild(warmup);
await report('warm');
await reuse(runs);
await report('runs');
await rebuild(instances);
await report('instances');
console.log('done');
