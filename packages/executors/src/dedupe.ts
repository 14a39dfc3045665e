import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { checkFunction, checkInteger } from './options.ts';
import { stableKey } from './stable-key.ts';
import { workingState } from './working-state.ts';

/** Options of {@link dedupe}. */
export interface DedupeOptions<T> {
  /** What makes two messages "the same". Default: the message's content ({@link stableKey}: key order ignored). */
  readonly key?: (message: T) => string | number;
  /**
   * Remember at most this many keys; past it the oldest is forgotten (so a very old repeat passes again).
   * Default: remember every key for the life of the instance (until `workflow.reset()`).
   */
  readonly max?: number;
}

/** The actor state of a {@link dedupe} executor. */
export interface DedupeState {
  /** Remembered keys, each prefixed with `k` (so no key can be `__proto__`). */
  readonly seen: Readonly<Record<string, true>>;
  /** With `max`: a ring of the remembered keys, oldest at `next`. */
  readonly ring: readonly (string | null)[];
  readonly next: number;
}

/**
 * A stateful executor that passes on each message the first time it sees it and drops repeats. The
 * remembered keys are its actor state: they survive supersteps and runs, are checkpointed, and are cleared
 * by `workflow.reset()`. A bound (`max`) keeps the state from growing for ever.
 *
 * @example
 * import { dedupe } from '@superstep/executors';
 * export const uniqueOrders = dedupe({ key: (order: Order) => order.id, max: 100_000 });
 */
export function dedupe<T>(options: DedupeOptions<T> = {}): ExecutorDefinition<T, T, DedupeState> {
  checkFunction('dedupe', 'key', options.key, false);
  checkInteger('dedupe', 'max', options.max, 1, false);
  const keyOf = options.key ?? stableKey;
  const max = options.max;

  return defineExecutor<T, T, DedupeState>({
    initialState: () => ({ seen: {}, ring: [], next: 0 }),
    handle(message, context) {
      const key = `k${String(keyOf(message))}`;
      if (Object.hasOwn(context.state.seen, key)) return;
      const state = workingState(context) as { seen: Record<string, true>; ring: (string | null)[]; next: number };
      state.seen[key] = true;
      if (max !== undefined) {
        const oldest = state.ring[state.next];
        if (typeof oldest === 'string') Reflect.deleteProperty(state.seen, oldest);
        state.ring[state.next] = key;
        state.next = (state.next + 1) % max;
      }
      context.send(message);
    },
  });
}
