import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { checkEmit, checkFunction, deliver, invalidOption, type EmitMode } from './options.ts';
import { workingState } from './working-state.ts';

/** The message that makes a {@link batch} emit what it holds (unless `isFlush` says otherwise). */
export interface FlushMessage {
  readonly type: 'flush';
}

/** A {@link FlushMessage}, to send to a batch: `ctx.send(FLUSH)`. */
export const FLUSH: FlushMessage = Object.freeze({ type: 'flush' });

/** True for a `{ type: 'flush' }` message: the default `isFlush` of {@link batch}. */
export function isFlushMessage(message: unknown): message is FlushMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'flush';
}

/** Options of {@link batch}. */
export interface BatchOptions<T> {
  /** Emit once this many messages are held. `Infinity`: only flushes emit. */
  readonly size: number;
  /**
   * Never let a batch span supersteps: when the first message of a later superstep arrives, what is held
   * from an earlier one is emitted first, as its own (smaller) batch. Default false.
   */
  readonly flushEachSuperstep?: boolean;
  /** Which messages are flush markers rather than items. Default {@link isFlushMessage}. */
  readonly isFlush?: (message: T | FlushMessage) => boolean;
  /** `'send'` (default): along the outgoing edges; `'output'`: as a workflow output; `'both'`. */
  readonly emit?: EmitMode;
}

/** The actor state of a {@link batch} executor. */
export interface BatchState<T> {
  readonly items: readonly T[];
  /** The superstep in which the first held item arrived. */
  readonly since: number;
}

/**
 * A stateful executor that groups messages into arrays of `size` and emits each full array as one message.
 * A remainder is emitted by a flush marker (`{ type: 'flush' }`, see {@link FLUSH}; a flush with nothing
 * held emits nothing) or, with `flushEachSuperstep`, when a later superstep's first message arrives.
 *
 * What it cannot do, and why: a handler sees one message at a time and cannot tell the last message of its
 * mailbox, and an actor runs only in a superstep in which it has messages (there is no timer or tick), so
 * time windows ("every 100 ms") and "at the end of this superstep" are not possible, and a remainder held
 * when the run goes idle stays in the state until a flush arrives. Have the producer send `FLUSH` after its
 * last item: messages from one sender arrive in send order, so the flush comes after them.
 *
 * @example
 * import { batch } from '@superstep/executors';
 * export const rows = batch<Row>({ size: 500 });
 *
 * // the producer, after its last row:
 * ctx.send(FLUSH);
 */
export function batch<T>(options: BatchOptions<T>): ExecutorDefinition<T | FlushMessage, T[], BatchState<T>, T[]> {
  const size = options.size as unknown;
  if (typeof size !== 'number' || !(size === Infinity || (Number.isInteger(size) && size >= 1))) {
    throw invalidOption('batch', 'size', 'an integer ≥ 1 or Infinity', size);
  }
  if (options.flushEachSuperstep !== undefined && typeof options.flushEachSuperstep !== 'boolean') {
    throw invalidOption('batch', 'flushEachSuperstep', 'a boolean', options.flushEachSuperstep);
  }
  checkFunction('batch', 'isFlush', options.isFlush, false);
  const emit = checkEmit('batch', options.emit);
  const isFlush = options.isFlush ?? isFlushMessage;
  const eachSuperstep = options.flushEachSuperstep === true;

  return defineExecutor<T | FlushMessage, T[], BatchState<T>, T[]>({
    initialState: () => ({ items: [], since: 0 }),
    handle(message, context) {
      const held = context.state.items.length;
      const flush = isFlush(message);
      const stale = eachSuperstep && held > 0 && context.state.since < context.superstep;
      if (flush && held === 0) return;
      const state = workingState(context) as { items: T[]; since: number };
      if (flush || stale) {
        deliver(context, state.items, emit);
        state.items = [];
        if (flush) return;
      }
      if (state.items.length === 0) state.since = context.superstep;
      state.items.push(message as T);
      if (state.items.length >= size) {
        deliver(context, state.items, emit);
        state.items = [];
      }
    },
  });
}
