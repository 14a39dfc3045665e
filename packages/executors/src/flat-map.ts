import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { passThrough, type StatelessOptions } from './map.ts';
import { checkEmit, checkFunction, deliver, type HandlerInfo } from './options.ts';

/**
 * A stateless executor that turns each message into any number of messages: `fn` returns an iterable (an
 * array, a generator…) and every item is sent as its own message, in order. Use it to split work into
 * pieces that a following stateless {@link map} spreads over every thread.
 *
 * @example
 * import { flatMap } from '@superstep/executors';
 * export const paragraphs = flatMap((text: string) => text.split(/\n{2,}/));
 */
export function flatMap<In, Out>(
  fn: (message: In, info: HandlerInfo) => Iterable<Out> | Promise<Iterable<Out>>,
  options: StatelessOptions = {},
): ExecutorDefinition<In, Out, undefined, Out> {
  checkFunction('flatMap', 'fn', fn, true);
  const emit = checkEmit('flatMap', options.emit);
  return defineExecutor<In, Out, undefined, Out>({
    stateless: true,
    ...passThrough(options),
    async handle(message, context) {
      for (const item of await fn(message, context)) deliver(context, item, emit);
    },
  });
}
