import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { passThrough, type StatelessOptions } from './map.ts';
import { checkEmit, checkFunction, deliver, type HandlerInfo } from './options.ts';

/**
 * A stateless executor that passes on the messages `predicate` accepts and drops the others. With a type
 * guard, the executor's output type is narrowed.
 *
 * @example
 * import { filter } from '@superstep/executors';
 * export const evens = filter((n: number) => n % 2 === 0);
 * export const errors = filter((e: LogEntry): e is ErrorEntry => e.level === 'error');
 */
export function filter<In, Out extends In>(
  predicate: (message: In, info: HandlerInfo) => message is Out,
  options?: StatelessOptions,
): ExecutorDefinition<In, Out, undefined, Out>;
export function filter<In>(
  predicate: (message: In, info: HandlerInfo) => boolean | Promise<boolean>,
  options?: StatelessOptions,
): ExecutorDefinition<In, In, undefined, In>;
export function filter<In>(
  predicate: (message: In, info: HandlerInfo) => boolean | Promise<boolean>,
  options: StatelessOptions = {},
): ExecutorDefinition<In, In, undefined, In> {
  checkFunction('filter', 'predicate', predicate, true);
  const emit = checkEmit('filter', options.emit);
  return defineExecutor<In, In, undefined, In>({
    stateless: true,
    ...passThrough(options),
    async handle(message, context) {
      if (await predicate(message, context)) deliver(context, message, emit);
    },
  });
}
