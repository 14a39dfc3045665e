/**
 * `@superstep/executors` through real workflows on real worker threads: every factory, wired the way the
 * docs show, with the runtime's barriers, state commits, rollbacks and routing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool } from '@superstep/runtime';
import { UNROUTED_EVENT, type Joined } from '@superstep/executors';
import { custom, drain, ofType, rejectionOf } from './helpers.ts';
import type { Delayed, Ticket } from './fixtures/library.ts';

const lib = executorModule<typeof import('./fixtures/library.ts')>(new URL('./fixtures/library.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('map, flatMap, reduce', () => {
  it('map is stateless: its messages are spread over both threads; reduce folds them on one actor', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('square'))
      .addEdge('square', lib.executor('total'))
      .build({ pool });
    const { events, result } = await drain(wf.run(range(10)));
    expect(result?.outputs.at(-1)).toBe(385);
    expect(result?.outputs).toHaveLength(10);
    expect(new Set(custom(events, 'thread').map((e) => e.data)).size).toBe(2);
    expect(result?.supersteps).toBe(3);
  });

  it('reduce keeps its accumulator across runs, and a failed superstep discards its in-place changes', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addFanOut('items', [lib.executor('total'), lib.executor('failOn13')])
      .build({ pool });
    expect((await wf.run([1, 2]).result()).outputs).toEqual([1, 3]);
    const failed = await drain(wf.run([5, 13]));
    expect(failed.error).toMatchObject({ code: 'EXECUTOR_FAILED' });
    expect(ofType(failed.events, 'executor.failed')[0]?.executorId).toBe('failOn13');
    // 5 was folded in place in the failed superstep; the committed total (3) was never touched.
    expect((await wf.run([10]).result()).outputs).toEqual([13]);
  });

  it('reduce with emitAt emits tumbling windows, even when they span supersteps', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('triples'))
      .build({ pool });
    expect((await wf.run(range(4)).result()).outputs).toEqual([[1, 2, 3]]);
    expect((await wf.run([5, 6, 7]).result()).outputs).toEqual([[4, 5, 6]]);
  });
});

describe('filter, dedupe, collect', () => {
  it('filter passes the accepted messages; collect yields each one', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('evens'))
      .addEdge('evens', lib.executor('results'))
      .build({ pool });
    expect(((await wf.run(range(6)).result()).outputs as number[]).sort()).toEqual([2, 4, 6]);
  });

  it('dedupe drops repeats by key, across supersteps and runs', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('unique'))
      .addEdge('unique', lib.executor('results'))
      .build({ pool });
    const first = await wf.run([{ id: 1 }, { id: 2, note: 'x' }, { id: 1, note: 'again' }]).result();
    expect(first.outputs).toEqual([{ id: 1 }, { id: 2, note: 'x' }]);
    const second = await wf.run([{ id: 2 }, { id: 3 }]).result();
    expect(second.outputs).toEqual([{ id: 3 }]);
    await wf.reset();
    expect((await wf.run([{ id: 1 }]).result()).outputs).toEqual([{ id: 1 }]);
  });
});

describe('batch', () => {
  it('groups messages by size; the producer flushes the remainder with FLUSH after its last item', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('itemsThenFlush'))
      .addEdge('itemsThenFlush', lib.executor('rows'))
      .addEdge('rows', lib.executor('results'))
      .build({ pool });
    expect((await wf.run(range(7)).result()).outputs).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('collect({ flatten }) yields the items of each batch', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('itemsThenFlush'))
      .addEdge('itemsThenFlush', lib.executor('rows'))
      .addEdge('rows', lib.executor('flatResults'))
      .build({ pool });
    expect((await wf.run(range(4)).result()).outputs).toEqual([1, 2, 3, 4]);
  });
});

describe('router', () => {
  const tickets: Ticket[] = [
    { id: 1, priority: 'high' },
    { id: 2, priority: 'low' },
    { id: 3, priority: 'meh' },
  ];

  it('sends each message to its route (or the default) along one fan-out edge', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('byPriority'))
      .addFanOut('byPriority', [
        lib.executor('results', { id: 'pager' }),
        lib.executor('results', { id: 'backlog' }),
        lib.executor('results', { id: 'triage' }),
      ])
      .build({ pool });
    const { events } = await drain(wf.run(tickets));
    const where = Object.fromEntries(ofType(events, 'output').map((e) => [(e.data as Ticket).id, e.executorId]));
    expect(where).toEqual({ 1: 'pager', 2: 'backlog', 3: 'triage' });
  });

  it('without a default, an unrouted message is reported by a custom event', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('strictRouter'))
      .addFanOut('strictRouter', [lib.executor('results', { id: 'pager' }), lib.executor('results', { id: 'backlog' })])
      .build({ pool });
    const { events, result } = await drain(wf.run(tickets));
    expect(result?.outputs).toHaveLength(2);
    expect(custom(events, UNROUTED_EVENT).map((e) => e.data)).toEqual([{ key: 'meh' }]);
  });

  it("a route to a target no edge reaches gets the runtime's MESSAGE_UNROUTED warning", async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addEdge('items', lib.executor('byPriority'))
      .addFanOut('byPriority', [lib.executor('results', { id: 'pager' }), lib.executor('results', { id: 'backlog' })])
      .build({ pool });
    const { events } = await drain(wf.run(tickets));
    expect(ofType(events, 'warning').map((w) => [w.code, w.details.target])).toEqual([['MESSAGE_UNROUTED', 'triage']]);
  });
});

describe('join and fanInRecord', () => {
  function joinGraph() {
    return new WorkflowBuilder(lib.executor('items'))
      .addFanOut('items', [lib.executor('delayed', { id: 'fast' }), lib.executor('delayed', { id: 'slow' })], {
        select: (item) => [(item as Delayed).source],
      })
      .addEdge('fast', 'fast')
      .addEdge('slow', 'slow')
      .addEdge('fast', lib.executor('quotes'))
      .addEdge('slow', 'quotes')
      .addEdge('quotes', lib.executor('results'))
      .build({ pool });
  }

  it('groups by sender and emits once both have contributed, across supersteps', async () => {
    await using wf = await joinGraph();
    const input: Delayed[] = [
      { source: 'fast', value: 'f1', wait: 0 },
      { source: 'slow', value: 's1', wait: 2 }, // reaches the join in superstep 5 = 3 + 2: in time
    ];
    const { result } = await drain(wf.run(input));
    expect(result?.outputs).toEqual([{ values: { fast: 'f1', slow: 's1' }, partial: false, missing: [], since: 3 }]);
  });

  it('emits a partial round when a message arrives past the superstep timeout', async () => {
    await using wf = await joinGraph();
    const input: Delayed[] = [
      { source: 'fast', value: 'f1', wait: 0 }, // join, superstep 3: the round starts
      { source: 'slow', value: 's1', wait: 3 }, // join, superstep 6 > 3 + 2: too late for round 1
      { source: 'fast', value: 'f2', wait: 3 },
    ];
    const outputs = (await wf.run(input).result()).outputs as Joined<string>[];
    expect(outputs[0]).toEqual({ values: { fast: 'f1' }, partial: true, missing: ['slow'], since: 3 });
    expect(outputs[1]).toEqual({ values: { fast: 'f2', slow: 's1' }, partial: false, missing: [], since: 6 });
    expect(outputs).toHaveLength(2);
  });

  it('fanInRecord keys a builder fan-in list by source', async () => {
    await using wf = await new WorkflowBuilder(lib.executor('items'))
      .addFanOut('items', [lib.executor('double'), lib.executor('negate')])
      .addFanIn(['double', 'negate'], lib.executor('pair'))
      .addEdge('pair', lib.executor('results'))
      .build({ pool });
    expect((await wf.run([21]).result()).outputs).toEqual([{ double: 42, negate: -21 }]);
  });
});

describe('options', () => {
  it('a factory option refused at import fails build() with EXECUTOR_LOAD_FAILED naming the module', async () => {
    const bad = executorModule<typeof import('./fixtures/library-bad-option.ts')>(
      new URL('./fixtures/library-bad-option.ts', import.meta.url),
    );
    const error = await rejectionOf(new WorkflowBuilder(bad.executor('rows')).build({ pool }));
    expect(error.code).toBe('EXECUTOR_LOAD_FAILED');
    expect(error.details?.module).toBe(bad.module);
  });
});
