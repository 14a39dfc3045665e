/**
 * guarantee 41: values the codec cannot carry — a function, a class instance, a symbol, a cycle — fail with
 * SERIALIZATION_FAILED naming executor, direction and path, where they are produced: a message, an
 * output, actor state, an event, shared state or a request inside a handler (the run fails, the
 * superstep commits nothing, the instance goes on); the input of `run()` (thrown at the call); initial
 * shared state (refused by `build()`). An answer that cannot be carried is RESPONSE_INVALID.
 * (event-stream-and-run-statuses covers a function in a message/output/state/event/shared-state, and in the run input.)
 * Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool } from '@superstep/runtime';
import { drain, ofType, rejectionOf, statuses, thrownBy, type CodedError } from './helpers.ts';
import { PATHS, badValue, type Bad, type Direction, type Order } from './fixtures/serialization.ts';

const ser = executorModule<typeof import('./fixtures/serialization.ts')>(
  new URL('./fixtures/serialization.ts', import.meta.url),
);
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

/** start → producer → sink: a message the producer sends is routed on, if it gets that far. */
function producerGraph() {
  return new WorkflowBuilder(basic.executor('forward', { id: 'start' }))
    .addEdge('start', ser.executor('producer'))
    .addEdge('producer', basic.executor('sink'));
}

const DIRECTIONS: readonly Direction[] = ['message', 'output', 'state', 'event', 'shared-state', 'request'];
const BADS: readonly Bad[] = ['function', 'class', 'symbol', 'cycle'];

describe('guarantee 41: unserialisable values inside a handler', () => {
  for (const direction of DIRECTIONS) {
    it(`guarantee 41: a class instance, a symbol, a cycle or a function in a ${direction} fails the run with SERIALIZATION_FAILED { executorId, direction: '${direction}', path }; nothing of the superstep is committed and the instance goes on`, async () => {
      await using wf = await producerGraph().build({ pool });
      let good = 0;
      for (const bad of BADS) {
        const order: Order = { direction, bad, container: 'object' };
        const { events, error } = await drain(wf.run(order));
        expect(error, bad).toMatchObject({
          code: 'SERIALIZATION_FAILED',
          details: { executorId: 'producer', direction, path: PATHS.object },
        });
        expect(
          ofType(events, 'executor.failed').map((e) => [e.executorId, e.error.code, e.error.details?.path]),
          bad,
        ).toEqual([['producer', 'SERIALIZATION_FAILED', PATHS.object]]);
        expect(
          ofType(events, 'run.failed').map((e) => e.error.code),
          bad,
        ).toEqual(['SERIALIZATION_FAILED']);
        // Nothing of the failed superstep survived: no output, no request, no custom event after the failure.
        expect(ofType(events, 'output'), bad).toEqual([]);
        expect(ofType(events, 'request'), bad).toEqual([]);
        expect(statuses(events), bad).toEqual(['running', 'failed']);

        // The instance goes on: state and shared state are as they were before the failed superstep.
        const next = await wf.run(null).result();
        expect(next.outputs, bad).toEqual([{ good: ++good, shared: null }]);
      }
    });
  }

  it('guarantee 41: details.path names where the bad part is — inside an array or a Map', async () => {
    await using wf = await producerGraph().build({ pool });
    for (const container of ['array', 'map'] as const) {
      const { error } = await drain(wf.run({ direction: 'message', bad: 'class', container } satisfies Order));
      expect(error, container).toMatchObject({
        code: 'SERIALIZATION_FAILED',
        details: { executorId: 'producer', direction: 'message', path: PATHS[container] },
      });
    }
  });

  // Regression guard: the path used to be cut at its first space, so a Set member (`$.set<set 1>`) or a key
  // with a space lost its tail.
  it('guarantee 41: details.path is whole when it contains a space — a Set member, a key with a space', async () => {
    await using wf = await producerGraph().build({ pool });
    for (const container of ['set', 'spaced-key'] as const) {
      const { error } = await drain(wf.run({ direction: 'message', bad: 'class', container } satisfies Order));
      expect(error, container).toMatchObject({
        code: 'SERIALIZATION_FAILED',
        details: { executorId: 'producer', direction: 'message', path: PATHS[container] },
      });
    }
  });
});

describe('guarantee 41: unserialisable values at the public boundary', () => {
  it('guarantee 41: run() with a class instance, a symbol, a cycle or a function in its input throws SERIALIZATION_FAILED { direction: input } synchronously and leaves the instance free', async () => {
    await using wf = await producerGraph().build({ pool });
    for (const bad of BADS) {
      const error = thrownBy(() => wf.run(badValue(bad, 'object')));
      expect(error, bad).toMatchObject({
        code: 'SERIALIZATION_FAILED',
        details: { executorId: 'start', direction: 'input', path: PATHS.object },
      });
      expect(wf.status, bad).toBe('idle');
    }
    // A bare symbol as the whole input.
    expect(thrownBy(() => wf.run(Symbol('input') as never))).toMatchObject({
      code: 'SERIALIZATION_FAILED',
      details: { direction: 'input', path: '$' },
    });
    expect((await wf.run(null).result()).outputs).toEqual([{ good: 1, shared: null }]);
  });

  it('guarantee 41: build({ sharedState }) with a value the codec cannot carry is refused with SERIALIZATION_FAILED naming the key', async () => {
    for (const bad of BADS) {
      const error = await rejectionOf(
        producerGraph().build({ pool, sharedState: { fine: 1, seen: badValue(bad, 'object') } }),
      );
      expect(error, bad).toMatchObject({
        code: 'SERIALIZATION_FAILED',
        details: { executorId: '$shared.seen', direction: 'shared-state', path: PATHS.object },
      });
    }
    // The pool is untouched and the same graph builds with plain shared state.
    await using wf = await producerGraph().build({ pool, sharedState: { seen: { plain: true } } });
    expect((await wf.run(null).result()).outputs).toEqual([{ good: 1, shared: { plain: true } }]);
  });

  it('guarantees 20, 41: an answer holding a class instance, a symbol, a cycle or a function is refused with RESPONSE_INVALID naming the path; the request stays pending', async () => {
    await using wf = await new WorkflowBuilder(ser.executor('questioner')).build({ pool });
    const run = wf.run('why?', { onPendingRequests: 'wait' });
    const refused: CodedError[] = [];
    for await (const event of run) {
      if (event.type !== 'request') continue;
      for (const bad of BADS) refused.push(await rejectionOf(run.respond(event.requestId, badValue(bad, 'object'))));
      expect(run.status).toBe('waiting-for-answers');
      await run.respond(event.requestId, { because: 'plain data' });
    }
    refused.forEach((error, k) => {
      expect(error, BADS[k]).toMatchObject({
        code: 'RESPONSE_INVALID',
        details: { requestId: 'q-1', executorId: 'questioner', issues: [expect.stringContaining(PATHS.object)] },
      });
    });
    expect(refused).toHaveLength(BADS.length);
    const result = await run.result();
    expect(result.outputs).toEqual([{ because: 'plain data' }]);
  });
});
