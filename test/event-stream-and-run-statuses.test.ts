/**
 * Guarantees 14–16 (docs/guarantees.md#events): the event union, live streaming, forged events, run statuses and the single terminal
 * status. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FRAMEWORK_EVENT_TYPES,
  SuperstepError,
  TERMINAL_STATUSES,
  WorkflowBuilder,
  createPool,
  executorModule,
  type ActorPool,
  type RunHandle,
  type RunStatus,
  type Workflow,
  type WorkflowEvent,
} from '@superstep/runtime';
import { createGate, custom, drain, indexOf, ofType, statuses, thrownBy, type Drained } from './helpers.ts';

const ev = executorModule<typeof import('./fixtures/events.ts')>(new URL('./fixtures/events.ts', import.meta.url));
const graph = executorModule<typeof import('./fixtures/graph.ts')>(new URL('./fixtures/graph.ts', import.meta.url));
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

/**
 * One line per event. The switch is exhaustive over the union (`never` below): adding an event type
 * without handling it here fails the type check (guarantee 14: a discriminated union on `type`).
 */
function describeEvent(event: WorkflowEvent): string {
  switch (event.type) {
    case 'run.started':
      return `run.started ${event.runId}`;
    case 'status':
      return `status ${event.status}`;
    case 'superstep.started':
    case 'superstep.completed':
      return `${event.type} ${event.superstep}`;
    case 'executor.invoked':
      return `invoked ${event.executorId}@${event.superstep} ×${event.messages}`;
    case 'executor.completed':
      return `completed ${event.executorId}@${event.superstep}`;
    case 'executor.failed':
      return `failed ${event.executorId}@${event.superstep} ${event.error.code}`;
    case 'output':
    case 'output.intermediate':
      return `${event.type} ${event.executorId}@${event.superstep}`;
    case 'request':
      return `request ${event.requestId} ${event.executorId}@${event.superstep}`;
    case 'warning':
      return `warning ${event.code}@${event.superstep}`;
    case 'run.failed':
      return `run.failed ${event.error.code}`;
    case 'custom':
      return `custom ${event.name} ${event.executorId}@${event.superstep}`;
    case 'checkpoint.saved':
      return `checkpoint.saved ${event.checkpointId}@${event.superstep}`;
    case 'worker.restarted':
      return `worker.restarted host ${event.hostIndex}@${event.superstep}`;
    case 'subworkflow':
      return `subworkflow ${event.path.join('/')}: ${describeEvent(event.event)}`;
    default: {
      const unhandled: never = event;
      return String(unhandled);
    }
  }
}

/** The statuses of a run's final `status` events (guarantee 16: exactly one, and it is the last event). */
function finalStatuses(events: readonly WorkflowEvent[]): RunStatus[] {
  return ofType(events, 'status')
    .filter((event) => event.final)
    .map((event) => event.status);
}

/** Iterates a run, calling `onEvent` as each event arrives (before the next one is read). */
async function drainWith<Output>(
  run: RunHandle<Output>,
  onEvent: (event: WorkflowEvent) => void | Promise<void>,
): Promise<Drained<Output>> {
  const events: WorkflowEvent[] = [];
  for await (const event of run) {
    events.push(event);
    await onEvent(event);
  }
  try {
    return { events, result: await run.result(), error: undefined };
  } catch (error) {
    return { events, result: undefined, error };
  }
}

