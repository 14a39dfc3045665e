/**
 * A workflow instance as the runtime holds it: its graph placed on a pool's hosts, its coordinator (which
 * owns the instance's state), its lifecycle and runs, and its checkpoints. The public `Workflow`
 * (../workflow.ts) is a thin face over one of these; a sub-workflow node drives its child's directly
 * (superstep/sub-workflow-runner.ts), which is why the members a child needs — {@link cut},
 * {@link replace}, {@link validateResponse} — live here and not on `Workflow`.
 */
import { randomUUID } from 'node:crypto';
import { assertSerializable } from '../../shared/codec.ts';
import { SuperstepError } from '../../shared/errors.ts';
import { allHosts, type HostSet } from '../../shared/host-set.ts';
import { optionsObject } from '../../shared/options.ts';
import { Checkpointer } from '../checkpoints/checkpointer.ts';
import { isFinalRunStatus, type CheckpointMeta, type CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import type { Graph } from '../graph/graph.ts';
import { traceRestore } from '../observe/run-trace.ts';
import { Lifecycle, type LifecycleStatus } from '../run/lifecycle.ts';
import type { RunHandle } from '../run/run-handle.ts';
import { RunLauncher } from '../run/run-launcher.ts';
import type { InstanceLease } from '../run/instance-lease.ts';
import { RunLease, type RunLeaseParts } from '../run/run-lease.ts';
import type { Coordinator } from '../superstep/coordinator.ts';
import type { InstanceCut, PendingRequest } from '../superstep/coordinator-types.ts';
import type { ChildWorkflow } from '../superstep/sub-workflow-runner.ts';
import {
  checkLimit,
  checkRunOptions,
  storeOption,
  type ResumeOptions,
  type RunOptions,
  type StoreOptions,
  type WorkflowOptions,
} from '../workflow-options.ts';
import { initialCut, replaceState, restoreCheckpoint, type StateLevel } from './replace-state.ts';

/**
 * What `resumeLatest()` did: `resumed` the run of the newest checkpoint, which had not finished; found that
 * checkpoint `finished` (its run completed, failed or was cancelled: nothing to do); or found `none`.
 */
export type ResumeLatestResult<Output = unknown> =
  | { readonly kind: 'resumed'; readonly checkpoint: CheckpointMeta; readonly run: RunHandle<Output> }
  | { readonly kind: 'finished'; readonly checkpoint: CheckpointMeta }
  | { readonly kind: 'none' };

/** Everything an instance is made of; create-instance.ts builds them. */
export interface InstanceParts {
  readonly graph: Graph;
  readonly pool: HostSet;
  /** The instance made its pool, and closes it with itself. */
  readonly ownsPool: boolean;
  readonly coordinator: Coordinator;
  /** Sub-workflow nodes' instances (guarantee 43). */
  readonly children: ReadonlyMap<string, WorkflowInstance>;
  /** Stops reloading this instance onto replacement hosts. */
  readonly unregister: () => void;
  readonly maxSupersteps: number;
  readonly initialShared: ReadonlyMap<string, unknown>;
  /** The options as given (checked). */
  readonly options: WorkflowOptions;
}

export class WorkflowInstance implements StateLevel, ChildWorkflow {
  readonly graph: Graph;
  readonly pool: HostSet;
  readonly coordinator: Coordinator;
  readonly children: ReadonlyMap<string, WorkflowInstance>;
  readonly initialShared: ReadonlyMap<string, unknown>;
  private readonly lifecycle = new Lifecycle();
  private readonly runs: RunLauncher;
  private readonly checkpointer: Checkpointer;
  private readonly store: CheckpointStore | undefined;
  /** The lease on the instance's name, if it has one (guarantee 52). */
  private readonly lease: { readonly lease: InstanceLease; readonly instance: string } | undefined;

  constructor(private readonly parts: InstanceParts) {
    const { graph, options, coordinator } = parts;
    this.graph = graph;
    this.pool = parts.pool;
    this.coordinator = coordinator;
    this.children = parts.children;
    this.initialShared = parts.initialShared;
    this.store = options.store;
    const name = options.name ?? graph.start;
    this.lease = options.lease === undefined ? undefined : { lease: options.lease, instance: name };
    const createId = options.createId ?? randomUUID;
    this.checkpointer = new Checkpointer({
      workflowName: name,
      graph,
      createId,
      now: options.now ?? Date.now,
    });
    this.runs = new RunLauncher({
      lifecycle: this.lifecycle,
      coordinator,
      checkpointer: this.checkpointer,
      createId,
      store: this.store,
      logger: options.logger ?? console,
      takeLease: (leaseParts) => this.takeLease(leaseParts),
      events: options.events && { sink: options.events, instance: name },
    });
  }

  get status(): LifecycleStatus {
    return this.lifecycle.status;
  }

  /** Resolves once no run holds the instance (see Lifecycle.released). */
  idle(): Promise<void> {
    return this.lifecycle.released();
  }

  run<Output>(input: unknown, given?: RunOptions): RunHandle<Output> {
    const options = optionsObject(given);
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? this.parts.maxSupersteps;
    assertSerializable(input, { executorId: this.graph.start, direction: 'input' });
    return this.runs.start({ kind: 'input', input }, maxSupersteps, options);
  }

  resume<Output>(given?: ResumeOptions): RunHandle<Output> {
    const options = optionsObject(given);
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? this.parts.maxSupersteps;
    return this.runs.start({ kind: 'resume' }, maxSupersteps, options);
  }

  async createCheckpoint(options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(storeOption(options));
    return await this.exclusive(async (lease) => {
      const queued = this.coordinator.queued;
      if (queued > 0) {
        throw new SuperstepError(
          'WORKFLOW_NOT_IDLE',
          `${queued} messages are still queued; resume() or reset() first`,
          {
            details: { queued },
          },
        );
      }
      const cut = this.coordinator.cut();
      // An idle instance: waiting if it has questions out, else no run stands behind it.
      const runStatus = cut.requests.length > 0 ? 'waiting' : undefined;
      return await this.checkpointer.write(store, cut, {
        runId: null,
        reason: 'manual',
        runStatus,
        fence: lease.fence,
      });
    }, store);
  }

  async restore(checkpointId: string, options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(storeOption(options));
    return await this.exclusive(() => this.restoreHeld(checkpointId, store));
  }

  /** Restores a checkpoint while the caller holds the reservation. */
  private async restoreHeld(checkpointId: string, store: CheckpointStore): Promise<CheckpointMeta> {
    return await traceRestore(checkpointId, async () => {
      const { meta } = await restoreCheckpoint(this, store, checkpointId);
      this.checkpointer.resumeFrom(meta, store);
      this.checkpointer.remember(store, meta.blobHashes);
      return meta;
    });
  }

  /**
   * Restores the newest checkpoint of this workflow's name and resumes its run, unless that run finished
   * (guarantee 56). The restore and the resume's reservation happen without a gap another call could use.
   */
  async resumeLatest<Output>(given?: ResumeOptions): Promise<ResumeLatestResult<Output>> {
    const options = optionsObject(given);
    const store = this.requireStore(storeOption(options));
    checkRunOptions(options);
    checkLimit(options.maxSupersteps, 'options.maxSupersteps');
    // As exclusive() holds the instance (and its lease), but released right before the resume reserves it.
    const token = Symbol('resume-latest');
    this.lifecycle.reserve(token);
    let latest: CheckpointMeta | undefined;
    try {
      const lease = await this.takeLease({ store: this.store });
      try {
        latest = await store.latest({ workflowName: this.checkpointer.workflowName });
        if (latest !== undefined && !isFinalRunStatus(latest.runStatus)) await this.restoreHeld(latest.id, store);
      } finally {
        await lease.release().catch(() => undefined);
      }
    } finally {
      this.lifecycle.release(token);
    }
    if (latest === undefined) return { kind: 'none' };
    if (isFinalRunStatus(latest.runStatus)) return { kind: 'finished', checkpoint: latest };
    // Synchronously after the release: no other call can reserve the instance in between.
    return { kind: 'resumed', checkpoint: latest, run: this.resume<Output>(options) };
  }

  /** The requests waiting for answers (after a restore: the checkpoint's). */
  get pendingRequests(): readonly PendingRequest[] {
    return this.coordinator.pendingRequests;
  }

  async reset(): Promise<void> {
    await this.exclusive(async () => {
      await replaceState(this, initialCut(this), { runResetHooks: true });
      this.checkpointer.newLineage();
    });
  }

  /** The instance's state at its last barrier, sub-workflows included. */
  cut(): InstanceCut {
    return this.coordinator.cut();
  }

  /** Returns the instance, sub-workflows included, to `cut` (a parent undoing its superstep). */
  async replace(cut: InstanceCut): Promise<void> {
    await replaceState(this, cut);
  }

  /** Checks an answer to one of this instance's pending requests without recording it. */
  async validateResponse(requestId: string, value: unknown): Promise<unknown> {
    return await this.coordinator.validate(requestId, value);
  }

  async close(): Promise<void> {
    if (this.lifecycle.status === 'closed') return;
    await this.runs.cancelActive('workflow closed');
    this.lifecycle.close();
    this.parts.unregister();
    await Promise.allSettled([...this.children.values()].map((child) => child.close()));
    if (this.parts.ownsPool) {
      await this.pool.close();
    } else if (!this.pool.isClosed) {
      const instance = this.coordinator.instance;
      await Promise.allSettled(allHosts(this.pool).map((host) => host.control.dropInstance(instance)));
    }
  }

  /**
   * Holds the reservation for an idle-only operation, so a concurrent `run()` gets `WORKFLOW_BUSY`; with a
   * lease, holds that too, fenced in the store the operation writes to (guarantee 52).
   */
  private async exclusive<T>(operation: (lease: RunLease) => Promise<T>, writesTo = this.store): Promise<T> {
    const token = Symbol('exclusive');
    this.lifecycle.reserve(token);
    try {
      const lease = await this.takeLease({ store: writesTo });
      try {
        return await operation(lease);
      } finally {
        await lease.release().catch(() => undefined);
      }
    } finally {
      this.lifecycle.release(token);
    }
  }

  /** Holds the instance's lease, if it has one, for a run or an idle-only operation (guarantee 52). */
  private takeLease(parts: Pick<RunLeaseParts, 'store' | 'onLost'>): Promise<RunLease> {
    if (this.lease === undefined) return Promise.resolve(RunLease.NONE);
    return RunLease.take({ ...this.lease, ...parts });
  }

  private requireStore(store: CheckpointStore | undefined): CheckpointStore {
    const found = store ?? this.store;
    if (found === undefined) {
      throw new SuperstepError(
        'CHECKPOINT_STORE_REQUIRED',
        'no checkpoint store: pass options.store or build with one',
      );
    }
    return found;
  }
}
