/**
 * The executors the documentation's fragments refer to through `mod` (see contexts/workflow.ts), with the
 * message types the fragments rely on. Type-checked with the docs, never run.
 */
import { defineExecutor } from '@superstep/runtime/executor';

const forward = <In, Out = In>() =>
  defineExecutor<In, Out>({
    stateless: true,
    handle(message, ctx) {
      ctx.send(message as unknown as Out);
    },
  });

export const split = forward<string, number>();
export const square = forward<number>();
export const sum = forward<readonly unknown[], number>();
export const count = forward<unknown, { partition: number; words: number }>();
export const classify = forward<unknown, { kind: string; id: string }>();
export const invoices = forward<{ kind: string }>();
export const receipts = forward<{ kind: string }>();
export const other = forward<{ kind: string }>();
export const draft = forward<unknown, string>();
export const check = forward<string>();
export const approve = forward<string>();
export const approver = forward<string>();
export const publish = forward<string>();
export const documents = forward<unknown>();
export const chunks = forward<unknown>();
export const merge = forward<{ partition: number }>();
export const combine = forward<unknown>();
export const results = forward<unknown>();
export const pager = forward<unknown>();
export const backlog = forward<unknown>();
export const triage = forward<unknown>();

/** The typed-edges example in concepts.md: a source and a target whose types do not fit. */
export const words = defineExecutor<string, readonly string[]>({
  handle(text, ctx) {
    ctx.send(text.split(' '));
  },
});
export const report = defineExecutor<number, never, undefined, string>({
  handle(count, ctx) {
    ctx.yieldOutput(String(count));
  },
});
