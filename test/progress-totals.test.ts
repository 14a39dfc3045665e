/**
 * Progress with totals: `superstep.started` says how many invocations (and messages) each executor has in
 * the superstep, so a progress bar knows its length before the first `executor.completed` arrives — and
 * the counts agree with the `executor.invoked`/`executor.completed` events that follow.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool } from '@superstep/runtime';
import { drain, ofType } from './helpers.ts';
import type { Job } from './fixtures/tracing.ts';

const fixtures = executorModule<typeof import('./fixtures/tracing.ts')>(
  new URL('./fixtures/tracing.ts', import.meta.url),
);

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

it('superstep.started carries per-executor totals that the completions then count up to', async () => {
  await using workflow = await new WorkflowBuilder(fixtures.executor('split'))
    .addEdge('split', fixtures.executor('work'))
    .addEdge('work', fixtures.executor('total'))
    .build({ pool });
  const { events } = await drain(workflow.run({ items: [1, 2, 3, 4, 5] } satisfies Job));

  const started = ofType(events, 'superstep.started');
  expect(started.map(({ superstep, messages, executors }) => ({ superstep, messages, executors }))).toEqual([
    { superstep: 1, messages: 1, executors: [{ executorId: 'split', invocations: 1, messages: 1 }] },
    // A stateless executor is invoked once per message; an actor drains its mailbox in one invocation.
    { superstep: 2, messages: 5, executors: [{ executorId: 'work', invocations: 5, messages: 5 }] },
    { superstep: 3, messages: 5, executors: [{ executorId: 'total', invocations: 1, messages: 5 }] },
  ]);
  for (const { superstep, executors } of started) {
    // The total is known before any completion of the superstep is streamed.
    const startedAt = events.findIndex((e) => e.type === 'superstep.started' && e.superstep === superstep);
    const completions = ofType(events, 'executor.completed').filter((e) => e.superstep === superstep);
    expect(events.findIndex((e) => completions.includes(e as (typeof completions)[number]))).toBeGreaterThan(startedAt);
    for (const { executorId, invocations } of executors) {
      expect(completions.filter((e) => e.executorId === executorId)).toHaveLength(invocations);
      expect(
        ofType(events, 'executor.invoked').filter((e) => e.superstep === superstep && e.executorId === executorId),
      ).toHaveLength(invocations);
    }
  }
});
