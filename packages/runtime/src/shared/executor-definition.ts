/**
 * What an executor author writes: a definition object made by {@link defineExecutor}, exported from a
 * module that worker threads import. Pure: safe on both threads.
 */

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { SuperstepError } from './errors.ts';

/** Marks a definition; `Symbol.for` so two copies of this module still agree. */
export const EXECUTOR_BRAND: unique symbol = Symbol.for('superstep.executor') as never;

/** Workflow-scoped key-value state (guarantee 45), seen by every executor. */
export interface SharedState {
  /** The value committed at the last barrier, or this executor's own write in this superstep. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the type it stored; values are not validated
  get<T = unknown>(key: string): T | undefined;
  has(key: string): boolean;
  /** Visible to other executors after the barrier. Two writers of one key: the higher executor id wins. */
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/**
 * How a failing handler call is retried (guarantee 40): in the worker, for that one message, with its state
 * changes and sends from the failed attempt discarded. Delay of retry n (n ≥ 1):
 * `min(maxDelayMs, initialDelayMs × factor^(n−1))`, reduced by up to `jitter` × itself at random.
 */
export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  readonly attempts: number;
  /** Default 100. */
  readonly initialDelayMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** Default 30 000. */
  readonly maxDelayMs?: number;
  /** Fraction 0–1 of each delay taken off at random. Default 0.2. */
  readonly jitter?: number;
  /**
   * Which failures retry: error codes (`error.code`), or a predicate. Default: every error the handler
   * throws except the runtime's own (a SuperstepError, e.g. SERIALIZATION_FAILED, is a bug, not bad luck).
   */
  readonly retryOn?: readonly string[] | ((error: unknown) => boolean);
  /** Injected time: how to wait (default `setTimeout`). Tests pass one that does not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected randomness for jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** The delay before retry number `retry` (1 for the first retry). Pure: exported for tests and docs. */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(
    policy.maxDelayMs ?? 30_000,
    (policy.initialDelayMs ?? 100) * (policy.factor ?? 2) ** (retry - 1),
  );
  const jitter = policy.jitter ?? 0.2;
  return Math.max(0, base - base * jitter * random());
}

/** Whether `error` should be retried under `policy`. */
export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  const rule = policy.retryOn;
  if (typeof rule === 'function') return rule(error);
  if (rule !== undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && rule.includes(code);
  }
  return !(error instanceof SuperstepError);
}

function checkRetryPolicy(policy: RetryPolicy): void {
  const fail = (field: string, rule: string): never => {
    throw new SuperstepError('INVALID_OPTION', `defineExecutor: options.retry.${field} must be ${rule}`, {
      details: { option: `retry.${field}` },
    });
  };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) fail('attempts', 'an integer ≥ 1');
  for (const field of ['initialDelayMs', 'maxDelayMs'] as const) {
    const value = policy[field];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) fail(field, 'a number ≥ 0');
  }
  if (policy.factor !== undefined && (!Number.isFinite(policy.factor) || policy.factor < 1))
    fail('factor', 'a number ≥ 1');
  if (policy.jitter !== undefined && !(policy.jitter >= 0 && policy.jitter <= 1))
    fail('jitter', 'a number from 0 to 1');
}

/** An answer to a request, as the executor's `onResponse` handler receives it (guarantee 18). */
export interface RequestResponse<Request = unknown, Response = unknown> {
  readonly requestId: string;
  /** The data the executor asked with. */
  readonly request: Request;
  /** The caller's answer (validated by `responseSchema`, if the executor declared one). */
  readonly value: Response;
}

/** Options of `ctx.request()`. */
export interface RequestOptions {
  /** A stable id (unique per workflow instance); default: a random UUID. */
  readonly requestId?: string;
}

/** Where `send` delivers: along every outgoing edge, or to one target an edge reaches (guarantee 10). */
export interface SendOptions {
  readonly to?: string;
}