describe('events and run states', () => {
  let pool: ActorPool;
  /** Streams what a handler emitted as soon as that handler returns (`eventFlushMs: 0`). */
  let livePool: ActorPool;
  beforeAll(async () => {
    [pool, livePool] = await Promise.all([createPool({ threads: 2 }), createPool({ threads: 2, eventFlushMs: 0 })]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), livePool.close()]);
  });

  describe('guarantee 14: the event union', () => {
    it('guarantee 14: every event is a member of the discriminated union, with the fields of its type', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', ev.executor('chatty'))
        .addEdge('each', graph.executor('typed'))
        .build({ pool });
      const { events, result } = await drain(wf.run([{ type: 'b' }]));
      expect(result?.status).toBe('idle');
      for (const event of events) expect(FRAMEWORK_EVENT_TYPES.has(event.type), event.type).toBe(true);
      const lines = events.map(describeEvent);
      expect(lines).toEqual(
        expect.arrayContaining([
          'status running',
          'superstep.started 1',
          'invoked each@1 ×1',
          'completed each@1',
          'superstep.completed 1',
          'custom progress chatty@2',
          'custom note chatty@2',
          'custom my.status chatty@2',
          'warning MESSAGE_UNHANDLED@2',
          'output chatty@2',
          'superstep.completed 2',
          'status idle',
        ]),
      );
      expect(custom(events, 'progress')).toEqual([
        { type: 'custom', executorId: 'chatty', superstep: 2, name: 'progress', data: { pct: 50 } },
      ]);
      expect(custom(events, 'my.status')[0]?.data).toEqual({ type: 'b' });
      expect(ofType(events, 'output')).toEqual([
        { type: 'output', executorId: 'chatty', superstep: 2, data: { type: 'b' } },
      ]);
    });

    it('guarantee 14: failure events carry error records', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('explode')).build({ pool });
      const { events } = await drain(wf.run('x'));
      expect(events.map(describeEvent).slice(-3)).toEqual([
        'failed explode@1 EXECUTOR_FAILED',
        'run.failed EXECUTOR_FAILED',
        'status failed',
      ]);
    });

    it('guarantee 14: events are streamed while a superstep is still running (the test must see `ready` to let the superstep finish)', async () => {
      // livePool (eventFlushMs 0): the host streams what a handler emitted as soon as that handler returns.
      await using gate = await createGate();
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', ev.executor('announceThenWait'))
        .build({ pool: livePool });
      const { events, result } = await drainWith(
        wf.run([{ step: 'announce' }, { step: 'wait', port: gate.port }]),
        (event) => {
          if (event.type === 'custom' && event.name === 'ready') gate.open('go');
        },
      );
      // `go`, not `timeout`: the gate was opened by the streamed event while the handler waited at it.
      expect(result?.outputs).toEqual(['go']);
      const ready = indexOf(events, (e) => e.type === 'custom' && e.name === 'ready');
      expect(ready).toBeLessThan(
        indexOf(events, (e) => e.type === 'executor.completed' && e.executorId === 'announceThenWait'),
      );
      expect(ready).toBeLessThan(indexOf(events, (e) => e.type === 'superstep.completed' && e.superstep === 2));
    });

    it('guarantee 14: an event emitted by a handler is streamed while that same handler is still awaiting (default flush interval)', async () => {
      // ctx.emit is documented as "streamed at once"; a handler that emits progress and then awaits
      // slow I/O must not hold its events back until it returns.
      await using gate = await createGate();
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addEdge('start', ev.executor('emitThenWait'))
        .build({ pool });
      const { events, result } = await drainWith(wf.run({ port: gate.port }), (event) => {
        if (event.type === 'custom' && event.name === 'ready') gate.open('go');
      });
      expect(result?.outputs).toEqual(['go']);
      expect(custom(events, 'ready')).toHaveLength(1);
    });

    it("a handler's events stream while it waits even though the previous superstep's flush timer was still pending", async () => {
      // Superstep 1 emits and returns at once, leaving the host's flush timer pending (eventFlushMs is long);
      // superstep 2 starts before it fires, emits and waits. That timer must flush superstep 2's event too.
      await using slowFlush = await createPool({ threads: 1, eventFlushMs: 500 });
      await using gate = await createGate();
      await using wf = await new WorkflowBuilder(ev.executor('emitThenForward'))
        .addEdge('emitThenForward', ev.executor('emitThenWait'))
        .build({ pool: slowFlush });
      const { events, result } = await drainWith(wf.run({ port: gate.port }), (event) => {
        if (event.type === 'custom' && event.name === 'ready') gate.open('go');
      });
      expect(result?.outputs).toEqual(['go']);
      expect(custom(events, 'ready')).toHaveLength(1);
    });

    it('guarantee 14: executors cannot forge any framework event type: EVENT_NAME_RESERVED', async () => {
      const reserved = [...FRAMEWORK_EVENT_TYPES];
      expect(reserved).toEqual(
        expect.arrayContaining(['output', 'status', 'request', 'warning', 'run.failed', 'custom', 'checkpoint.saved']),
      );
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addEdge('start', ev.executor('forger'))
        .build({ pool });
      for (const name of reserved) {
        const { events, error } = await drain(wf.run(name));
        expect(error, name).toBeInstanceOf(SuperstepError);
        expect(error, name).toMatchObject({ code: 'EVENT_NAME_RESERVED', details: { executorId: 'forger', name } });
        expect(ofType(events, 'executor.failed').map((e) => e.error.code)).toEqual(['EVENT_NAME_RESERVED']);
        // Nothing forged reached the stream.
        expect(ofType(events, 'output')).toEqual([]);
        expect(ofType(events, 'custom')).toEqual([]);
        expect(statuses(events)).toEqual(['running', 'failed']);
      }
      // Names that only resemble framework types are fine.
      const { events, result } = await drain(wf.run('my.output'));
      expect(result?.status).toBe('idle');
      expect(custom(events, 'my.output')).toEqual([
        { type: 'custom', executorId: 'forger', superstep: 2, name: 'my.output', data: { forged: true } },
      ]);
    });

    const places = ['message', 'output', 'state', 'event', 'shared-state'] as const;
    it(`guarantees 14, 41: a function in a ${places.join(' / ')} fails the run with SERIALIZATION_FAILED naming executor and path`, async () => {
      await using wf = await new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
        .addEdge('start', ev.executor('unserialisable'))
        .addEdge('unserialisable', basic.executor('sink'))
        .build({ pool });
      for (const where of places) {
        const { events, error } = await drain(wf.run(where));
        expect(error, where).toMatchObject({
          code: 'SERIALIZATION_FAILED',
          details: { executorId: 'unserialisable', direction: where, path: '$.fn' },
        });
        expect(ofType(events, 'executor.failed').map((e) => [e.executorId, e.error.code])).toEqual([
          ['unserialisable', 'SERIALIZATION_FAILED'],
        ]);
        expect(statuses(events)).toEqual(['running', 'failed']);
      }
    });

    it('guarantee 41: a non-serialisable run input is refused at run() and leaves the instance free', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
      const error = thrownBy(() => wf.run({ callback: () => 1 }));
      expect(error).toMatchObject({
        code: 'SERIALIZATION_FAILED',
        details: { direction: 'input', path: '$.callback' },
      });
      expect(wf.status).toBe('idle');
      expect((await wf.run('fine').result()).outputs).toEqual(['fine']);
    });
  });

  describe('guarantees 15–16: statuses', () => {
    /**
     * each → numbers to a countdown loop, items to the asker. The asker's two requests become pending at
     * the barrier of superstep 2 while the countdown still has supersteps to go.
     */
    function buildAsking(): Promise<Workflow> {
      return new WorkflowBuilder(graph.executor('each'))
        .addSwitch(
          'each',
          [{ when: (m) => typeof m === 'number', to: basic.executor('countdown') }],
          ev.executor('asker'),
        )
        .addEdge('countdown', 'countdown')
        .build({ pool });
    }

    it('guarantee 15: a run is `running` while it streams and ends `idle`', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool });
      const run = wf.run(2);
      const seen: RunStatus[] = [];
      const { events, result } = await drainWith(run, (event) => {
        if (event.type === 'superstep.started') seen.push(run.status);
      });
      expect(seen).toEqual(['running', 'running', 'running']);
      expect(statuses(events)).toEqual(['running', 'idle']);
      expect(run.status).toBe('idle');
      expect(result?.status).toBe('idle');
    });

    it('guarantee 15: a failing run ends `failed`', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('explode')).build({ pool });
      const run = wf.run('x');
      const { events } = await drain(run);
      expect(statuses(events)).toEqual(['running', 'failed']);
      expect(run.status).toBe('failed');
    });

    it('guarantees 15, 16: aborting the run signal while a cooperative handler runs ends `cancelled`, and the instance is reusable', async () => {
      // livePool streams `waiting` as soon as the first handler returns, while the second one waits.
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', ev.executor('cooperative'))
        .build({ pool: livePool });
      const controller = new AbortController();
      const run = wf.run([{ step: 'announce' }, { step: 'wait' }], { signal: controller.signal });
      const { events, error } = await drainWith(run, (event) => {
        if (event.type === 'custom' && event.name === 'waiting') controller.abort('test aborts');
      });
      expect(error).toBeInstanceOf(SuperstepError);
      expect(error).toMatchObject({ code: 'RUN_CANCELLED' });
      expect(statuses(events)).toEqual(['running', 'cancelled']);
      expect(finalStatuses(events)).toEqual(['cancelled']);
      expect(events.at(-1)).toMatchObject({ type: 'status', status: 'cancelled' });
      expect(run.status).toBe('cancelled');
      // The cancelled superstep commits nothing and never completes.
      expect(ofType(events, 'output')).toEqual([]);
      expect(ofType(events, 'superstep.completed').map((e) => e.superstep)).toEqual([1]);
      expect(wf.status).toBe('idle');
      const again = await drain(wf.run([{ step: 'announce' }]));
      expect(again.result?.status).toBe('idle');
    });

    it('guarantees 15, 16: handle.cancel() while a cooperative handler runs ends `cancelled`', async () => {
      await using wf = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', ev.executor('cooperative'))
        .build({ pool: livePool });
      const run = wf.run([{ step: 'announce' }, { step: 'wait' }]);
      let cancelled: Promise<void> | undefined;
      const { events, error } = await drainWith(run, (event) => {
        if (event.type === 'custom' && event.name === 'waiting') cancelled = run.cancel('test cancels');
      });
      await cancelled;
      expect(error).toMatchObject({ code: 'RUN_CANCELLED' });
      expect(statuses(events)).toEqual(['running', 'cancelled']);
      expect(run.status).toBe('cancelled');
      expect(ofType(events, 'output')).toEqual([]);
    });

    it('guarantees 15, 16: a signal aborted before the run starts ends `cancelled` without running a superstep', async () => {
      await using wf = await new WorkflowBuilder(basic.executor('sink')).build({ pool });
      const { events, error } = await drain(wf.run('x', { signal: AbortSignal.abort('too late') }));
      expect(error).toMatchObject({ code: 'RUN_CANCELLED' });
      expect(statuses(events)).toEqual(['running', 'cancelled']);
      expect(ofType(events, 'superstep.started')).toEqual([]);
      expect((await wf.run('y').result()).outputs).toEqual(['y']);
    });

    it('guarantees 6, 15: pending requests give running-with-pending-requests, then waiting-for-answers while waiting, recomputed after each answer', async () => {
      await using wf = await buildAsking();
      const run = wf.run([{ item: 'a' }, { item: 'b' }, 2]);
      const answered: string[] = [];
      const { events, result } = await drainWith(run, async (event) => {
        // Answer one request each time the run says it is idle and waiting.
        if (event.type === 'status' && event.status === 'waiting-for-answers') {
          const next = ['req-a', 'req-b'].find((id) => !answered.includes(id));
          if (next !== undefined) {
            answered.push(next);
            await run.respond(next, `yes to ${next}`);
          }
        }
      });
      expect(ofType(events, 'request').map((e) => [e.requestId, e.executorId, e.superstep])).toEqual([
        ['req-a', 'asker', 2],
        ['req-b', 'asker', 2],
      ]);
      expect(statuses(events)).toEqual([
        'running',
        'running-with-pending-requests', // the countdown still runs while two requests are pending
        'waiting-for-answers', // nothing queued: waiting, not running (guarantee 6)
        'running-with-pending-requests', // req-a answered; req-b still pending
        'waiting-for-answers', // one of two answered: still waiting
        'running', // req-b answered: nothing pending any more
        'idle',
      ]);
      expect(finalStatuses(events)).toEqual(['idle']);
      // A status name is transient or terminal, never both: `final` is true exactly for the terminal ones.
      for (const event of ofType(events, 'status')) expect(event.final).toBe(TERMINAL_STATUSES.has(event.status));
      expect(result?.status).toBe('idle');
      expect(result?.outputs).toEqual([
        'done',
        { item: 'a', answer: 'yes to req-a', superstep: 5 },
        { item: 'b', answer: 'yes to req-b', superstep: 6 },
      ]);
      expect(result?.pendingRequests).toEqual([]);
    });

    it('guarantees 6, 15, 16: with onPendingRequests "end" the run ends idle-with-pending-requests; answering one of two still ends so', async () => {
      await using wf = await buildAsking();
      const first = await drain(wf.run([{ item: 'a' }, { item: 'b' }], { onPendingRequests: 'end' }));
      expect(first.result?.status).toBe('idle-with-pending-requests');
      expect(first.result?.pendingRequests.map((r) => r.requestId)).toEqual(['req-a', 'req-b']);
      expect(finalStatuses(first.events)).toEqual(['idle-with-pending-requests']);
      for (const event of ofType(first.events, 'status')) {
        expect(event.final).toBe(TERMINAL_STATUSES.has(event.status));
      }

      // The final status comes from the pending set itself: one answer of two leaves one pending.
      const second = await drain(wf.resume({ responses: { 'req-a': 'yes' }, onPendingRequests: 'end' }));
      expect(second.result?.outputs).toEqual([{ item: 'a', answer: 'yes', superstep: 3 }]);
      expect(second.result?.status).toBe('idle-with-pending-requests');
      expect(second.result?.pendingRequests.map((r) => r.requestId)).toEqual(['req-b']);
      expect(finalStatuses(second.events)).toEqual(['idle-with-pending-requests']);

      const third = await drain(wf.resume({ responses: { 'req-b': 'no' }, onPendingRequests: 'end' }));
      expect(third.result?.status).toBe('idle');
      expect(third.result?.pendingRequests).toEqual([]);
      expect(finalStatuses(third.events)).toEqual(['idle']);
    });

    it('guarantee 16: every way a run ends emits exactly one terminal status, as its last event', async () => {
      await using ok = await new WorkflowBuilder(basic.executor('sink')).build({ pool: livePool });
      await using failing = await new WorkflowBuilder(basic.executor('explode')).build({ pool: livePool });
      await using looping = await new WorkflowBuilder(basic.executor('countdown'))
        .addEdge('countdown', 'countdown')
        .build({ pool: livePool });
      await using unserialisable = await new WorkflowBuilder(basic.executor('sendsFunction')).build({ pool: livePool });
      await using waiting = await new WorkflowBuilder(graph.executor('each'))
        .addEdge('each', ev.executor('cooperative'))
        .build({ pool: livePool });
      await using asking = await new WorkflowBuilder(ev.executor('asker')).build({ pool: livePool });

      const endings: [string, RunStatus, () => Promise<Drained<unknown>>][] = [
        ['idle', 'idle', () => drain(ok.run('x'))],
        ['handler failure', 'failed', () => drain(failing.run('x'))],
        ['convergence limit', 'failed', () => drain(looping.run(10, { maxSupersteps: 3 }))],
        ['serialisation failure', 'failed', () => drain(unserialisable.run('x'))],
        ['aborted before start', 'cancelled', () => drain(ok.run('x', { signal: AbortSignal.abort() }))],
        [
          'aborted by signal mid-run',
          'cancelled',
          () => {
            const controller = new AbortController();
            const run = waiting.run([{ step: 'announce' }, { step: 'wait' }], { signal: controller.signal });
            return drainWith(run, (event) => {
              if (event.type === 'custom') controller.abort();
            });
          },
        ],
        [
          'cancel() mid-run',
          'cancelled',
          () => {
            const run = waiting.run([{ step: 'announce' }, { step: 'wait' }]);
            return drainWith(run, (event) => {
              if (event.type === 'custom') void run.cancel();
            });
          },
        ],
        [
          'ended with a request pending',
          'idle-with-pending-requests',
          () => drain(asking.run({ item: 'x' }, { onPendingRequests: 'end' })),
        ],
        [
          'cancelled while waiting for an answer',
          'cancelled',
          () => {
            const run = asking.run({ item: 'y' });
            return drainWith(run, (event) => {
              if (event.type === 'status' && event.status === 'waiting-for-answers') void run.cancel();
            });
          },
        ],
      ];
      for (const [name, expected, end] of endings) {
        expect(TERMINAL_STATUSES.has(expected), name).toBe(true);
        const { events } = await end();
        expect(finalStatuses(events), name).toEqual([expected]);
        expect(events.at(-1), name).toMatchObject({ type: 'status', status: expected });
        expect(events[1], name).toMatchObject({ type: 'status', status: 'running' });
      }
    });
  });
});
