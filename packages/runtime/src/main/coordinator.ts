/**
 * The superstep coordinator (SPEC 1–8, 45): the only writer of an instance's run state. Each superstep:
 * partition the queue by host → one batch per host → wait for every reply (the barrier) → on failure roll
 * every host back and commit nothing; on success commit shared state and snapshots, route the outbox,
 * emit outputs and `superstep.completed`.
 */
import { SuperstepError, fromErrorRecord, type ErrorRecord } from '../shared/errors.ts';
import type { WarningCode, WorkflowEvent } from '../shared/events.ts';
import {
  INPUT_SOURCE,
  type Delivery,
  type ExecutorInfo,
  type HostEvent,
  type HostLink,
  type OutboxEntry,
  type SharedWrite,
  type StepReply,
} from '../shared/protocol.ts';
import type { Graph } from './graph.ts';
import { Router, type Envelope, type FanInBuffers } from './router.ts';

/** One run as the coordinator sees it. */
export interface RunContext {
  readonly runId: string;
  readonly input: unknown;
  readonly maxSupersteps: number;
  readonly signal: AbortSignal;
  readonly emit: (event: WorkflowEvent) => void;
}

export type CoordinatorOutcome =
  | { readonly kind: 'idle'; readonly outputs: unknown[]; readonly supersteps: number }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'cancelled'; readonly error: Error };

export interface CoordinatorParts {
  readonly instance: string;
  readonly graph: Graph;
  readonly hosts: readonly HostLink[];
  readonly executors: ReadonlyMap<string, ExecutorInfo>;
  /** Host index of each stateful actor. */
  readonly placement: ReadonlyMap<string, number>;
  readonly sharedState: ReadonlyMap<string, unknown>;
}

export class Coordinator {
  readonly instance: string;
  private readonly router: Router;
  private readonly hosts: readonly HostLink[];
  private readonly executors: ReadonlyMap<string, ExecutorInfo>;
  private readonly placement: ReadonlyMap<string, number>;
  private readonly graph: Graph;

  // ---- the instance's committed state at the last barrier ----
  /** Messages for the next superstep (after a failed run: the failed superstep's messages). */
  queue: Envelope[] = [];
  readonly fanIn: FanInBuffers = new Map();
  readonly shared = new Map<string, unknown>();
  /** Snapshot bytes of every actor whose state has changed since it was created. */
  readonly snapshots = new Map<string, Uint8Array>();
  /** Committed shared writes each host has not heard of yet (sent with its next batch). */
  private readonly sharedDelta: Map<string, SharedWrite>[];
  /** Round-robin cursor spreading stateless messages over hosts. */
  private spread = 0;

  constructor(parts: CoordinatorParts) {
    this.instance = parts.instance;
    this.graph = parts.graph;
    this.router = new Router(parts.graph);
    this.hosts = parts.hosts;
    this.executors = parts.executors;
    this.placement = parts.placement;
    for (const [key, value] of parts.sharedState) this.shared.set(key, value);
    this.sharedDelta = parts.hosts.map(() => new Map());
  }

  /** Runs supersteps until the queue is empty, the limit is hit, a handler fails or the run is cancelled. */
  async execute(run: RunContext): Promise<CoordinatorOutcome> {
    const outputs: unknown[] = [];
    let superstep = 0;
    if (this.queue.length > 0) {
      this.warn(run, 0, 'QUEUE_DISCARDED', `discarding ${this.queue.length} messages left queued by an earlier run`, {
        messages: this.queue.length,
      });
    }
    this.queue = [{ source: INPUT_SOURCE, target: this.graph.start, payload: run.input }];
    const unsubscribe = this.hosts.map((host) =>
      host.subscribe(this.instance, (message) => {
        if (message.superstep === superstep) for (const event of message.events) run.emit(toEvent(event, superstep));
      }),
    );
    try {
      while (this.queue.length > 0) {
        if (run.signal.aborted) return this.cancelled(run);
        if (superstep >= run.maxSupersteps) {
          const error = new SuperstepError(
            'CONVERGENCE_LIMIT',
            `run ${run.runId} still had ${this.queue.length} messages queued after ${run.maxSupersteps} supersteps`,
            { details: { maxSupersteps: run.maxSupersteps, queued: this.queue.length } },
          );
          run.emit({ type: 'run.failed', error: error.toRecord() });
          return { kind: 'failed', error };
        }
        superstep++;
        const failed = await this.superstep(run, superstep, outputs);
        if (failed !== undefined) return failed;
      }
      return { kind: 'idle', outputs, supersteps: superstep };
    } finally {
      for (const stop of unsubscribe) stop();
      // Hosts keep the last superstep's drafts until told; the verdict was given above.
      await Promise.allSettled(this.hosts.map((host) => host.control.commit(this.instance)));
    }
  }

