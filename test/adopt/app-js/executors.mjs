// Executors of the adopter test (plain JavaScript). Same as ../app/executors.ts.
import { threadId } from 'node:worker_threads';
import { defineExecutor } from '@superstep/runtime/executor';
/** Fans `n` out as the numbers 0 … n−1. */
export const split = defineExecutor({
  handle: (n, ctx) => {
    for (let i = 0; i < n; i += 1) ctx.send(i);
  },
});
/** Stateless, so its messages spread over every thread; a little CPU work each, to keep the threads busy. */
export const square = defineExecutor({
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
export const gather = defineExecutor({
  initialState: () => ({ sum: 0, seen: 0, threads: [] }),
  handle: (message, ctx) => {
    const threads = ctx.state.threads.includes(message.thread)
      ? ctx.state.threads
      : [...ctx.state.threads, message.thread];
    ctx.setState({ sum: ctx.state.sum + message.square, seen: ctx.state.seen + 1, threads });
    if (ctx.state.seen === 8) ctx.request({ question: 'publish the sum?', sum: ctx.state.sum });
  },
  onResponse: (response, ctx) => {
    const answer = response.value;
    if (answer.approved === true) {
      const result = { sum: ctx.state.sum, threads: ctx.state.threads.length };
      ctx.yieldOutput(result);
    }
  },
});
