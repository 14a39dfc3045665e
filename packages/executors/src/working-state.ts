/**
 * Copy-on-write actor state for the stateful factories (reduce, batch, dedupe, join).
 *
 * Why: the runtime deep-freezes state once it is committed, so rollback can rely on it never changing. A
 * fold that copied its whole state on every message would be O(n²) in the messages of a superstep (and
 * `setState` checks the whole value for serialisability each time). Instead, the first message of a
 * superstep copies the committed state once and makes the copy the draft with `setState`; later messages of
 * the same superstep find the unfrozen draft (`ctx.state` returns it) and update it in place. The runtime
 * snapshots the draft at the barrier and freezes it there; if the superstep fails, the draft is dropped and
 * the committed state, never touched, is what the actor has.
 *
 * Not for executors with a retry policy: a retried call would see what its failed attempt changed in place.
 * None of the factories that use it offers `retry`.
 */
import type { ExecutorContext } from '@superstep/runtime/executor';

/** The actor's state as a private, mutable copy for the rest of this superstep. */
export function workingState<S extends object>(context: ExecutorContext<S>): S {
  const state = context.state;
  if (!Object.isFrozen(state)) return state;
  const copy = structuredClone(state);
  context.setState(copy);
  return copy;
}
