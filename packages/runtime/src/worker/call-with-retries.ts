/**
 * One handler call under its executor's retry and timeout policies (SPEC 40): with retries, each
 * attempt's effects are buffered and kept only if it succeeds; a timed attempt is reported to the main
 * thread as it starts and ends.
 */
import { isRetryable, retryDelay, type ExecutorDefinition, type Handler } from '../shared/executor-definition.ts';
import type { HandlerContext } from './handler-context.ts';
import type { Actor } from './instance.ts';
import type { LiveUpdates } from './live-updates.ts';
import { AttemptBuffer } from './step-output.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Calls a handler for one message, retrying per the executor's policy (SPEC 40). A failed attempt leaves
 * no trace: its buffer is dropped and the actor's draft put back. Resolves to the final error, if any.
 */
export async function callWithRetries(
  live: LiveUpdates,
  instance: string,
  definition: ExecutorDefinition,
  actor: Actor | undefined,
  context: HandlerContext,
  handler: Handler<unknown, unknown, unknown>,
  payload: unknown,
): Promise<unknown> {
  const { superstep, executorId } = context;
  const policy = definition.retry;
  const draft = actor?.draft;
  const dirty = actor?.dirty ?? false;
  const direct = context.buffer;
  for (let attempt = 1; ; attempt++) {
    const attemptBuffer = policy === undefined ? undefined : new AttemptBuffer();
    context.buffer = attemptBuffer ?? direct;
    const seq =
      definition.timeoutMs === undefined
        ? 0
        : live.timer(instance, superstep, executorId, 'start', definition.timeoutMs);
    let failed: { error: unknown } | undefined;
    try {
      const result = handler(payload, context);
      if (isThenable(result)) await result;
    } catch (error) {
      failed = { error };
    }
    if (definition.timeoutMs !== undefined)
      live.timer(instance, superstep, executorId, 'end', definition.timeoutMs, seq);
    context.buffer = direct;
    if (failed === undefined) {
      attemptBuffer?.mergeInto(context.output, executorId);
      return undefined;
    }
    if (actor !== undefined) {
      actor.draft = draft;
      actor.dirty = dirty;
    }
    if (policy === undefined || attempt >= policy.attempts || !isRetryable(policy, failed.error)) {
      return failed.error;
    }
    context.output.retries.set(executorId, (context.output.retries.get(executorId) ?? 0) + 1);
    const delay = retryDelay(policy, attempt, policy.random ?? Math.random);
    await (policy.sleep ?? sleep)(delay);
  }
}
