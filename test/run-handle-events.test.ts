/**
 * A handle whose result() is awaited before its events are iterated does not keep events nobody reads
 * (a long result()-only run would otherwise buffer every event until it ends); iterating first keeps them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type WorkflowEvent } from '@superstep/runtime';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('run handle: events nobody reads are not kept', () => {
  it('result() before iteration: the run completes, and no event is kept for a later iteration', async () => {
    await using workflow = await new WorkflowBuilder(basic.executor('countdown'))
      .addEdge('countdown', 'countdown')
      .build({ pool });
    const run = workflow.run(20);
    const result = await run.result();
    expect(result.outputs).toEqual(['done']);
    expect(result.supersteps).toBe(21);
    const late: WorkflowEvent[] = [];
    for await (const event of run) late.push(event);
    expect(late).toEqual([]);
  });

  it('iterating first keeps every event, and result() afterwards still resolves', async () => {
    await using workflow = await new WorkflowBuilder(basic.executor('countdown'))
      .addEdge('countdown', 'countdown')
      .build({ pool });
    const run = workflow.run(3);
    const events: WorkflowEvent[] = [];
    for await (const event of run) events.push(event);
    expect((await run.result()).outputs).toEqual(['done']);
    expect(events.filter((event) => event.type === 'executor.invoked')).toHaveLength(4);
    expect(events.filter((event) => event.type === 'superstep.completed')).toHaveLength(4);
  });
});