/**
 * What a handler can do. `Out` is what it may `send`, `Output` what it may `yieldOutput` (both `unknown` unless
 * the definition names them). One context per handler call, valid only while the call runs: once the handler
 * returns (or its promise settles), every effect through it throws `CONTEXT_CLOSED` and is reported as a
 * `LATE_CONTEXT_CALL` warning, so a timer or promise the handler left behind changes nothing.
 *
 * @example
 * handle: async (order, ctx) => {
 *   const price = await fetchPrice(order.sku, ctx.signal); // awaited: ctx is still open
 *   ctx.setState({ ...ctx.state, total: ctx.state.total + price });
 *   // setTimeout(() => ctx.send(order), 1000) would throw CONTEXT_CLOSED when the timer fires
 * }
 */
/** What a reset hook is told: the executor it runs for, and the worker thread it runs in. */
export interface ResetContext {
  /** The executor's id in the workflow graph (one module's export can back several ids). */
  readonly executorId: string;
  /** The worker thread running the hook: the hook runs once in every thread that loaded the executor. */
  readonly threadId: number;
}

export interface ExecutorContext<State = undefined, Out = unknown, Output = unknown> {
  /** This executor's id in the workflow graph. */
  readonly executorId: string;
  /** The superstep being executed, from 1. */
  readonly superstep: number;
  /**
   * Who sent the message being handled: an executor id, `$input` for the run's input, `$response` for an
   * answer. For a fan-in's list message (`addFanIn`) or a gathering executor's list (`gather: true`) it is a
   * label, the sources joined with `+`; read {@link sources} for the ids themselves.
   */
  readonly source: string;
  /**
   * Every sender of the message being handled. For a fan-in's list message, the fan-in's sources in the
   * order of its `from` list (the order the list's items come in: each source's messages in turn); for a
   * gathering executor's list, the sender of each message of the list, in the same order; for any other
   * message, `[source]`. Frozen.
   *
   * @example
   * handle(values: readonly number[], ctx) {
   *   // a fan-in from ['left', 'right'] where each sent one message: values[i] came from ctx.sources[i]
   *   ctx.send(Object.fromEntries(ctx.sources.map((id, i) => [id, values[i]])));
   * }
   */
  readonly sources: readonly string[];
  /** The actor's state: what was committed at the last barrier, or what `setState` set since. */
  readonly state: State;
  /**
   * Replaces the actor's state. Committed at the barrier; discarded if the superstep fails. State is
   * frozen once committed, so update immutably (`setState({ ...ctx.state, n: ctx.state.n + 1 })`).
   */
  setState(next: State): void;
  /** Sends a message, delivered in the next superstep (guarantee 1). */
  send(message: Out, options?: SendOptions): void;
  /** Yields a workflow output; it becomes an `output` event when the superstep commits. */
  yieldOutput(value: Output): void;
  /** Emits a custom event (streamed at once). `name` cannot be a framework event type (guarantee 14). */
  emit(name: string, data?: unknown): void;
  /**
   * Asks a question outside the workflow (a human, another system) and returns its request id at once.
   * The request becomes pending at the barrier and is streamed as a `request` event; the answer arrives
   * in a later superstep at this executor's `onResponse` handler (guarantees 17–18). Other actors go on.
   */
  request(data: unknown, options?: RequestOptions): string;
  /** Workflow-scoped shared state (guarantee 45). */
  readonly shared: SharedState;
  /** Aborted when the run is cancelled: long handlers should check it. */
  readonly signal: AbortSignal;
}

export type Handler<In, State, Out, Output = unknown> = (
  message: In,
  context: ExecutorContext<State, Out, Output>,
) => void | Promise<void>;

/**
 * A gathering executor's handler (`gather: true`): every message delivered to it in one superstep, in one
 * call (guarantee 58). `context.sources[i]` sent `messages[i]`.
 */
export type GatherHandler<In, State, Out, Output = unknown> = (
  messages: readonly In[],
  context: ExecutorContext<State, Out, Output>,
) => void | Promise<void>;

/** Messages that carry a string `type` can be dispatched to one handler per type. */
interface TypedMessage {
  readonly type: string;
}
type HandlersByType<In, State, Out, Output> = [In] extends [TypedMessage]
  ? { readonly [K in In['type']]?: Handler<Extract<In, { type: K }>, State, Out, Output> }
  : Record<string, Handler<never, State, Out, Output>>;

