import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type WorkflowEvent } from '@superstep/runtime';
import { defineExecutor, retryDelay } from '@superstep/runtime/executor';

const retries = executorModule<typeof import('./fixtures/retries.ts')>(
  new URL('./fixtures/retries.ts', import.meta.url),
);
const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('guarantee 40: retry policy', () => {
  it('guarantee 40: backoff is exponential, capped and jittered by the injected random', () => {
    const policy = { attempts: 5, initialDelayMs: 100, factor: 3, maxDelayMs: 500, jitter: 0.5 };
    expect([1, 2, 3, 4].map((retry) => retryDelay(policy, retry, () => 0.5))).toEqual([75, 225, 375, 375]);
    expect(retryDelay(policy, 1, () => 0)).toBe(100);
  });

  it('guarantee 40: a failing handler is retried with the policy delays; failed attempts leave no trace', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('flaky'))
      .addEdge('flaky', basic.executor('sink'))
      .build({ pool });
    const run = workflow.run({ id: 'a', failures: 2, code: 'E_FLAKY' });
    const outputs: unknown[] = [];
    for await (const event of run) if (event.type === 'output') outputs.push(event.data);
    // Third call succeeds; the delays came from the injected sleep (no real waiting).
    expect(outputs[0]).toEqual({ id: 'a', calls: 3, slept: [75, 225], successes: 1 });
    // Only the successful attempt's message went on.
    expect(outputs.slice(1)).toEqual(['attempt 3']);
  });

  it('guarantee 40: an error code the policy does not list is not retried', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('flaky')).build({ pool });
    const run = workflow.run({ id: 'b', failures: 1, code: 'E_FATAL' });
    await expect(run.result()).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', original: { code: 'E_FATAL' } });
  });

  it('guarantee 40: past the attempts the run fails with the last error', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('flaky')).build({ pool });
    const run = workflow.run({ id: 'c', failures: 10, code: 'E_FLAKY' });
    await expect(run.result()).rejects.toMatchObject({
      code: 'EXECUTOR_FAILED',
      message: 'executor "flaky" failed in superstep 1: flaky failure 4',
    });
  });

  it('guarantee 40: policies are validated when defined', () => {
    const codeOf = (define: () => unknown): unknown => {
      try {
        define();
      } catch (error) {
        return (error as { code?: unknown }).code;
      }
      return 'did not throw';
    };
    expect(codeOf(() => defineExecutor({ handle: () => undefined, retry: { attempts: 0 } }))).toBe('INVALID_OPTION');
    expect(codeOf(() => defineExecutor({ handle: () => undefined, timeoutMs: -1 }))).toBe('INVALID_OPTION');
  });
});

describe('guarantee 40: timeouts', () => {
  it('guarantee 40: a handler past its timeout has its worker replaced and the run fails with EXECUTOR_TIMEOUT; the instance is reusable', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('overrun')).build({ pool });
    const run = workflow.run('spin');
    const events: WorkflowEvent[] = [];
    for await (const event of run) events.push(event);
    await expect(run.result()).rejects.toMatchObject({
      code: 'EXECUTOR_TIMEOUT',
      details: { executorId: 'overrun', timeoutMs: 100 },
    });
    expect(events.filter((event) => event.type === 'executor.failed')).toHaveLength(1);
    expect((await workflow.run('quick').result()).outputs).toEqual(['quick']);
  });

  it('guarantee 40: a stateless handler past its timeout is reported once, though its worker held two batches of the superstep', async () => {
    await using workflow = await new WorkflowBuilder(retries.executor('scatter'))
      .addEdge('scatter', retries.executor('overrunStateless'))
      .build({ pool });
    // 16 messages make slices of 2: the host that gets the spinning one also holds the next slice.
    const run = workflow.run(['spin', ...Array.from({ length: 15 }, () => 'quick')]);
    const events: WorkflowEvent[] = [];
    for await (const event of run) events.push(event);
    await expect(run.result()).rejects.toMatchObject({
      code: 'EXECUTOR_TIMEOUT',
      details: { executorId: 'overrunStateless', timeoutMs: 100 },
    });
    expect(events.filter((event) => event.type === 'executor.failed')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'worker.restarted')).toHaveLength(0);
    expect((await workflow.run(['quick', 'quick']).result()).outputs).toEqual(['quick', 'quick']);
  });
});