  private async superstep(run: RunContext, superstep: number, outputs: unknown[]): Promise<CoordinatorOutcome | undefined> {
    run.emit({ type: 'superstep.started', superstep });
    const delivered = this.queue;
    this.queue = [];
    const batches = this.partition(delivered);
    const participants = [...batches.keys()];
    const onAbort = (): void => {
      for (const index of participants) void this.hosts[index]?.control.abort(this.instance, String(run.signal.reason));
    };
    run.signal.addEventListener('abort', onAbort, { once: true });
    let settled: PromiseSettledResult<StepReply>[];
    try {
      settled = await Promise.allSettled(
        participants.map((index) => {
          const delta = this.sharedDelta[index] as Map<string, SharedWrite>;
          const shared = [...delta.values()];
          delta.clear();
          return (this.hosts[index] as HostLink).step({
            op: 'step',
            instance: this.instance,
            superstep,
            shared,
            deliveries: batches.get(index) ?? [],
          });
        }),
      );
    } finally {
      run.signal.removeEventListener('abort', onAbort);
    }

    // ---- the barrier: every handler of this superstep has finished ----
    const replies: StepReply[] = [];
    const failures: { executorId: string; error: ErrorRecord }[] = [];
    for (const result of settled) {
      if (result.status === 'rejected') {
        const error = result.reason instanceof SuperstepError ? result.reason : new SuperstepError('INTERNAL', String(result.reason));
        failures.push({ executorId: '', error: error.toRecord() });
        continue;
      }
      replies.push(result.value);
      for (const event of result.value.events) run.emit(toEvent(event, superstep));
      if (result.value.failure !== null) failures.push(result.value.failure);
    }
    if (failures.length > 0 || run.signal.aborted) {
      // Nothing of this superstep survives (SPEC 8): hosts drop their drafts, the queue is the barrier's.
      await Promise.allSettled(participants.map((index) => this.hosts[index]?.control.rollback(this.instance)));
      this.queue = delivered;
      if (run.signal.aborted) return this.cancelled(run);
      for (const failure of failures) {
        if (failure.executorId !== '') {
          run.emit({ type: 'executor.failed', executorId: failure.executorId, superstep, error: failure.error });
        }
      }
      const first = failures[0] as { error: ErrorRecord };
      run.emit({ type: 'run.failed', error: first.error });
      return { kind: 'failed', error: fromErrorRecord(first.error) };
    }

    // ---- commit ----
    this.commitShared(run, superstep, replies);
    const outbox: OutboxEntry[] = [];
    for (const reply of replies) {
      for (const [actorId, bytes] of reply.snapshots) this.snapshots.set(actorId, Uint8Array.prototype.slice.call(bytes));
      for (const entry of reply.outbox) outbox.push(entry);
    }
    this.router.route(outbox, this.queue, this.fanIn, (code, message, details) =>
      this.warn(run, superstep, code, message, details),
    );
    for (const reply of replies) {
      for (const [executorId, data] of reply.outputs) {
        outputs.push(data);
        run.emit({ type: 'output', executorId, superstep, data });
      }
    }
    run.emit({ type: 'superstep.completed', superstep });
    return undefined;
  }

  /** Groups the queue into one batch per host: actors to their host, stateless messages spread round-robin. */
  private partition(queue: readonly Envelope[]): Map<number, Delivery[]> {
    const perHost = new Map<number, Map<string, [string, unknown][]>>();
    const threads = this.hosts.length;
    for (const envelope of queue) {
      const info = this.executors.get(envelope.target);
      const index = info?.stateless === true ? this.spread++ % threads : (this.placement.get(envelope.target) ?? 0);
      let targets = perHost.get(index);
      if (targets === undefined) perHost.set(index, (targets = new Map()));
      let messages = targets.get(envelope.target);
      if (messages === undefined) targets.set(envelope.target, (messages = []));
      messages.push([envelope.source, envelope.payload]);
    }
    const batches = new Map<number, Delivery[]>();
    for (const [index, targets] of perHost) batches.set(index, [...targets]);
    return batches;
  }

  /**
   * Shared-state writes of one superstep become visible at the barrier. Two executors writing one key:
   * the write of the executor whose id sorts last wins, and a warning names them (SPEC 45).
   */
  private commitShared(run: RunContext, superstep: number, replies: readonly StepReply[]): void {
    const byKey = new Map<string, { executorId: string; value: unknown; deleted: boolean }[]>();
    for (const reply of replies) {
      for (const [executorId, key, value, deleted] of reply.sharedWrites) {
        let writes = byKey.get(key);
        if (writes === undefined) byKey.set(key, (writes = []));
        writes.push({ executorId, value, deleted });
      }
    }
    for (const [key, writes] of byKey) {
      const writers = [...new Set(writes.map((w) => w.executorId))].sort();
      const lastWriter = writers[writers.length - 1];
      const winner = writes.filter((w) => w.executorId === lastWriter).at(-1);
      if (winner === undefined) continue;
      if (writers.length > 1) {
        this.warn(run, superstep, 'SHARED_STATE_CONFLICT', `shared key "${key}" written by ${writers.join(', ')}; "${lastWriter}" wins`, {
          key,
          writers,
          winner: lastWriter,
        });
      }
      if (winner.deleted) this.shared.delete(key);
      else this.shared.set(key, winner.value);
      const write: SharedWrite = [key, winner.value, winner.deleted];
      for (const delta of this.sharedDelta) delta.set(key, write);
    }
  }

  private cancelled(run: RunContext): CoordinatorOutcome {
    const error = new SuperstepError('RUN_CANCELLED', `run ${run.runId} was cancelled: ${String(run.signal.reason)}`, {
      details: { reason: String(run.signal.reason) },
    });
    return { kind: 'cancelled', error };
  }

  private warn(run: RunContext, superstep: number, code: WarningCode, message: string, details: Record<string, unknown>): void {
    run.emit({ type: 'warning', code, message, superstep, details });
  }
}

function toEvent(event: HostEvent, superstep: number): WorkflowEvent {
  switch (event[0]) {
    case 'invoked':
      return { type: 'executor.invoked', executorId: event[1], superstep, messages: event[2] };
    case 'completed':
      return { type: 'executor.completed', executorId: event[1], superstep };
    case 'custom':
      return { type: 'custom', executorId: event[1], superstep, name: event[2], data: event[3] };
    case 'warning':
      return { type: 'warning', code: event[1], message: event[2], superstep, details: event[3] };
  }
}
