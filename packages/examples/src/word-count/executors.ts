// executors.ts — runs in worker threads; imports only the worker-safe entry
import { defineExecutor } from '@superstep/runtime/executor';

export const split = defineExecutor<string, string>({
  handle: (text, ctx) => {
    text.split(/\n{2,}/).forEach((part) => {
      ctx.send(part);
    });
  },
});
export const count = defineExecutor<string, number>({
  stateless: true, // spread over every thread
  handle: (part, ctx) => {
    ctx.send(part.split(/\s+/).filter(Boolean).length);
  },
});
export const total = defineExecutor<number, never, { words: number }>({
  initialState: () => ({ words: 0 }),
  handle: (n, ctx) => {
    ctx.setState({ words: ctx.state.words + n });
    ctx.yieldOutput(ctx.state.words);
  },
});
