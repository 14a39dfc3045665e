/**
 * The LangGraph.js peer (`@langchain/langgraph`, version pinned by the lockfile), used as its documentation
 * shows: a `StateGraph` over an `Annotation` state, `compile()`, `invoke()`, with its defaults (no
 * checkpointer). Two graphs:
 *
 * - {@link buildLangGraphFanout} — the docs' map-reduce: a conditional edge from `START` returns one
 *   `Send('work', task)` per task, every `work` node appends its checksum through a reducer channel, and a
 *   `join` node (reached by a plain edge from `work`) sums them.
 * - {@link buildLangGraphRing} — `superstep-overhead`'s shape: A no-op nodes in a ring, every node invoked
 *   once per step.
 *
 * LangGraph runs every node on the main thread; its fan-outs of 11+ tasks add 11+ `abort` listeners to
 * one internal `AbortSignal`, which Node reports as a `MaxListenersExceededWarning` (a known LangGraph.js
 * issue, not a leak here). {@link invokeQuietly} raises the default listener limit only while LangGraph
 * runs, so the warning does not spam the bench output and the runtime's own emitters keep the default.
 */
import { Annotation, END, START, Send, StateGraph } from '@langchain/langgraph';
import { EventEmitter } from 'node:events';
import { cpuWork, taskSeed } from './cpu-work.ts';

/** Above the largest fan-out a bench graph makes (64 ring nodes, a few dozen Send tasks). */
const LANGGRAPH_LISTENER_LIMIT = 1024;

/**
 * Runs `invoke` with `EventEmitter.defaultMaxListeners` raised. An `AbortSignal` takes its limit from that
 * default when it is created, and LangGraph creates its signals inside `invoke`, so the raised limit
 * reaches exactly those; the previous default is restored afterwards (nothing else runs meanwhile).
 */
export async function invokeQuietly<T>(invoke: () => Promise<T>): Promise<T> {
  const previous = EventEmitter.defaultMaxListeners;
  EventEmitter.defaultMaxListeners = Math.max(previous, LANGGRAPH_LISTENER_LIMIT);
  try {
    return await invoke();
  } finally {
    EventEmitter.defaultMaxListeners = previous;
  }
}

// ---- fanout-cpu: Send map-reduce ---------------------------------------------------------------------

const FanoutState = Annotation.Root({
  tasks: Annotation<number>,
  iterations: Annotation<number>,
  /** Every `work` node's checksum; the reducer concatenates the writes of one step. */
  checksums: Annotation<number[]>({ reducer: (left, right) => left.concat(right), default: () => [] }),
  total: Annotation<number>,
});

/** What one `Send` carries to a `work` node. */
interface WorkTask {
  readonly seed: number;
  readonly iterations: number;
}

/** A compiled map-reduce graph: `run()` fans `tasks` CPU tasks out with `Send` and returns the join's sum. */
export function buildLangGraphFanout(work: { readonly tasks: number; readonly iterations: number }): {
  run(): Promise<number>;
} {
  const graph = new StateGraph(FanoutState)
    .addNode('work', (task: WorkTask) => ({ checksums: [cpuWork(task.iterations, task.seed)] }))
    .addNode('join', (state: typeof FanoutState.State) => ({
      total: state.checksums.reduce((sum, checksum) => sum + checksum, 0),
    }))
    .addConditionalEdges(START, (state: typeof FanoutState.State) =>
      Array.from(
        { length: state.tasks },
        (_, index) => new Send('work', { seed: taskSeed(index), iterations: state.iterations }),
      ),
    )
    .addEdge('work', 'join')
    .addEdge('join', END)
    .compile();
  return {
    async run() {
      const result = await invokeQuietly(() => graph.invoke({ tasks: work.tasks, iterations: work.iterations }));
      return result.total;
    },
  };
}

// ---- superstep-overhead: a ring of no-op nodes -------------------------------------------------------

const RingState = Annotation.Root({
  /** The input; never written by a node (the nodes are no-ops). */
  steps: Annotation<number>,
});

/**
 * The ring of `superstep-overhead` on LangGraph: `START` has an edge to each of A nodes `a0…a(A−1)`, and
 * each node a conditional edge to the next one in the ring, so every node runs once in every step — the
 * same A handler calls per step as superstep's A relays.
 *
 * Why this shape: superstep's relay forwards one tiny message per step; in LangGraph the edge itself is
 * that message (a node's completion writes the next node's trigger channel). A node that returns nothing
 * is LangGraph's no-op, and a conditional edge is its documented way to stop a cycle: it routes to the
 * next node while `config.metadata.langgraph_step` (the Pregel step, 1 for the first nodes) is below S,
 * then to `END`. `Send` or `Command` could carry the counter as a payload, but they are the dynamic
 * routes and cost more per task; static edges give LangGraph its cheapest step. LangGraph counts every
 * step against `recursionLimit` (default 25), so `run()` raises it to S + 1.
 *
 * `run()` returns the number of node invocations, A × S, as a check.
 */
export function buildLangGraphRing(actors: number, steps: number): { run(): Promise<number> } {
  let invocations = 0;
  const names = Array.from({ length: actors }, (_, index) => `a${index}`);
  const nodes = names.map((name): [string, () => Record<string, never>] => [
    name,
    () => {
      invocations++;
      return {};
    },
  ]);
  let graph = new StateGraph(RingState).addNode(nodes);
  for (const name of names) graph = graph.addEdge(START, name);
  names.forEach((name, index) => {
    const next = names[(index + 1) % actors] ?? name;
    graph = graph.addConditionalEdges(
      name,
      (_state, config) => (((config.metadata?.langgraph_step as number | undefined) ?? 0) < steps ? next : END),
      [next, END],
    );
  });
  const compiled = graph.compile();
  return {
    async run() {
      invocations = 0;
      await invokeQuietly(() => compiled.invoke({ steps }, { recursionLimit: steps + 1 }));
      return invocations;
    },
  };
}