interface DefinitionCommon<State, Out, Output, Response> {
  /**
   * A stateless executor keeps no actor state, so the runtime may spread its messages over every
   * worker thread and run them in parallel (one invocation per message). Use it for CPU work.
   */
  readonly stateless?: boolean;
  /** Makes the initial actor state (msgpack-serialisable). Called in the worker that holds the actor. */
  readonly initialState?: () => State;
  /**
   * Runs on `workflow.reset()` in every worker that loaded this executor, before any state changes. Use it
   * to clear caches the executor keeps outside its state. If it throws, the reset is abandoned and the
   * instance is left exactly as it was (guarantee 35). It receives which executor and which thread it runs
   * for, so a hook that keeps caches per executor id (one module can back several executors) clears only its
   * own.
   *
   * @example
   * const caches = new Map<string, Map<string, number>>();
   * export const scorer = defineExecutor<string>({
   *   reset: ({ executorId }) => void caches.delete(executorId),
   *   handle(word, ctx) {
   *     const cache = caches.get(ctx.executorId) ?? new Map<string, number>();
   *     caches.set(ctx.executorId, cache.set(word, word.length));
   *   },
   * });
   */
  readonly reset?: (context: ResetContext) => void | Promise<void>;
  /**
   * Receives answers to this executor's requests, with the original request (guarantee 18). `response.value`
   * has the type `responseSchema` produces.
   */
  readonly onResponse?: (
    response: RequestResponse<unknown, Response>,
    context: ExecutorContext<State, Out, Output>,
  ) => void | Promise<void>;
  /**
   * Validates answers before they are accepted: any Standard Schema validator (zod, valibot, arktype…).
   * A rejected value makes `respond()` fail with `RESPONSE_INVALID` and changes nothing (guarantee 20). Its
   * output type is the type of `response.value` in `onResponse`.
   */
  readonly responseSchema?: StandardSchemaV1<unknown, Response>;
  /**
   * A hard limit per message, in ms (guarantee 40): a handler still running after it has its worker terminated
   * and the superstep fails with `EXECUTOR_TIMEOUT` (the same mechanism as cancellation).
   */
  readonly timeoutMs?: number;
  /** Retries of a failing handler call (guarantee 40). */
  readonly retry?: RetryPolicy;
}

/** Options for {@link defineExecutor}: exactly one of `handle` or `on`. */
export type ExecutorOptions<In, Out, State, Output = unknown, Response = unknown> = DefinitionCommon<
  State,
  Out,
  Output,
  Response
> &
  (
    | {
        readonly gather?: false;
        /** Handles every message sent to this executor. */
        readonly handle: Handler<In, State, Out, Output>;
        readonly on?: never;
      }
    | {
        /**
         * Gathers: the handler is called once per superstep with every message delivered to this executor in
         * it, as one list in queue order, whichever threads sent them (guarantee 58) — the way to collect a
         * fan-out over a list known only at run time, with no count passed along. Answers to its requests
         * still go to `onResponse` one by one, before the gathered call. One actor: not `stateless`.
         *
         * @example
         * export const total = defineExecutor<number, never, undefined, number>({
         *   gather: true,
         *   handle(parts, ctx) {
         *     ctx.yieldOutput(parts.reduce((sum, n) => sum + n, 0)); // ctx.sources[i] sent parts[i]
         *   },
         * });
         */
        readonly gather: true;
        readonly stateless?: false;
        readonly handle: GatherHandler<In, State, Out, Output>;
        readonly on?: never;
      }
    | {
        readonly gather?: false;
        readonly handle?: never;
        /**
         * One handler per message `type`. A message whose `type` has no handler is not dropped silently:
         * it becomes a `warning` event (code `MESSAGE_UNHANDLED`, guarantee 12).
         */
        readonly on: HandlersByType<In, State, Out, Output>;
      }
  );

/**
 * A loaded executor definition. `In` (messages it takes), `Out` (messages it sends), `Output` (what it
 * yields as workflow outputs) and `State` are phantom types that guide the builder.
 */
export interface ExecutorDefinition<
  In = unknown,
  Out = unknown,
  State = unknown,
  Output = unknown,
  Response = unknown,
