// Executors of the adopter test's workflow. Runs in worker threads; imports only the worker-safe entry.
import { threadId } from 'node:worker_threads';
import { defineExecutor } from '@superstep/runtime/executor';

export interface Square {
  readonly n: number;
  readonly square: number;
  readonly thread: number;
}
export interface Gathered {
  readonly sum: number;
  readonly threads: number;
}
interface GatherState {
  readonly sum: number;
  readonly seen: number;
  readonly threads: readonly number[];
}

/** Fans `n` out as the numbers 0 … n−1. */
export const split = defineExecutor<number, number>({
  handle: (n, ctx) => {
    for (let i = 0; i < n; i += 1) ctx.send(i);
  },
});

/** Stateless, so its messages spread over every thread; a little CPU work each, to keep the threads busy. */
export const square = defineExecutor<number, Square>({
  stateless: true,
  handle: (i, ctx) => {
    const until = Date.now() + 25;
    while (Date.now() < until) {
      // busy: a CPU-bound task
    }
    ctx.send({ n: i, square: i * i, thread: threadId });
  },
});

/** Sums the squares, asks for approval once all are in, and yields the total when approved. */
export const gather = defineExecutor<Square & { readonly of?: number }, never, GatherState>({
  initialState: () => ({ sum: 0, seen: 0, threads: [] }),
  handle: (message, ctx) => {
    const threads = ctx.state.threads.includes(message.thread)
      ? ctx.state.threads
      : [...ctx.state.threads, message.thread];
    ctx.setState({ sum: ctx.state.sum + message.square, seen: ctx.state.seen + 1, threads });
    if (ctx.state.seen === 8) ctx.request({ question: 'publish the sum?', sum: ctx.state.sum });
  },
  onResponse: (response, ctx) => {
    const answer = response.value as { approved?: unknown };
    if (answer.approved === true) {
      const result: Gathered = { sum: ctx.state.sum, threads: ctx.state.threads.length };
      ctx.yieldOutput(result);
    }
  },
});
