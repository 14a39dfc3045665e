import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type WorkflowEvent } from '@superstep/runtime';

const mod = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

describe('smoke', () => {
  let pool: ActorPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('runs a forward → sink chain', async () => {
    await using wf = await new WorkflowBuilder(mod.executor('forward'))
      .addEdge('forward', mod.executor('sink'))
      .build({ pool });
    const run = wf.run({ hello: 'world' });
    const events: WorkflowEvent[] = [];
    for await (const event of run) events.push(event);
    const result = await run.result();
    expect(result.outputs).toEqual([{ hello: 'world' }]);
    expect(result.supersteps).toBe(2);
    expect(events.map((e) => e.type)).toContain('output');
  });

  it('fans out squares and joins them', async () => {
    await using wf = await new WorkflowBuilder(mod.executor('split'))
      .addFanOut('split', [mod.executor('square', { id: 'a' }), mod.executor('square', { id: 'b' })])
      .addFanIn(['a', 'b'], mod.executor('sum'))
      .build({ pool });
    const result = await wf.run([1, 2, 3]).result();
    expect(result.outputs).toEqual([2 * (1 + 4 + 9)]);
  });
});
