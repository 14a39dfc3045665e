/**
 * One handler call under its executor's retry and timeout policies (guarantee 40): with retries, each
 * attempt's effects are buffered and kept only if it succeeds; a timed attempt is reported to the main
 * thread as it starts and ends.
 */
import { isRetryable, retryDelay, type ExecutorDefinition, type Handler } from '../shared/executor-definition.ts';
import type { DeliveredMessage } from '../shared/protocol.ts';
import { HandlerContext, type CallScope } from './handler-context.ts';
import { AttemptBuffer, type EffectSink } from './step-output.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** One handler call to make under its executor's policies. */
export interface RetriedCall {
  readonly scope: CallScope;
  /** Where a successful attempt's effects go (each attempt buffers its own under a retry policy). */
  readonly sink: EffectSink;
  readonly definition: ExecutorDefinition;
  readonly handler: Handler<unknown, unknown, unknown>;
  readonly message: DeliveredMessage;
}

/**
 * Calls a handler for one message, retrying per the executor's policy (guarantee 40). A failed attempt leaves
 * no trace: its buffer is dropped and the actor's draft put back. Each attempt has its own context,
 * closed when the attempt settles. Resolves to the final error, if any.
 */
export async function callWithRetries(call: RetriedCall): Promise<unknown> {
  const { scope, sink: direct, definition, handler, message } = call;
  const { live, instance, superstep, executorId, actor } = scope;
  const policy = definition.retry;
  const draft = actor?.draft;
  const dirty = actor?.dirty ?? false;
  const timed =
    definition.timeoutMs === undefined
      ? undefined
      : { instance: instance.key, superstep, executorId, timeoutMs: definition.timeoutMs };
  for (let attempt = 1; ; attempt++) {
    const attemptBuffer = policy === undefined ? undefined : new AttemptBuffer();
    const context = new HandlerContext(scope, message, attemptBuffer ?? direct);
    const seq = timed === undefined ? 0 : live.timer(timed, 'start');
    let failed: { error: unknown } | undefined;
    try {
      const result = handler(message[1], context);
      if (isThenable(result)) await result;
    } catch (error) {
      failed = { error };
    } finally {
      context.close();
    }
    if (timed !== undefined) live.timer(timed, 'end', seq);
    if (failed === undefined) {
      attemptBuffer?.mergeInto(scope.output, executorId);
      return undefined;
    }
    if (actor !== undefined) {
      actor.draft = draft;
      actor.dirty = dirty;
    }
    if (policy === undefined || attempt >= policy.attempts || !isRetryable(policy, failed.error)) {
      return failed.error;
    }
    scope.output.retries.set(executorId, (scope.output.retries.get(executorId) ?? 0) + 1);
    const delay = retryDelay(policy, attempt, policy.random ?? Math.random);
    await (policy.sleep ?? sleep)(delay);
  }
}
