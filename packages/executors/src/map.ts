import { defineExecutor, type ExecutorDefinition, type RetryPolicy } from '@superstep/runtime/executor';
import { checkEmit, checkFunction, deliver, type EmitMode, type HandlerInfo } from './options.ts';

/** Options of the stateless factories ({@link map}, `flatMap`, `filter`). */
export interface StatelessOptions {
  /** `'send'` (default): along the outgoing edges; `'output'`: as workflow outputs; `'both'`. */
  readonly emit?: EmitMode;
  /** A hard limit per message, in ms (the executor's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** Retries of a failing call, per message (the executor's `retry`). */
  readonly retry?: RetryPolicy;
}

/**
 * A stateless executor that applies `fn` to each message and sends the result. Its messages are spread
 * round-robin over every worker thread, so this is the factory for CPU work. `fn` may be async; a result
 * of `undefined` sends nothing (so a map can also drop messages).
 *
 * @example
 * // executors.ts (worker-safe)
 * import { map } from '@superstep/executors';
 * export const square = map((n: number) => n * n);
 * export const fetchTitle = map(async (url: string) => (await fetch(url)).statusText, { timeoutMs: 5_000 });
 *
 * // main.ts
 * builder.addEdge('numbers', mod.executor('square'));
 */
export function map<In, Out>(
  fn: (message: In, info: HandlerInfo) => Out | Promise<Out>,
  options: StatelessOptions = {},
): ExecutorDefinition<In, Exclude<Out, undefined>, undefined, Exclude<Out, undefined>> {
  checkFunction('map', 'fn', fn, true);
  const emit = checkEmit('map', options.emit);
  return defineExecutor<In, Exclude<Out, undefined>, undefined, Exclude<Out, undefined>>({
    stateless: true,
    ...passThrough(options),
    async handle(message, context) {
      const result = await fn(message, context);
      if (result !== undefined) deliver(context, result as Exclude<Out, undefined>, emit);
    },
  });
}

/** The executor options a stateless factory passes on as they are (defineExecutor checks them). */
export function passThrough(options: StatelessOptions): { timeoutMs?: number; retry?: RetryPolicy } {
  return {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  };
}
