/**
 * Runs a superstep's deliveries on a host: each actor's mailbox drained one message at a time, in order
 * (guarantee 5), with the handler each message picks; the first failure marks the step lost (guarantee 8).
 */
import { SuperstepError, toErrorRecord, type ErrorRecord } from '../shared/errors.ts';
import type { ExecutorDefinition, Handler } from '../shared/executor-definition.ts';
import { messageKind } from '../shared/message-kind.ts';
import { RESPONSE_SOURCE, deliveredMessages, type DeliveredMessage, type Delivery } from '../shared/protocol.ts';
import { callWithRetries, isThenable } from './call-with-retries.ts';
import { HandlerContext, type CallScope } from './handler-context.ts';
import type { Actor, Instance } from './instance.ts';
import type { LiveUpdates } from './live-updates.ts';
import { DirectSink, type StepOutput } from './step-output.ts';

/** The superstep a delivery runs in, on this host. */
export interface StepRun {
  readonly instance: Instance;
  readonly superstep: number;
  readonly output: StepOutput;
}

/** One mailbox to drain: where its calls run, where their effects go, and its messages. */
interface Drain {
  readonly scope: CallScope;
  readonly direct: DirectSink;
  readonly definition: ExecutorDefinition;
  readonly messages: readonly DeliveredMessage[];
}

export class DeliveryRunner {
  constructor(private readonly live: LiveUpdates) {}

  /** Runs one delivery; a promise only if some handler turned out asynchronous. */
  run(step: StepRun, delivery: Delivery): Promise<void> | undefined {
    const { instance, output } = step;
    const [executorId, flat] = delivery;
    const messages = deliveredMessages(flat);
    if (messages === undefined) {
      internalFailure(output, executorId, `malformed messages for executor "${executorId}"`);
      return;
    }
    const definition = instance.executors.get(executorId);
    if (definition === undefined) {
      internalFailure(output, executorId, `executor "${executorId}" is not loaded on this host`);
      return;
    }
    if (definition.stateless) {
      // Each message is its own invocation; they may interleave if handlers are asynchronous.
      const pending: Promise<void>[] = [];
      for (const message of messages) {
        const timing = output.timings && startTiming(output, executorId, 1);
        const scope = this.scope(step, executorId, undefined);
        const direct = new DirectSink(output, executorId);
        const invoked = this.invoke({ scope, direct, definition, messages: [message] });
        const running = timing === undefined ? invoked : timing(invoked);
        if (running !== undefined) pending.push(running);
      }
      return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
    }
    const actor = instance.actors.get(executorId);
    if (actor === undefined) {
      internalFailure(output, executorId, `actor "${executorId}" is not placed on this host`);
      return;
    }
    const timing = output.timings && startTiming(output, executorId, messages.length);
    const scope = this.scope(step, executorId, actor);
    const direct = new DirectSink(output, executorId);
    const invoked = this.invoke({
      scope,
      direct,
      definition,
      messages: definition.gather ? gathered(messages) : messages,
    });
    return timing === undefined ? invoked : timing(invoked);
  }

  /** What every call of one mailbox drain shares. */
  private scope({ instance, superstep, output }: StepRun, executorId: string, actor: Actor | undefined): CallScope {
    return { live: this.live, instance, output, executorId, superstep, actor };
  }

  /**
   * Drains one mailbox: one message at a time, in order (guarantee 5). Synchronous while handlers are (no
   * promise per call); from the first handler that returns a promise, or for an executor with a retry or
   * timeout policy, the rest of the mailbox continues in {@link drainAsync}. Each call gets its own
   * context, closed as soon as the call settles.
   */
  private invoke(drain: Drain): Promise<void> | undefined {
    const { scope, direct, definition, messages } = drain;
    const { output, executorId, instance, superstep } = scope;
    const plain = definition.retry === undefined && definition.timeoutMs === undefined;
    for (let index = 0; index < messages.length; index++) {
      if (!plain) return this.drainAsync(drain, index, undefined);
      const message = messages[index];
      if (output.failure !== null || message === undefined) return undefined; // a lost superstep: stop early
      const handler = handlerFor(definition, scope, message);
      if (handler === undefined) continue;
      const context = new HandlerContext(scope, message, direct);
      let result: unknown;
      try {
        result = handler(message[1], context);
      } catch (error) {
        context.close();
        output.failure ??= { executorId, error: failureRecord(executorId, superstep, error) };
        return undefined;
      }
      if (isThenable(result)) return this.drainAsync(drain, index + 1, closeWhenSettled(result, context));
      context.close();
      this.live.maybeFlush(instance.key, superstep, output);
    }
    output.completed.push(executorId);
    return undefined;
  }

