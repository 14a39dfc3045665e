// An executor module in TypeScript, in the plain-JavaScript project that has no tsx: build() must refuse it.
import { defineExecutor } from '@superstep/runtime/executor';

export const typed = defineExecutor<number, never>({
  handle: (n, ctx) => {
    ctx.yieldOutput(n);
  },
});
