import { defineExecutor, type ExecutorDefinition } from '@superstep/runtime/executor';
import { checkEmit, checkInteger, deliver, invalidOption, type EmitMode, type Emitter } from './options.ts';
import { workingState } from './working-state.ts';

/** Options of {@link join}. */
export interface JoinOptions<Source extends string> {
  /** The executor ids whose messages are joined (told apart by `ctx.source`); at least one, no repeats. */
  readonly sources: readonly Source[];
  /**
   * Give up waiting for missing sources once a message arrives more than this many supersteps after the
   * round's first contribution: the round is emitted with `partial: true`. Checked only when a message
   * arrives (see {@link join}). Default: wait for ever.
   */
  readonly timeoutSupersteps?: number;
  /** `'send'` (default): along the outgoing edges; `'output'`: as a workflow output; `'both'`. */
  readonly emit?: EmitMode;
}

/** What {@link join} emits: one round, one message per source. */
export interface Joined<In, Source extends string = string> {
  /** Each contributing source's message. A partial round lacks the sources in `missing`. */
  readonly values: Partial<Record<Source, In>>;
  /** True when the round was emitted by the timeout, before every source contributed. */
  readonly partial: boolean;
  /** Sources that had not contributed (empty unless `partial`). */
  readonly missing: readonly Source[];
  /** The superstep of the round's first contribution. */
  readonly since: number;
}

/** The actor state of a {@link join} executor. */
export interface JoinState<In> {
  /** The round being filled: its first contribution's superstep and one message per source so far. */
  readonly round: { readonly since: number; readonly values: Readonly<Record<string, In>> } | null;
  /** Messages of sources that already filled their slot in the round, oldest first, for the next rounds. */
  readonly queued: Readonly<Record<string, readonly In[]>>;
}

interface MutableJoinState<In> {
  round: { since: number; values: Record<string, In> } | null;
  queued: Record<string, In[]>;
}

/**
 * A stateful join by sender: collects one message from each of `sources` (told apart by `ctx.source`) and
 * emits them as one record once every source has contributed. Messages from a source whose slot is already
 * filled wait, in order, for the next round. Unlike a builder fan-in (`addFanIn`), it knows which message
 * came from whom, and it can stop waiting.
 *
 * The timeout is counted in supersteps, because a BSP run has no timer and an actor only runs in a
 * superstep in which it has messages. So the timeout is checked only when a message arrives: a message that
 * arrives more than `timeoutSupersteps` after the round's first contribution finds the round expired, which
 * is then emitted with `partial: true` (listing the `missing` sources) before the message starts a new
 * round. If no message arrives after the deadline, the partial round is never emitted — the run goes idle
 * with it in the join's state. Pair it with a source that keeps sending (a heartbeat) if that matters.
 *
 * Wire every source to the join with an edge; a message from any other sender fails the handler.
 *
 * @example
 * import { join } from '@superstep/executors';
 * export const quotes = join({ sources: ['fast-api', 'slow-api'], timeoutSupersteps: 3 });
 *
 * // main.ts
 * builder.addEdge('fast-api', mod.executor('quotes')).addEdge('slow-api', 'quotes');
 */
export function join<In, const Source extends string = string>(
  options: JoinOptions<Source>,
): ExecutorDefinition<In, Joined<In, Source>, JoinState<In>, Joined<In, Source>> {
  const sources = options.sources as unknown;
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((s) => typeof s === 'string' && s.length > 0)) {
    throw invalidOption('join', 'sources', 'a non-empty array of executor ids', sources);
  }
  if (new Set(sources).size !== sources.length) throw invalidOption('join', 'sources', 'free of repeats', sources);
  checkInteger('join', 'timeoutSupersteps', options.timeoutSupersteps, 0, false);
  const emit = checkEmit('join', options.emit);
  const timeout = options.timeoutSupersteps;
  const all = [...options.sources];

  const emitRound = (
    context: Emitter<Joined<In, Source>>,
    round: { since: number; values: Record<string, In> },
    partial: boolean,
  ): void => {
    const missing = all.filter((source) => !Object.hasOwn(round.values, source));
    deliver(
      context,
      { values: round.values as Partial<Record<Source, In>>, partial, missing, since: round.since },
      emit,
    );
  };

  return defineExecutor<In, Joined<In, Source>, JoinState<In>, Joined<In, Source>>({
    initialState: () => ({ round: null, queued: {} }),
    handle(message, context) {
      const source = context.source;
      if (!all.includes(source as Source)) {
        throw new Error(
          `join "${context.executorId}": a message from "${source}", which is not one of its sources (${all.join(', ')})`,
        );
      }
      const state = workingState(context) as MutableJoinState<In>;
      if (state.round !== null && timeout !== undefined && context.superstep > state.round.since + timeout) {
        emitRound(context, state.round, true);
        state.round = null;
      }
      (state.queued[source] ??= []).push(message);
      // Fill rounds from the queues, oldest message first; emit every round that completes.
      for (;;) {
        const round = (state.round ??= { since: context.superstep, values: {} });
        for (const id of all) {
          const queue = state.queued[id];
          if (Object.hasOwn(round.values, id) || queue === undefined || queue.length === 0) continue;
          round.values[id] = queue.shift() as In;
          if (queue.length === 0) Reflect.deleteProperty(state.queued, id);
        }
        if (!all.every((id) => Object.hasOwn(round.values, id))) break;
        emitRound(context, round, false);
        state.round = null;
        if (Object.keys(state.queued).length === 0) break;
      }
      if (state.round !== null && Object.keys(state.round.values).length === 0) state.round = null;
    },
  });
}