  /** The rest of a mailbox from `from`, after `waiting` (a handler's promise) settles. */
  private async drainAsync(drain: Drain, from: number, waiting: PromiseLike<unknown> | undefined): Promise<void> {
    const { scope, direct, definition, messages } = drain;
    const { output, executorId, instance, superstep } = scope;
    if (waiting !== undefined) {
      try {
        await waiting;
      } catch (error) {
        output.failure ??= { executorId, error: failureRecord(executorId, superstep, error) };
        return;
      }
      this.live.maybeFlush(instance.key, superstep, output);
    }
    for (let index = from; index < messages.length; index++) {
      const message = messages[index];
      if (output.failure !== null || message === undefined) return;
      const handler = handlerFor(definition, scope, message);
      if (handler === undefined) continue;
      const error = await callWithRetries({ scope, sink: direct, definition, handler, message });
      if (error !== undefined) {
        output.failure ??= { executorId, error: failureRecord(executorId, superstep, error) };
        return;
      }
      this.live.maybeFlush(instance.key, superstep, output);
    }
    output.completed.push(executorId);
  }
}

/** A handler's promise that closes its context when it settles, before anything waiting on it resumes. */
function closeWhenSettled(result: PromiseLike<unknown>, context: HandlerContext): Promise<unknown> {
  return Promise.resolve(result).finally(() => {
    context.close();
  });
}

/** Epoch milliseconds with fractions: comparable across threads (see `HandlerTiming`). */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * Starts timing one invocation (called only when the batch asked for timings: an untimed batch reads no
 * clock and allocates nothing here). The returned function records it once `invoked` — the invocation's
 * result, a promise if it went asynchronous — has finished. An invocation failed if the superstep's
 * failure appeared during it, naming its executor (two concurrent invocations of one stateless executor
 * cannot be told apart here).
 */
function startTiming(
  output: StepOutput,
  executorId: string,
  messages: number,
): (invoked: Promise<void> | undefined) => Promise<void> | undefined {
  const start = now();
  const failedBefore = output.failure !== null;
  const retriedBefore = output.retries.get(executorId) ?? 0;
  const record = (): void => {
    const failed = !failedBefore && output.failure?.executorId === executorId;
    const retries = (output.retries.get(executorId) ?? 0) - retriedBefore;
    output.timings?.push([executorId, start, now(), messages, retries, failed]);
  };
  return (invoked) => {
    if (invoked === undefined) {
      record();
      return undefined;
    }
    return invoked.then(record);
  };
}

/** The handler for a message, or `undefined` after reporting it unhandled (guarantee 12). */
function handlerFor(
  definition: ExecutorDefinition,
  scope: CallScope,
  [source, payload]: DeliveredMessage,
): Handler<unknown, unknown, unknown> | undefined {
  const handler = source === RESPONSE_SOURCE ? responseHandler(definition) : pickHandler(definition, payload);
  if (handler === undefined) {
    const kind = messageKind(payload);
    scope.output.events.push([
      'warning',
      'MESSAGE_UNHANDLED',
      `executor "${scope.executorId}" has no handler for a message of kind "${kind}" from "${source}"`,
      { source, target: scope.executorId, kind },
    ]);
  }
  return handler;
}

function responseHandler(definition: ExecutorDefinition): Handler<unknown, unknown, unknown> | undefined {
  return definition.onResponse as Handler<unknown, unknown, unknown> | undefined;
}

function pickHandler(definition: ExecutorDefinition, payload: unknown): Handler<unknown, unknown, unknown> | undefined {
  if (definition.handle !== undefined) return definition.handle;
  const handlers = definition.on;
  if (handlers === undefined) return undefined;
  const kind = messageKind(payload);
  return Object.hasOwn(handlers, kind) ? (handlers[kind] as Handler<unknown, unknown, unknown>) : undefined;
}

/**
 * A gathering executor's mailbox (guarantee 58): answers for `onResponse` stay one call each, first; every
 * other message goes into one list message, in queue order, whose sources name each one's sender (so
 * `ctx.sources[i]` sent `messages[i]`), labelled by its distinct senders joined with `+`.
 */
function gathered(messages: readonly DeliveredMessage[]): DeliveredMessage[] {
  const delivered: DeliveredMessage[] = [];
  const payloads: unknown[] = [];
  const sources: string[] = [];
  for (const message of messages) {
    if (message[0] === RESPONSE_SOURCE) delivered.push(message);
    else {
      payloads.push(message[1]);
      sources.push(message[0]);
    }
  }
  if (payloads.length > 0) delivered.push([[...new Set(sources)].join('+'), payloads, sources]);
  return delivered;
}

/** A delivery this host cannot run: a protocol bug, not the handler's fault. */
function internalFailure(output: StepOutput, executorId: string, message: string): void {
  output.failure ??= { executorId, error: new SuperstepError('INTERNAL', message).toRecord() };
}

/**
 * A handler's error as the run will report it (guarantee 8): our own errors keep their code; any other becomes
 * `EXECUTOR_FAILED`, its message led by the executor and superstep, the thrown error kept as `original`.
 */
function failureRecord(executorId: string, superstep: number, error: unknown): ErrorRecord {
  if (error instanceof SuperstepError) {
    return { ...error.toRecord(), details: { executorId, ...error.details } };
  }
  const original = toErrorRecord(error);
  return new SuperstepError(
    'EXECUTOR_FAILED',
    `executor "${executorId}" failed in superstep ${superstep}: ${original.message}`,
    {
      details: { executorId, superstep },
      original,
    },
  ).toRecord();
}
