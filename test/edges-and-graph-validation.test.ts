/**
 * Guarantees 9–13 (docs/guarantees.md#graph): the graph — edge kinds, targeted messages, build-time validation, unhandled messages
 * and executors that workers cannot load. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkflowBuilder,
  createPool,
  executor,
  executorModule,
  type ActorPool,
  type WorkflowEvent,
} from '@superstep/runtime';
import { drain, ofType, rejectionOf, statuses, thrownBy } from './helpers.ts';
import type { Stamp } from './fixtures/graph.ts';

const graph = executorModule<typeof import('./fixtures/graph.ts')>(new URL('./fixtures/graph.ts', import.meta.url));
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

/** What each `tag` executor received, from the run's outputs: id → messages in arrival order. */
function received(outputs: readonly unknown[] | undefined): Record<string, unknown[]> {
  const byId: Record<string, unknown[]> = {};
  for (const output of outputs ?? []) {
    const [id, message] = output as [string, unknown];
    (byId[id] ??= []).push(message);
  }
  return byId;
}

function warnings(events: readonly WorkflowEvent[], code: string): Readonly<Record<string, unknown>>[] {
  return ofType(events, 'warning')
    .filter((w) => w.code === code)
    .map((w) => w.details);
}

describe('graph', () => {
  let pool: ActorPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  describe('guarantee 9: edges', () => {
    it('guarantee 9: a direct edge with a condition passes only the messages it accepts', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag', { id: 'even' }), { condition: (n) => (n as number) % 2 === 0 })
        .addEdge('each', graph.executor('tag', { id: 'odd' }), { condition: (n) => (n as number) % 2 === 1 })
        .addEdge('each', graph.executor('tag', { id: 'all' }))
        .build({ pool });
      const { events, result } = await drain(wf.run([1, 2, 3, 4]));
      expect(received(result?.outputs)).toEqual({ even: [2, 4], odd: [1, 3], all: [1, 2, 3, 4] });
      expect(ofType(events, 'warning')).toEqual([]);
    });

    it('guarantee 9: a throwing edge condition counts as false and is reported as PREDICATE_FAILED', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag', { id: 'picky' }), {
          condition: (n) => {
            if (n === 3) throw new Error('three is not allowed');
            return true;
          },
        })
        .build({ pool });
      const { events, result } = await drain(wf.run([1, 2, 3, 4]));
      expect(received(result?.outputs)).toEqual({ picky: [1, 2, 4] });
      expect(warnings(events, 'PREDICATE_FAILED')).toEqual([
        expect.objectContaining({ source: 'each', target: 'picky' }),
      ]);
      expect(result?.status).toBe('idle');
    });

    it('guarantee 9: a fan-out sends each message to all its targets', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut(
          'each',
          ['x', 'y', 'z'].map((id) => graph.executor('tag', { id })),
        )
        .build({ pool });
      const { result } = await drain(wf.run([1, 2, 3]));
      expect(received(result?.outputs)).toEqual({ x: [1, 2, 3], y: [1, 2, 3], z: [1, 2, 3] });
    });

    it('guarantee 9: a fan-out with a selector sends each message to the selected targets only', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut(
          'each',
          ['x', 'y', 'z'].map((id) => graph.executor('tag', { id })),
          { select: (n, targets) => targets.slice(0, n as number) },
        )
        .build({ pool });
      const { events, result } = await drain(wf.run([1, 2, 3]));
      expect(received(result?.outputs)).toEqual({ x: [1, 2, 3], y: [2, 3], z: [3] });
      expect(ofType(events, 'warning')).toEqual([]);
    });

    it('guarantee 9: a fan-out selector that picks a non-target or throws is reported as PREDICATE_FAILED; only valid picks receive', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut(
          'each',
          ['x', 'y'].map((id) => graph.executor('tag', { id })),
          {
            select: (n) => {
              if (n === 3) throw new Error('cannot choose');
              return n === 2 ? ['y', 'nope'] : ['x'];
            },
          },
        )
        .build({ pool });
      const { events, result } = await drain(wf.run([1, 2, 3]));
      expect(received(result?.outputs)).toEqual({ x: [1], y: [2] });
      const failed = warnings(events, 'PREDICATE_FAILED');
      expect(failed).toHaveLength(2);
      for (const details of failed) expect(details.source).toBe('each');
      expect(result?.status).toBe('idle');
    });

    it('guarantee 9: a switch delivers to the first true case, else to the default; a throwing case counts as false and is reported', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addSwitch(
          'each',
          [
            {
              when: (n) => {
                if (n === 13) throw new Error('unlucky');
                return (n as number) > 10;
              },
              to: graph.executor('tag', { id: 'big' }),
            },
            { when: (n) => (n as number) > 5, to: graph.executor('tag', { id: 'mid' }) },
          ],
          graph.executor('tag', { id: 'small' }),
        )
        .build({ pool });
      // 12 matches both cases: the first wins. 13 makes the first case throw: it falls to the second.
      const { events, result } = await drain(wf.run([1, 7, 12, 13]));
      expect(received(result?.outputs)).toEqual({ small: [1], mid: [7, 13], big: [12] });
      expect(warnings(events, 'PREDICATE_FAILED')).toEqual([
        expect.objectContaining({ source: 'each', target: 'big' }),
      ]);
    });

    it('guarantees 9, 12: a switch without a default reports a message no case accepts instead of dropping it', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addSwitch('each', [{ when: (n) => (n as number) > 5, to: graph.executor('tag', { id: 'big' }) }])
        .build({ pool });
      const { events, result } = await drain(wf.run([1, 9]));
      expect(received(result?.outputs)).toEqual({ big: [9] });
      expect(warnings(events, 'MESSAGE_UNROUTED')).toEqual([
        expect.objectContaining({ source: 'each', kind: 'number' }),
      ]);
    });

    it('guarantee 9: a fan-in runs its target once, with one list of every source’s messages, when sources contribute in different supersteps', async () => {
      // fast contributes in superstep 2; slow1 → slow2 contributes in superstep 3; join runs in 4.
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut('each', [graph.executor('stamp', { id: 'fast' }), graph.executor('stamp', { id: 'slow1' })])
        .addEdge('slow1', graph.executor('stamp', { id: 'slow2' }))
        .addFanIn(['fast', 'slow2'], graph.executor('join'))
        .build({ pool });
      const { events, result } = await drain(wf.run(['p', 'q']));
      expect(result?.supersteps).toBe(4);
      expect(result?.outputs).toHaveLength(1);
      const { at, items } = result?.outputs[0] as { at: number; items: Stamp[] };
      expect(at).toBe(4);
      expect(items).toHaveLength(4);
      expect(items.filter((s) => s.by === 'fast')).toEqual([
        { by: 'fast', at: 2, value: 'p' },
        { by: 'fast', at: 2, value: 'q' },
      ]);
      expect(items.filter((s) => s.by === 'slow2')).toEqual([
        { by: 'slow2', at: 3, value: 'p' },
        { by: 'slow2', at: 3, value: 'q' },
      ]);
      expect(ofType(events, 'executor.invoked').filter((e) => e.executorId === 'join')).toEqual([
        { type: 'executor.invoked', executorId: 'join', superstep: 4, messages: 1 },
      ]);
    });

    it('guarantee 9: a fan-in’s target reads its sources as a list in ctx.sources (ids with "+" kept apart); ctx.source stays their joined label', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut('each', [graph.executor('stamp', { id: 'a+b' }), graph.executor('stamp', { id: 'c' })])
        .addFanIn(['a+b', 'c'], graph.executor('senders'))
        .build({ pool });
      const { result } = await drain(wf.run(['p']));
      expect(result?.outputs).toEqual([{ source: 'a+b+c', sources: ['a+b', 'c'], frozen: true }]);
    });

    it('guarantee 9: a message along a plain edge has ctx.sources [ctx.source]', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('stamp', { id: 'first' }))
        .addEdge('first', graph.executor('senders'))
        .build({ pool });
      const { result } = await drain(wf.run('p'));
      expect(result?.outputs).toEqual([{ source: 'first', sources: ['first'], frozen: true }]);
    });

    it('guarantee 9: a fan-in does not run its target while one of its sources has not contributed', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addFanOut('each', [graph.executor('stamp', { id: 'left' }), graph.executor('stamp', { id: 'right' })], {
          select: (_message, targets) => targets.slice(0, 1),
        })
        .addFanIn(['left', 'right'], graph.executor('join'))
        .build({ pool });
      const { events, result } = await drain(wf.run(['only-left']));
      expect(result?.status).toBe('idle');
      expect(result?.outputs).toEqual([]);
      expect(ofType(events, 'executor.invoked').some((e) => e.executorId === 'join')).toBe(false);
    });
  });

  describe('guarantee 10: targeted messages', () => {
    it('guarantee 10: a targeted message reaches only its target, and only along an edge; otherwise MESSAGE_UNROUTED', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('aim'))
        .addFanOut('aim', [graph.executor('tag', { id: 'p' }), graph.executor('tag', { id: 'q' })])
        // r exists and is reachable, but not by an edge from aim.
        .addEdge('q', graph.executor('tag', { id: 'r' }))
        .build({ pool });
      const { events, result } = await drain(
        wf.run([
          { value: 'all' },
          { value: 'only-q', to: 'q' },
          { value: 'to-r', to: 'r' },
          { value: 'to-ghost', to: 'ghost' },
        ]),
      );
      expect(received(result?.outputs)).toEqual({ p: ['all'], q: ['all', 'only-q'] });
      expect(warnings(events, 'MESSAGE_UNROUTED')).toEqual([
        { source: 'aim', target: 'r', kind: 'string' },
        { source: 'aim', target: 'ghost', kind: 'string' },
      ]);
      expect(result?.status).toBe('idle');
    });

    it('guarantee 10: a targeted message still obeys the condition of the edge that reaches its target', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('aim'))
        .addEdge('aim', graph.executor('tag', { id: 'p' }), { condition: (value) => value !== 'blocked' })
        .addEdge('aim', graph.executor('tag', { id: 'q' }))
        .build({ pool });
      const { events, result } = await drain(
        wf.run([
          { value: 'ok', to: 'p' },
          { value: 'blocked', to: 'p' },
        ]),
      );
      expect(received(result?.outputs)).toEqual({ p: ['ok'] });
      expect(warnings(events, 'MESSAGE_UNROUTED')).toEqual([{ source: 'aim', target: 'p', kind: 'string' }]);
    });
  });

  describe('guarantee 11: build-time validation', () => {
    it('guarantee 11: GRAPH_DUPLICATE_EXECUTOR — one id registered for two different executors', () => {
      const error = thrownBy(() =>
        new WorkflowBuilder(graph.executor('tag', { id: 'x' })).addEdge('x', graph.executor('stamp', { id: 'x' })),
      );
      expect(error.code).toBe('GRAPH_DUPLICATE_EXECUTOR');
      expect(error.details).toMatchObject({ executorId: 'x' });
      // Same id from another module, same export name: still a different executor.
      const other = thrownBy(() =>
        new WorkflowBuilder(graph.executor('tag')).addExecutor(
          executor('tag', { module: basic.module, export: 'tag' }),
        ),
      );
      expect(other.code).toBe('GRAPH_DUPLICATE_EXECUTOR');
    });

    it('guarantee 11: registering the same executor twice under one id is not a duplicate', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag'))
        .addExecutor(graph.executor('tag'))
        .build({ pool });
      expect((await wf.run([1]).result()).outputs).toEqual([['tag', 1]]);
    });

    it('guarantee 11: GRAPH_DUPLICATE_EDGE — the same edge twice', () => {
      const direct = thrownBy(() =>
        new WorkflowBuilder(graph.executor('each')).addEdge('each', graph.executor('tag')).addEdge('each', 'tag'),
      );
      expect(direct.code).toBe('GRAPH_DUPLICATE_EDGE');
      const fanOut = thrownBy(() =>
        new WorkflowBuilder(graph.executor('each'))
          .addFanOut('each', [graph.executor('tag', { id: 'a' }), graph.executor('tag', { id: 'b' })])
          .addFanOut('each', ['b', 'a']),
      );
      expect(fanOut.code).toBe('GRAPH_DUPLICATE_EDGE');
    });

    it('guarantee 11: GRAPH_MISSING_START — no start executor', async () => {
      const builder = new WorkflowBuilder().addEdge(graph.executor('each'), graph.executor('tag'));
      expect(thrownBy(() => builder.toGraph()).code).toBe('GRAPH_MISSING_START');
      expect((await rejectionOf(builder.build({ pool }))).code).toBe('GRAPH_MISSING_START');
    });

    it('guarantee 11: GRAPH_UNREACHABLE_EXECUTOR — an executor no edge path reaches from the start', async () => {
      const island = new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag'))
        .addExecutor(graph.executor('stamp'));
      const error = await rejectionOf(island.build({ pool }));
      expect(error.code).toBe('GRAPH_UNREACHABLE_EXECUTOR');
      expect(error.details).toMatchObject({ executorId: 'stamp' });
      // An executor with only outgoing edges is not reached either. (stamp sends a Stamp, each takes a list:
      // the compiler refuses the edge, but this graph is only validated, never run.)
      const upstream = new WorkflowBuilder(graph.executor('each'))
        // @ts-expect-error -- EdgeTypeMismatch<"stamp", Stamp, "each", readonly unknown[]>
        .addEdge(graph.executor('stamp'), 'each');
      expect((await rejectionOf(upstream.build({ pool }))).details).toMatchObject({ executorId: 'stamp' });
    });

    it('guarantee 11: GRAPH_UNKNOWN_EXECUTOR — an edge or the start names an id never registered', async () => {
      const edge = await rejectionOf(
        new WorkflowBuilder(graph.executor('each')).addEdge('each', 'ghost').build({ pool }),
      );
      expect(edge.code).toBe('GRAPH_UNKNOWN_EXECUTOR');
      expect(edge.details).toMatchObject({ executorId: 'ghost' });
      const fanIn = await rejectionOf(
        new WorkflowBuilder(graph.executor('each'))
          .addEdge('each', graph.executor('tag'))
          .addFanIn(['tag', 'ghost'], graph.executor('join'))
          .build({ pool }),
      );
      expect(fanIn.code).toBe('GRAPH_UNKNOWN_EXECUTOR');
      const start = await rejectionOf(new WorkflowBuilder().setStart('ghost').build({ pool }));
      expect(start.code).toBe('GRAPH_UNKNOWN_EXECUTOR');
    });

    it('guarantee 11: GRAPH_FAN_TOO_FEW — fan-out, fan-in or switch with fewer than 2 ends', () => {
      const builder = (): WorkflowBuilder => new WorkflowBuilder(graph.executor('each'));
      expect(thrownBy(() => builder().addFanOut('each', [graph.executor('tag')])).code).toBe('GRAPH_FAN_TOO_FEW');
      expect(thrownBy(() => builder().addFanOut('each', [])).code).toBe('GRAPH_FAN_TOO_FEW');
      expect(thrownBy(() => builder().addFanIn(['each'], graph.executor('join'))).code).toBe('GRAPH_FAN_TOO_FEW');
      expect(thrownBy(() => builder().addSwitch('each', [])).code).toBe('GRAPH_FAN_TOO_FEW');
    });

    it('guarantee 11: a graph that fails validation starts nothing, and the pool stays usable', async () => {
      await rejectionOf(new WorkflowBuilder(graph.executor('each')).addEdge('each', 'ghost').build({ pool }));
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag'))
        .build({ pool });
      expect((await wf.run(['ok']).result()).outputs).toEqual([['tag', 'ok']]);
    });
  });

  describe('guarantee 12: unhandled messages', () => {
    it('guarantee 12: a message no handler accepts becomes a MESSAGE_UNHANDLED warning naming source, target and kind', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('typed'))
        .build({ pool });
      const { events, result } = await drain(wf.run([{ type: 'a', n: 1 }, { type: 'b' }, 5, { type: 'a', n: 2 }]));
      expect(result?.outputs).toEqual([1, 2]);
      expect(warnings(events, 'MESSAGE_UNHANDLED')).toEqual([
        { source: 'each', target: 'typed', kind: 'b' },
        { source: 'each', target: 'typed', kind: 'number' },
      ]);
      const warning = ofType(events, 'warning')[0];
      expect(warning?.superstep).toBe(2);
      // Not a failure: the executor completes and the run ends idle.
      expect(ofType(events, 'executor.completed').map((e) => e.executorId)).toContain('typed');
      expect(statuses(events)).toEqual(['running', 'idle']);
    });
    it('guarantees 2, 12: an input the start executor cannot handle is reported with source $input', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('typed')).build({ pool });
      const { events, result } = await drain(wf.run({ type: 'b' }));
      expect(warnings(events, 'MESSAGE_UNHANDLED')).toEqual([{ source: '$input', target: 'typed', kind: 'b' }]);
      expect(result?.status).toBe('idle');
    });
  });

  describe('guarantee 13: executors workers cannot load', () => {
    const cases = [
      {
        name: 'a module that does not exist',
        module: new URL('./fixtures/no-such-module.ts', import.meta.url).href,
        exportName: 'tag',
      },
      {
        name: 'a module that throws on import',
        module: new URL('./fixtures/throws-on-import.ts', import.meta.url).href,
        exportName: 'tag',
      },
      { name: 'a missing export', module: graph.module, exportName: 'noSuchExport' },
      { name: 'an export not made by defineExecutor', module: basic.module, exportName: 'notAnExecutor' },
    ];
    for (const { name, module, exportName } of cases) {
      it(`guarantee 13: ${name} fails build() with EXECUTOR_LOAD_FAILED naming module and export`, async () => {
        const broken = executor('broken', { module, export: exportName });
        const error = await rejectionOf(
          new WorkflowBuilder(graph.executor('each')).addEdge('each', broken).build({ pool }),
        );
        expect(error.code).toBe('EXECUTOR_LOAD_FAILED');
        expect(error.details).toMatchObject({ module, exportName, executorId: 'broken' });
      });
    }

    it('guarantee 13: after a failed load the shared pool still builds and runs workflows', async () => {
      await rejectionOf(
        new WorkflowBuilder(executor('broken', { module: graph.module, export: 'noSuchExport' })).build({ pool }),
      );
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', graph.executor('tag'))
        .build({ pool });
      expect((await wf.run([1]).result()).outputs).toEqual([['tag', 1]]);
    });

    it('guarantee 13: a malformed executor reference is refused with INVALID_EXECUTOR_REF', () => {
      expect(thrownBy(() => executor('', { module: graph.module, export: 'tag' })).code).toBe('INVALID_EXECUTOR_REF');
      expect(thrownBy(() => executor('$input', { module: graph.module, export: 'tag' })).code).toBe(
        'INVALID_EXECUTOR_REF',
      );
      expect(thrownBy(() => executor('x', { module: graph.module, export: '' })).code).toBe('INVALID_EXECUTOR_REF');
      expect(thrownBy(() => executor('x', { module: '', export: 'tag' })).code).toBe('INVALID_EXECUTOR_REF');
    });
  });
});
