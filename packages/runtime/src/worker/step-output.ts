/**
 * What one superstep of one instance produces on a host, and where handler calls put their effects:
 * straight into that output, or into a buffer per attempt that is merged only if the attempt succeeds.
 * Ends as the step's reply to the coordinator.
 */
import { threadId } from 'node:worker_threads';
import type { ErrorRecord } from '../shared/errors.ts';
import {
  sendsOf,
  type HandlerTiming,
  type HostEvent,
  type OutboxRun,
  type StepBatch,
  type StepReply,
} from '../shared/protocol.ts';

/** Where a handler call's effects go: straight into the step's output, or into an attempt buffer. */
export interface EffectSink {
  readonly outbox: OutboxRun[];
  readonly outputs: (readonly [string, unknown])[];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[];
  readonly requests: (readonly [string, string, unknown])[];
  readonly ownWrites: Map<string, { value: unknown; deleted: boolean }>;
}

/** What one superstep of one instance produces on this host. */
export class StepOutput {
  readonly outbox: OutboxRun[] = [];
  readonly outputs: (readonly [string, unknown])[] = [];
  events: HostEvent[] = [];
  /** Calls finished since the last live flush (reported only by a flush; see HostEventsMessage). */
  completed: string[] = [];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[] = [];
  readonly requests: (readonly [string, string, unknown])[] = [];
  /** Each executor's own shared writes, for its reads in the same superstep (guarantee 45). */
  readonly ownWrites = new Map<string, Map<string, { value: unknown; deleted: boolean }>>();
  failure: { executorId: string; error: ErrorRecord } | null = null;
  /** Set once the reply is built: late flushes must not send events twice. */
  done = false;
  /** Handler invocations timed so far; `undefined` when the batch did not ask for timings. */
  readonly timings: HandlerTiming[] | undefined;
  /** Calls retried per executor (touched only when a retry happens), for the timings. */
  readonly retries = new Map<string, number>();

  constructor(timed: boolean) {
    this.timings = timed ? [] : undefined;
  }
}

/** One attempt of a call that may be retried: merged into the step's output only if it succeeds. */
export class AttemptBuffer implements EffectSink {
  readonly outbox: OutboxRun[] = [];
  readonly outputs: (readonly [string, unknown])[] = [];
  readonly sharedWrites: (readonly [string, string, unknown, boolean])[] = [];
  readonly requests: (readonly [string, string, unknown])[] = [];
  readonly ownWrites = new Map<string, { value: unknown; deleted: boolean }>();

  mergeInto(output: StepOutput, executorId: string): void {
    // Loops, not push(...spread): a handler may send more messages than a call can take arguments.
    for (const [source, sends] of this.outbox) {
      const into = sendsOf(output.outbox, source);
      for (const item of sends) into.push(item);
    }
    for (const entry of this.outputs) output.outputs.push(entry);
    for (const entry of this.sharedWrites) output.sharedWrites.push(entry);
    for (const entry of this.requests) output.requests.push(entry);
    if (this.ownWrites.size > 0) {
      const own = ownWritesOf(output, executorId);
      for (const [key, write] of this.ownWrites) own.set(key, write);
    }
  }
}

/**
 * Without a retry policy a failed call fails the superstep, so effects go straight to the step's output:
 * it is itself a sink, with its own-writes map chosen per executor.
 */
export class DirectSink implements EffectSink {
  private own: Map<string, { value: unknown; deleted: boolean }> | undefined;
  constructor(
    private readonly output: StepOutput,
    private readonly executorId: string,
  ) {}
  get outbox(): OutboxRun[] {
    return this.output.outbox;
  }
  get outputs(): (readonly [string, unknown])[] {
    return this.output.outputs;
  }
  get sharedWrites(): (readonly [string, string, unknown, boolean])[] {
    return this.output.sharedWrites;
  }
  get requests(): (readonly [string, string, unknown])[] {
    return this.output.requests;
  }
  get ownWrites(): Map<string, { value: unknown; deleted: boolean }> {
    return (this.own ??= ownWritesOf(this.output, this.executorId));
  }
}

function ownWritesOf(output: StepOutput, executorId: string): Map<string, { value: unknown; deleted: boolean }> {
  let own = output.ownWrites.get(executorId);
  if (own === undefined)
    output.ownWrites.set(executorId, (own = new Map<string, { value: unknown; deleted: boolean }>()));
  return own;
}

export type Snapshot = StepReply['snapshots'][number];

/** The step's reply; a failed step carries no outputs, shared writes or requests. */
export function stepReply(batch: StepBatch, output: StepOutput, snapshots: Snapshot[]): StepReply {
  output.done = true;
  return {
    op: 'done',
    instance: batch.instance,
    superstep: batch.superstep,
    seq: batch.seq,
    outbox: output.outbox,
    outputs: output.failure === null ? output.outputs : [],
    events: output.events,
    sharedWrites: output.failure === null ? output.sharedWrites : [],
    snapshots,
    requests: output.failure === null ? output.requests : [],
    failure: output.failure,
    threadId,
    timings: output.timings ?? [],
  };
}