> {
  readonly [EXECUTOR_BRAND]: true;
  readonly stateless: boolean;
  /** Whether `handle` takes every message of a superstep as one list (see `ExecutorOptions.gather`). */
  readonly gather: boolean;
  readonly initialState: (() => State) | undefined;
  readonly reset: ((context: ResetContext) => void | Promise<void>) | undefined;
  readonly onResponse:
    | ((
        response: RequestResponse<unknown, Response>,
        context: ExecutorContext<State, Out, Output>,
      ) => void | Promise<void>)
    | undefined;
  readonly responseSchema: StandardSchemaV1<unknown, Response> | undefined;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  /** For a gathering executor, called with the list of messages (a {@link GatherHandler}). */
  readonly handle: Handler<In, State, Out, Output> | undefined;
  readonly on: Readonly<Record<string, Handler<never, State, Out, Output>>> | undefined;
  /** Type-level only (never set at run time): carries the message types the builder checks edges with. */
  readonly __types?: { in: In; out: Out; state: State; output: Output };
}

/**
 * Defines an executor. Export the result from a module; the workflow builder refers to it by module
 * URL and export name, and every worker thread imports it from there (guarantee 13).
 *
 * The type parameters: `In` what it takes, `Out` what it `send`s, `State` its actor state, `Output` what it
 * `yieldOutput`s, `Response` the answers `onResponse` gets. The builder checks edges against `In` and `Out`
 * and gives a run's `outputs` the union of the executors' `Output`s; an unnamed one is `unknown`, which the
 * builder does not check. `Response` is inferred from `responseSchema` when no type argument is given.
 *
 * @example
 * // executors.ts — imports only the worker-safe entry
 * import { defineExecutor } from '@superstep/runtime/executor';
 *
 * export const counter = defineExecutor<number, number, { total: number }>({
 *   initialState: () => ({ total: 0 }),
 *   handle(n, ctx) {
 *     const total = ctx.state.total + n;
 *     ctx.setState({ total });
 *     ctx.send(total);
 *   },
 * });
 *
 * // takes text, sends nothing, yields one word count per text; no state
 * export const wordCount = defineExecutor<string, never, undefined, number>({
 *   handle(text, ctx) {
 *     ctx.yieldOutput(text.split(' ').length);
 *   },
 * });
 */
export function defineExecutor<In = unknown, Out = unknown, State = undefined, Output = unknown, Response = unknown>(
  options: ExecutorOptions<In, Out, State, Output, Response>,
): ExecutorDefinition<In, Out, State, Output, Response> {
  const handle = options.handle as Handler<In, State, Out, Output> | undefined;
  const gather = options.gather === true;
  const on = options.on as Record<string, Handler<never, State, Out, Output>> | undefined;
  const invalid = (message: string, option: string): SuperstepError =>
    new SuperstepError('INVALID_OPTION', `defineExecutor: ${message}`, { details: { option } });
  if ((handle === undefined) === (on === undefined))
    throw invalid('give exactly one of options.handle or options.on', 'handle');
  if (gather && handle === undefined) throw invalid('a gathering executor needs options.handle', 'gather');
  if (gather && (options.stateless as boolean | undefined) === true) {
    throw invalid('a gathering executor is one actor: it cannot be stateless', 'gather');
  }
  if (options.stateless === true && options.initialState !== undefined) {
    throw invalid('a stateless executor cannot have options.initialState', 'initialState');
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw invalid('options.timeoutMs must be a number > 0', 'timeoutMs');
  }
  if (options.retry !== undefined) checkRetryPolicy(options.retry);
  return Object.freeze({
    [EXECUTOR_BRAND]: true as const,
    stateless: options.stateless === true,
    gather,
    initialState: options.initialState,
    reset: options.reset,
    onResponse: options.onResponse,
    responseSchema: options.responseSchema,
    timeoutMs: options.timeoutMs,
    retry: options.retry === undefined ? undefined : Object.freeze({ ...options.retry }),
    handle,
    on: on === undefined ? undefined : Object.freeze({ ...on }),
  });
}

/** True if `value` was made by {@link defineExecutor} (in any copy of this module). */
export function isExecutorDefinition(value: unknown): value is ExecutorDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[EXECUTOR_BRAND] === true;
}
