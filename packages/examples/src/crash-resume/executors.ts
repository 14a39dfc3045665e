/**
 * The crash-resume example's executors. Worker-safe: they import only `@superstep/runtime/executor` and
 * the pure work module.
 *
 *   seed ──fan-out──▶ lane-0 … lane-N ──fan-in──▶ mix ─┐
 *              ▲──────────────fan-out (next round)─────┘
 *
 * Each lane is a stateful actor that carries its hash chain from round to round; `mix` keeps the digest
 * and salts the next round with it, so every round depends on all earlier ones. After the last round
 * `mix` asks a human whether to publish the digest, and yields the result when the answer comes. A run of
 * R rounds takes 2R + 2 supersteps, each of them a checkpoint.
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { z } from 'zod';
import { combine, FIRST_SALT, grind, hex, laneIds, laneSeed, type Job } from './work.ts';

/** What the lanes get each round. */
export interface Round {
  readonly job: Job;
  readonly round: number;
  readonly salt: number;
}

/** What each lane hands to `mix`. */
export interface LaneResult {
  readonly job: Job;
  readonly lane: string;
  readonly round: number;
  readonly value: number;
}

/** What `mix` asks the human after the last round. */
export interface PublishQuestion {
  readonly digest: string;
  readonly rounds: number;
}

/** The human's answer. */
export const publishAnswer = z.object({ publish: z.boolean() });

/** The workflow's one output. */
export interface Result {
  readonly digest: string;
  readonly rounds: number;
  /** What the human answered. */
  readonly published: boolean;
}

/** Starts round 1. */
export const seed = defineExecutor<Job, Round>({
  handle(job, ctx) {
    ctx.send({ job, round: 1, salt: FIRST_SALT });
  },
});

/** One hash chain: CPU work carried on from its state each round. */
export const lane = defineExecutor<Round, LaneResult, { readonly acc: number }>({
  initialState: () => ({ acc: 0 }),
  handle({ job, round, salt }, ctx) {
    const value = grind(ctx.state.acc ^ salt ^ laneSeed(ctx.executorId), job.iterations);
    ctx.setState({ acc: value });
    ctx.send({ job, lane: ctx.executorId, round, value });
  },
});

/** Joins a round, folds it into the digest, and starts the next round or asks whether to publish it. */
export const mix = defineExecutor<readonly LaneResult[], Round, { readonly digest: number }>({
  initialState: () => ({ digest: 0 }),
  responseSchema: publishAnswer,
  handle(results, ctx) {
    const first = results[0];
    if (first === undefined) return;
    const byLane = new Map(results.map((result) => [result.lane, result.value]));
    const values = laneIds(first.job.lanes).map((id) => byLane.get(id) ?? 0);
    const digest = combine(ctx.state.digest, values);
    ctx.setState({ digest });
    ctx.emit('round', { round: first.round, of: first.job.rounds, digest: hex(digest) });
    if (first.round < first.job.rounds) ctx.send({ job: first.job, round: first.round + 1, salt: digest });
    else ctx.request({ digest: hex(digest), rounds: first.round } satisfies PublishQuestion);
  },
  onResponse({ request, value }, ctx) {
    const { digest, rounds } = request as PublishQuestion;
    const { publish } = value as z.infer<typeof publishAnswer>;
    ctx.yieldOutput({ digest, rounds, published: publish } satisfies Result);
  },
});
