/**
 * The approval example's executors. Worker-safe: they import only `@superstep/runtime/executor`, zod and
 * pure code.
 *
 *   plan ──fan-out──▶ crunch-a ⟲   (stateful CPU work, one round per superstep)
 *                 ├─▶ crunch-b ⟲
 *                 └─▶ approve       (asks a person; answered later, while the crunchers go on)
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { z } from 'zod';

/** What `plan` fans out, and what a cruncher sends itself for its next round. */
export interface Work {
  readonly title: string;
  readonly rounds: number;
  readonly iterations: number;
  readonly round: number;
}

/** What `approve` asks. */
export interface Question {
  readonly text: string;
  readonly title: string;
}

/** The answer `approve` accepts; anything else makes `respond()` fail with `RESPONSE_INVALID`. */
export const decisionSchema = z.object({
  approved: z.boolean(),
  note: z.string().max(200).optional(),
});
export type Decision = z.infer<typeof decisionSchema>;

/** The workflow's outputs. */
export type ApprovalOutput =
  | { readonly kind: 'result'; readonly executorId: string; readonly digest: string; readonly rounds: number }
  | { readonly kind: 'decision'; readonly approved: boolean; readonly note: string | null; readonly superstep: number };

/** A cruncher's progress, as a custom event. */
export interface Progress {
  readonly round: number;
  readonly of: number;
}

/** One round of CPU work: `iterations` steps of a 32-bit xorshift-multiply chain. Pure. */
export function crunchRound(start: number, iterations: number): number {
  let x = start >>> 0 || 0x2545f491;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x = Math.imul(x, 0x9e3779b1) >>> 0;
  }
  return x >>> 0;
}

/** Where a cruncher's chain starts: a hash of its id. Pure. */
export function crunchSeed(executorId: string): number {
  let x = 2166136261;
  for (const char of executorId) x = Math.imul(x ^ char.charCodeAt(0), 16777619) >>> 0;
  return x;
}

/** What a cruncher yields after `rounds` rounds, computed sequentially (for checking). */
export function expectedDigest(executorId: string, rounds: number, iterations: number): string {
  let x = crunchSeed(executorId);
  for (let round = 1; round <= rounds; round++) x = crunchRound(x ^ round, iterations);
  return x.toString(16).padStart(8, '0');
}

/** Hands the work to every branch. */
export const plan = defineExecutor<Work, Work>({
  handle(work, ctx) {
    ctx.send(work);
  },
});

/** CPU work over several supersteps: one round per superstep, its chain carried in its state. */
export const crunch = defineExecutor<Work, Work, { readonly value: number }>({
  initialState: () => ({ value: 0 }),
  handle(work, ctx) {
    const start = work.round === 1 ? crunchSeed(ctx.executorId) : ctx.state.value;
    const value = crunchRound(start ^ work.round, work.iterations);
    ctx.setState({ value });
    ctx.emit('progress', { round: work.round, of: work.rounds } satisfies Progress);
    if (work.round < work.rounds) ctx.send({ ...work, round: work.round + 1 });
    else {
      const digest = value.toString(16).padStart(8, '0');
      ctx.yieldOutput({
        kind: 'result',
        executorId: ctx.executorId,
        digest,
        rounds: work.rounds,
      } satisfies ApprovalOutput);
    }
  },
});

/** Asks whether to publish; the answer comes back in a later superstep, validated by `decisionSchema`. */
export const approve = defineExecutor<Work>({
  responseSchema: decisionSchema,
  handle(work, ctx) {
    ctx.request({ text: `Publish "${work.title}" once the numbers are in?`, title: work.title } satisfies Question);
  },
  onResponse(response, ctx) {
    const { approved, note } = response.value as Decision;
    ctx.yieldOutput({
      kind: 'decision',
      approved,
      note: note ?? null,
      superstep: ctx.superstep,
    } satisfies ApprovalOutput);
  },
});
