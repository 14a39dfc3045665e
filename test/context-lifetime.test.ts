/**
 * The context-lifetime rule (docs/reliability.md#context-lifetime): a handler's `ctx` is valid only until
 * its call settles. A callback the handler left behind (a timer, a promise it did not await) that calls an
 * effect later is refused with `CONTEXT_CLOSED` and reported as a `LATE_CONTEXT_CALL` warning naming the
 * executor; nothing it attempts reaches state, messages, outputs, events, requests or shared state —
 * whether the superstep succeeded, failed or was cancelled. Public API only, real worker threads (one
 * thread, so the leftover context and the code that calls it share a module).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type Workflow } from '@superstep/runtime';
import type { LateCalls } from './fixtures/context-lifetime.ts';
import { custom, drain, ofType, type Drained } from './helpers.ts';

const lifetime = executorModule<typeof import('./fixtures/context-lifetime.ts')>(
  new URL('./fixtures/context-lifetime.ts', import.meta.url),
);

const EFFECTS = ['setState', 'send', 'yieldOutput', 'emit', 'request', 'shared.set', 'shared.delete'];

function lateWarnings(drained: Drained<unknown>): { executorId: unknown; superstep: unknown; call: unknown }[] {
  return ofType(drained.events, 'warning')
    .filter((event) => event.code === 'LATE_CONTEXT_CALL')
    .map(({ details }) => ({ executorId: details.executorId, superstep: details.superstep, call: details.call }));
}

describe('context lifetime: a context is closed once its handler settles', () => {
  let pool: ActorPool;
  beforeAll(async () => {
    pool = await createPool({ threads: 1 });
  });
  afterAll(async () => {
    await pool.close();
  });

  /** dispatch → leaver | latecomer: each run picks its target. */
  function build(): Promise<Workflow> {
    return new WorkflowBuilder(lifetime.executor('dispatch'))
      .addEdge('dispatch', lifetime.executor('leaver'))
      .addEdge('dispatch', lifetime.executor('latecomer'))
      .build({ pool });
  }
  const to = (target: string, body: unknown): { to: string; body: unknown } => ({ to: target, body });

  /** Calls every effect on the leaver's kept context from a later run; checks that none had an effect. */
  async function expectEveryLateCallRefused(wf: Workflow, key: string, leaverState: number): Promise<void> {
    const late = await drain(wf.run(to('latecomer', { key })));
    expect(late.error).toBeUndefined();
    const refused = Object.fromEntries(EFFECTS.map((name) => [name, 'CONTEXT_CLOSED']));
    expect(late.result?.outputs).toEqual([refused satisfies LateCalls]);
    expect(late.result?.pendingRequests).toEqual([]);
    expect(custom(late.events, 'late-event')).toEqual([]);
    expect(ofType(late.events, 'request')).toEqual([]);
    expect(lateWarnings(late)).toEqual(EFFECTS.map((call) => ({ executorId: 'leaver', superstep: 2, call })));
    // Nothing reached the leaver's state or the shared state either, at this barrier or any later one.
    const report = await wf.run(to('leaver', { report: true })).result();
    expect(report.outputs).toEqual([{ state: { n: leaverState }, shared: null }]);
  }

  it('refuses every effect after a superstep that succeeded', async () => {
    await using wf = await build();
    const first = await wf.run(to('leaver', { key: 'succeeded', end: 'return' })).result();
    expect(first.outputs).toEqual([]);
    await expectEveryLateCallRefused(wf, 'succeeded', 1);
  });

  it('refuses every effect after a superstep that failed', async () => {
    await using wf = await build();
    const first = await drain(wf.run(to('leaver', { key: 'failed', end: 'throw' })));
    expect((first.error as { code?: unknown }).code).toBe('EXECUTOR_FAILED');
    await expectEveryLateCallRefused(wf, 'failed', 0);
  });

  it('refuses every effect after a superstep that was cancelled', async () => {
    await using wf = await build();
    const run = wf.run(to('leaver', { key: 'cancelled', end: 'await-cancel' }));
    let status: unknown;
    for await (const event of run) {
      if (event.type === 'custom' && event.name === 'waiting') void run.cancel('test');
      if (event.type === 'status' && event.final) status = event.status;
    }
    expect(status).toBe('cancelled');
    await expectEveryLateCallRefused(wf, 'cancelled', 0);
  });

  it('refuses every effect through the context of a retried attempt that failed', async () => {
    await using wf = await new WorkflowBuilder(lifetime.executor('dispatch'))
      .addEdge('dispatch', lifetime.executor('retrying'))
      .addEdge('dispatch', lifetime.executor('latecomer'))
      .build({ pool });
    expect((await wf.run(to('retrying', { key: 'attempt' })).result()).status).toBe('idle');
    const late = await drain(wf.run(to('latecomer', { key: 'attempt' })));
    const refused = Object.fromEntries(EFFECTS.map((name) => [name, 'CONTEXT_CLOSED']));
    expect(late.result?.outputs).toEqual([refused]);
    expect(lateWarnings(late).map((warning) => warning.executorId)).toEqual(EFFECTS.map(() => 'retrying'));
  });

  it('survives a leftover callback that lets the refusal go uncaught, and keeps its state', async () => {
    await using wf = await new WorkflowBuilder(lifetime.executor('dispatch'))
      .addEdge('dispatch', lifetime.executor('forgetful'))
      .addEdge('dispatch', lifetime.executor('releaser'))
      .build({ pool });
    expect((await wf.run(to('forgetful', null)).result()).outputs).toEqual([0]);

    const released = await drain(wf.run(to('releaser', null)));
    expect(released.result?.outputs).toEqual(['released']);
    expect(lateWarnings(released)).toEqual([{ executorId: 'forgetful', superstep: 2, call: 'setState' }]);
    expect(ofType(released.events, 'worker.restarted')).toEqual([]);

    // The late setState({ n: 1000 }) was refused: the state is the one the handler set while it ran.
    expect((await wf.run(to('forgetful', null)).result()).outputs).toEqual([1]);
  });

  it('reports a late call made between runs in the next run of the instance', async () => {
    await using wf = await new WorkflowBuilder(lifetime.executor('dispatch'))
      .addEdge('dispatch', lifetime.executor('deferred'))
      .build({ pool });
    const first = await drain(wf.run(to('deferred', null)));
    expect(first.result?.outputs).toEqual(['on time']);

    const second = await drain(wf.run(to('deferred', null)));
    expect(second.result?.outputs).toEqual(['on time']);
    expect(lateWarnings(second)).toEqual([{ executorId: 'deferred', superstep: 2, call: 'yieldOutput' }]);
  });
});
