/**
 * Guarantee 59 (docs/guarantees.md#g59): `outputFrom(...)` names the executors whose yields are workflow outputs;
 * the others' are streamed as `output.intermediate` events and left out of `result().outputs`. Without it every
 * yield is an output. Public API only, real worker threads (fixtures/outputs.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, subWorkflow, type ActorPool } from '@superstep/runtime';
import { drain, ofType, thrownBy } from './helpers.ts';

const out = executorModule<typeof import('./fixtures/outputs.ts')>(new URL('./fixtures/outputs.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const drafting = () => new WorkflowBuilder(out.executor('draft')).addEdge('draft', out.executor('review'));

describe('guarantee 59: output designation', () => {
  it("guarantee 59: with outputFrom('review'), draft's yield is an output.intermediate event and only review's is in result().outputs", async () => {
    await using wf = await drafting().outputFrom('review').build({ pool });
    const { events, result } = await drain(wf.run('gather'));
    expect(result?.outputs).toEqual(['final: gather']);
    expect(ofType(events, 'output')).toEqual([
      { type: 'output', executorId: 'review', superstep: 2, data: 'final: gather' },
    ]);
    expect(ofType(events, 'output.intermediate')).toEqual([
      { type: 'output.intermediate', executorId: 'draft', superstep: 1, data: 'draft: gather' },
    ]);
  });

  it('guarantee 59: without outputFrom every executor yields workflow outputs, and no intermediate event is streamed', async () => {
    await using wf = await drafting().build({ pool });
    const { events, result } = await drain(wf.run('gather'));
    expect(result?.outputs).toEqual(['draft: gather', 'final: gather']);
    expect(ofType(events, 'output.intermediate')).toEqual([]);
  });

  it('guarantee 59: outputFrom naming several executors keeps the outputs of each; a later call replaces the list', async () => {
    await using both = await drafting().outputFrom('review', 'draft').build({ pool });
    expect((await both.run('x').result()).outputs).toEqual(['draft: x', 'final: x']);
    await using replaced = await drafting().outputFrom('review').outputFrom('draft').build({ pool });
    expect((await replaced.run('x').result()).outputs).toEqual(['draft: x']);
  });

  it("guarantee 59: a sub-workflow's intermediate yields do not flow on as the node's messages; its designated outputs do", async () => {
    await using wf = await new WorkflowBuilder(out.executor('draft', { id: 'start' }))
      .addEdge('start', subWorkflow('child', drafting().outputFrom('review')))
      .addEdge('child', out.executor('relay'))
      .outputFrom('relay')
      .build({ pool });
    const { events, result } = await drain(wf.run('doc'));
    expect(result?.outputs).toEqual([{ relayed: 'final: doc' }]);
    expect(ofType(events, 'output.intermediate')).toEqual([
      { type: 'output.intermediate', executorId: 'start', superstep: 1, data: 'draft: doc' },
    ]);
    const childIntermediate = ofType(events, 'subworkflow').filter((e) => e.event.type === 'output.intermediate');
    expect(childIntermediate.map((e) => e.event)).toEqual([expect.objectContaining({ executorId: 'draft' })]);
  });

  it('guarantee 59: outputFrom naming an executor the graph does not have is refused with GRAPH_UNKNOWN_EXECUTOR', () => {
    const error = thrownBy(() => drafting().outputFrom('publish').toGraph());
    expect(error).toMatchObject({ code: 'GRAPH_UNKNOWN_EXECUTOR', details: { executorId: 'publish' } });
  });
});
