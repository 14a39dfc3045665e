import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import {
  checkEmit,
  checkFunction,
  checkInteger,
  deliver,
  invalidOption,
  type EmitMode,
  type HandlerInfo,
} from './options.ts';
import { workingState } from './working-state.ts';

/** Options of {@link reduce}. */
export interface ReduceOptions<In, Acc, Out = Acc> {
  /**
   * The accumulator to start from, and to start again from after an emission with `reset`: a value (copied
   * for each start) or a function that makes one. Plain data: it is the actor's state.
   */
  readonly initial: Acc | (() => Acc);
  /**
   * Folds one message into the accumulator and returns it. It may update `acc` in place and return it: the
   * executor hands it a private copy of its committed state (copied once per superstep), never the frozen
   * committed value. What it returns must stay plain, serialisable data (it is checked when the superstep's
   * copy is made, not after each in-place change).
   */
  readonly step: (acc: Acc, message: In, info: HandlerInfo) => Acc;
  /** Emit when this returns true, after the message was folded in; `count` counts messages since the last reset. */
  readonly emitWhen?: (acc: Acc, count: number, message: In) => boolean;
  /** Emit when the `emitAt`-th message since the last reset has been folded in (a tumbling window of N). */
  readonly emitAt?: number;
  /**
   * Start again from `initial` after each emission. Default: true when `emitWhen` or `emitAt` is given;
   * without either, the executor emits its running accumulator after every message and never resets.
   */
  readonly reset?: boolean;
  /** `'send'` (default): along the outgoing edges; `'output'`: as a workflow output; `'both'`. */
  readonly emit?: EmitMode;
  /** What is emitted: by default the accumulator itself. */
  readonly project?: (acc: Acc, count: number) => Out;
}

/** The actor state of a {@link reduce} executor. */
export interface ReduceState<Acc> {
  readonly acc: Acc;
  /** Messages folded in since the last reset. */
  readonly count: number;
}

/**
 * A stateful fold (one actor, pinned to one thread; its messages are handled one at a time, in order).
 * Each message is folded into the accumulator with `step`; the executor emits — sends, yields an output, or
 * both — when `emitWhen(acc, count)` is true or the `emitAt`-th message arrived, then (by default) starts
 * again from `initial`. Without a condition it emits the running accumulator after every message.
 *
 * There is no timer in a BSP run, so a reduce cannot emit "after a while": emit on a count, on the
 * accumulated data, or on a marker message that `emitWhen` recognises.
 *
 * @example
 * import { reduce } from '@superstep/executors';
 * // Running total, sent after each number.
 * export const total = reduce({ initial: 0, step: (sum, n: number) => sum + n });
 * // Word counts of `of` partial counts, merged in place; one output once all have arrived.
 * export const merge = reduce({
 *   initial: () => ({} as Record<string, number>),
 *   step: (acc, part: { counts: Record<string, number>; of: number }) => {
 *     for (const [word, n] of Object.entries(part.counts)) acc[word] = (acc[word] ?? 0) + n;
 *     return acc;
 *   },
 *   emitWhen: (_acc, count, part) => count === part.of,
 *   emit: 'output',
 * });
 */
export function reduce<In, Acc, Out = Acc>(
  options: ReduceOptions<In, Acc, Out>,
): ExecutorDefinition<In, Out, ReduceState<Acc>, Out> {
  checkFunction('reduce', 'step', options.step, true);
  checkFunction('reduce', 'emitWhen', options.emitWhen, false);
  checkFunction('reduce', 'project', options.project, false);
  checkInteger('reduce', 'emitAt', options.emitAt, 1, false);
  if (options.reset !== undefined && typeof options.reset !== 'boolean') {
    throw invalidOption('reduce', 'reset', 'a boolean', options.reset);
  }
  if (!('initial' in options)) throw invalidOption('reduce', 'initial', 'a value or a function', undefined);
  const emit = checkEmit('reduce', options.emit);
  const { step, emitWhen, emitAt, project } = options;
  const conditional = emitWhen !== undefined || emitAt !== undefined;
  const reset = options.reset ?? conditional;
  const initial = options.initial;
  const fresh = (): Acc => (typeof initial === 'function' ? (initial as () => Acc)() : structuredClone(initial));

  return defineExecutor<In, Out, ReduceState<Acc>, Out>({
    initialState: () => ({ acc: fresh(), count: 0 }),
    handle(message, context) {
      const state = workingState(context) as { acc: Acc; count: number };
      state.acc = step(state.acc, message, context);
      state.count += 1;
      const due = !conditional || state.count === emitAt || emitWhen?.(state.acc, state.count, message) === true;
      if (!due) return;
      const out = project === undefined ? (state.acc as unknown as Out) : project(state.acc, state.count);
      if (reset) {
        state.acc = fresh();
        state.count = 0;
        deliver(context, out, emit);
      } else {
        // The accumulator goes on changing in place in this superstep: emit a copy of it.
        deliver(context, structuredClone(out), emit);
      }
    },
  });
}
