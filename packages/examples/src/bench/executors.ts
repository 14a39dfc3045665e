/**
 * The executors the benchmark scenarios run on superstep. Worker threads import this module, so it imports
 * only the worker-safe entry of the runtime (and the pure CPU work).
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { cpuWork, taskSeed } from './cpu-work.ts';

// ---- fanout-cpu -------------------------------------------------------------------------------------

/** The input of a fan-out run. */
export interface FanoutJob {
  readonly tasks: number;
  readonly iterations: number;
}

export interface FanoutTask {
  readonly seed: number;
  readonly iterations: number;
  readonly tasks: number;
}

export interface FanoutDone {
  readonly checksum: number;
  readonly tasks: number;
}

/** Superstep 1: one message per task. */
export const fanoutSplit = defineExecutor<FanoutJob, FanoutTask>({
  handle(job, ctx) {
    for (let index = 0; index < job.tasks; index++) {
      ctx.send({ seed: taskSeed(index), iterations: job.iterations, tasks: job.tasks });
    }
  },
});

/** Superstep 2: the CPU work. Stateless, so the runtime spreads the tasks over every thread. */
export const fanoutWork = defineExecutor<FanoutTask, FanoutDone>({
  stateless: true,
  handle(task, ctx) {
    ctx.send({ checksum: cpuWork(task.iterations, task.seed), tasks: task.tasks });
  },
});

/**
 * Superstep 3: the join. It counts results until it has all of them, then yields the summed checksum and
 * resets (the instance is run again and again). State rather than a fan-in edge because the work is one
 * stateless executor, which is how a map over CPU work is written on superstep.
 */
export const fanoutCollect = defineExecutor<FanoutDone, never, { readonly count: number; readonly checksum: number }>({
  initialState: () => ({ count: 0, checksum: 0 }),
  handle(done, ctx) {
    const count = ctx.state.count + 1;
    const checksum = ctx.state.checksum + done.checksum;
    if (count < done.tasks) {
      ctx.setState({ count, checksum });
      return;
    }
    ctx.setState({ count: 0, checksum: 0 });
    ctx.yieldOutput(checksum);
  },
});

// ---- superstep-overhead -----------------------------------------------------------------------------

/** Superstep 1: passes the step count on; a fan-out edge delivers it to every relay. */
export const overheadSeed = defineExecutor<number, number>({
  handle(steps, ctx) {
    ctx.send(steps);
  },
});

/** One actor of the ring: no work, forwards a decremented counter to the next actor until it reaches 1. */
export const overheadRelay = defineExecutor<number, number>({
  handle(remaining, ctx) {
    if (remaining > 1) ctx.send(remaining - 1);
  },
});
