import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { invalidOption } from './options.ts';

/** Options of {@link collect}. */
export interface CollectOptions {
  /** A message that is an array (from a fan-in or a `batch`) is yielded item by item. Default false. */
  readonly flatten?: boolean;
}

/** What {@link collect} yields: each message, or with `flatten`, the items of one that is an array. */
export type Collected<T> = T extends readonly (infer Item)[] ? T | Item : T;

/**
 * A sink that yields every message it receives as a workflow output (an `output` event, and an entry of
 * `result().outputs`), in the order it receives them. Put it at the end of a pipeline.
 *
 * It is one actor (not stateless, though it keeps no state): yielding costs next to nothing, and one
 * mailbox keeps the outputs in arrival order — a stateless sink would spread its messages over the threads,
 * and the outputs of one superstep would come thread by thread.
 *
 * It cannot gather "everything of one superstep" into one array: a handler sees one message at a time and
 * cannot tell the last one of its mailbox. To get arrays, put a fan-in (`addFanIn`) or a `batch` before it;
 * to get everything of a run, read `result().outputs`.
 *
 * @example
 * import { collect } from '@superstep/executors';
 * export const results = collect();
 *
 * // main.ts
 * const { outputs } = await workflow.run(input).result();
 */
export function collect<T>(options: CollectOptions = {}): ExecutorDefinition<T, never, undefined, Collected<T>> {
  if (options.flatten !== undefined && typeof options.flatten !== 'boolean') {
    throw invalidOption('collect', 'flatten', 'a boolean', options.flatten);
  }
  const flatten = options.flatten === true;
  return defineExecutor<T, never, undefined, Collected<T>>({
    handle(message, context) {
      if (flatten && Array.isArray(message)) for (const item of message as Collected<T>[]) context.yieldOutput(item);
      else context.yieldOutput(message as Collected<T>);
    },
  });
}
