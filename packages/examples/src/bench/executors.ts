/**
 * The executors the benchmark scenarios run on superstep. Worker threads import this module, so it imports
 * only the worker-safe entry of the runtime (and the pure CPU work).
 */
import { defineExecutor } from '@superstep/runtime/executor';
import { cpuWork, taskSeed } from './cpu-work.ts';
import { throughputMessage, type ThroughputMessage } from './messages.ts';

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

// ---- message-throughput -----------------------------------------------------------------------------

/** The input of a throughput run: how many messages, spread round-robin over how many sinks. */
export interface ThroughputJob {
  readonly messages: number;
  readonly sinks: number;
}

/** Superstep 1: sends message `seq` to sink `sink<seq % sinks>` (`to` picks one target of the fan-out edge). */
export const throughputSource = defineExecutor<ThroughputJob, ThroughputMessage>({
  handle(job, ctx) {
    for (let seq = 0; seq < job.messages; seq++) ctx.send(throughputMessage(seq), { to: `sink${seq % job.sinks}` });
  },
});

/** Superstep 2: receives its share and does nothing with it (the run counts deliveries from the events). */
export const throughputSink = defineExecutor<ThroughputMessage, never>({
  handle() {
    // Delivery is what is measured.
  },
});

// ---- respond-latency --------------------------------------------------------------------------------

/** The input of a respond-latency run: supersteps of grinding and the work of each grind. */
export interface LatencyJob {
  readonly steps: number;
  readonly iterations: number;
}

/** What the asker yields when its answer arrives. */
export interface LatencyAnswer {
  /** `performance.timeOrigin + performance.now()` when `onResponse` started: comparable across threads. */
  readonly handledAt: number;
  readonly superstep: number;
  /** The value `respond()` was given (the main thread's clock when it answered). */
  readonly answer: unknown;
}

/** Superstep 1: starts every grinder and the asker (a fan-out edge). */
export const latencyStart = defineExecutor<LatencyJob, LatencyJob>({
  handle(job, ctx) {
    ctx.send(job);
  },
});

/** A busy actor: ~`iterations` of CPU work per superstep, passing the remaining count round a ring. */
export const latencyGrinder = defineExecutor<LatencyJob, LatencyJob>({
  handle(job, ctx) {
    cpuWork(job.iterations, job.steps);
    if (job.steps > 1) ctx.send({ steps: job.steps - 1, iterations: job.iterations });
  },
});

/** Asks one question, and yields the moment its answer's handler starts. */
export const latencyAsker = defineExecutor<LatencyJob, never>({
  handle(_job, ctx) {
    ctx.request({ question: 'go on?' });
  },
  onResponse(response, ctx) {
    const handledAt = performance.timeOrigin + performance.now();
    const answer: LatencyAnswer = { handledAt, superstep: ctx.superstep, answer: response.value };
    ctx.yieldOutput(answer);
  },
});

// ---- checkpoint-overhead and restore ----------------------------------------------------------------

/** Bytes of each actor's state payload. */
export const STATE_BYTES = 16 * 1024;

/** A message of the state ring: steps left; with `all`, every actor rewrites its state (the set-up run). */
export interface StateStep {
  readonly remaining: number;
  readonly all: boolean;
  /** Of `actors` actors, `actors / writers` change state per superstep. */
  readonly every: number;
}

export interface RingState {
  readonly version: number;
  readonly data: Uint8Array;
}

/** Superstep 1: the step count, delivered to every actor by a fan-out edge. */
export const stateSeed = defineExecutor<StateStep, StateStep>({
  handle(step, ctx) {
    ctx.send(step);
  },
});

/**
 * One actor of the state ring (`s<index>`): forwards `remaining - 1` to the next actor until 1, and
 * rewrites its ~16 KB state when `(index + remaining) % every === 0` — with 64 actors and `every` 8,
 * exactly 8 actors per superstep. New bytes each time (the actor index and version are written into
 * them), so content addressing cannot deduplicate a change.
 */
export const stateActor = defineExecutor<StateStep, StateStep, RingState>({
  initialState: () => ({ version: 0, data: new Uint8Array(STATE_BYTES) }),
  handle(step, ctx) {
    const index = Number(ctx.executorId.slice(1));
    if (step.all || (index + step.remaining) % step.every === 0) {
      const version = ctx.state.version + 1;
      const data = ctx.state.version === 0 ? fillState(index) : ctx.state.data.slice();
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      view.setUint32(0, index);
      view.setUint32(4, version);
      const flipped = 8 + (version % (STATE_BYTES - 8));
      data[flipped] = (data[flipped] ?? 0) ^ 0xff;
      ctx.setState({ version, data });
    }
    if (step.remaining > 1) ctx.send({ ...step, remaining: step.remaining - 1 });
  },
});

/** Distinct, incompressible-looking bytes for actor `index` (xorshift32). */
function fillState(index: number): Uint8Array {
  const data = new Uint8Array(STATE_BYTES);
  let x = taskSeed(index);
  for (let offset = 0; offset < data.length; offset++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[offset] = x & 0xff;
  }
  return data;
}
