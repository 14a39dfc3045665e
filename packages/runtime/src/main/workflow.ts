/**
 * A workflow instance: a validated graph whose actors live in a pool's workers, run one run at a time.
 */
import { randomUUID } from 'node:crypto';
import { assertSerializable } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import type { RequestEvent } from '../shared/events.ts';
import { allHosts, type HostSet } from '../shared/host-set.ts';
import { createPool, type PoolOptions } from './hosts/actor-pool.ts';
import { Coordinator } from './superstep/coordinator.ts';
import type { InstanceCut } from './superstep/coordinator-types.ts';
import { SubWorkflowRunner } from './superstep/sub-workflow-runner.ts';
import type { CheckpointState } from './checkpoints/checkpoint-body.ts';
import { decodeCheckpointBody } from './checkpoints/checkpoint-body.ts';
import { Checkpointer } from './checkpoints/checkpointer.ts';
import {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointMeta,
  type CheckpointStore,
} from './checkpoints/checkpoint-store.ts';
import type { Graph } from './graph/graph.ts';
import { Lifecycle, type LifecycleStatus } from './run/lifecycle.ts';
import { toMermaid } from './graph/mermaid.ts';
import { checkExecutorModules } from './graph/executor-modules.ts';
import { type Placement, placeInstance, prepareOnHosts, reloadOnReplace } from './superstep/place-instance.ts';
import { readCheckpoint, snapshotKeys, snapshotsFromCheckpoint } from './checkpoints/read-checkpoint.ts';
import type { RunHandle } from './run/run-handle.ts';
import { RunLauncher } from './run/run-launcher.ts';
import type { InstanceLease } from './run/instance-lease.ts';
import type { RunEventSink } from './run/run-event-sink.ts';
import { RunLease, type RunLeaseParts } from './run/run-lease.ts';
import type { RunRecorder } from './observe/run-recorder.ts';
import { traceRestore } from './observe/run-trace.ts';
import { optionsObject } from '../shared/options.ts';
import { checkLimit, resolveWorkflowOptions, storeOption } from './workflow-options.ts';

/** Options of `WorkflowBuilder.build()`. */
export interface WorkflowOptions extends PoolOptions {
  /**
   * The actor hosts to run on: a pool from `createPool()` shared between workflows, or any other
   * {@link HostSet}. Without one, the workflow creates its own pool and closes it with itself.
   */
  readonly pool?: HostSet;
  /** Default superstep limit of each run (guarantee 7). Default 100. */
  readonly maxSupersteps?: number;
  /** Initial workflow-scoped shared state (guarantee 45). */
  readonly sharedState?: Readonly<Record<string, unknown>>;
  /** Makes run, lineage and checkpoint ids (inject for deterministic tests). Default `crypto.randomUUID`. */
  readonly createId?: () => string;
  /** The clock for checkpoint timestamps, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** A stable name: checkpoints are listed by it. Default: the start executor's id. */
  readonly name?: string;
  /** Checkpoint every barrier of every run to this store (guarantee 23). */
  readonly store?: CheckpointStore;
  /** Where failed checkpoint writes are logged (guarantee 27). Default `console`. */
  readonly logger?: Pick<Console, 'warn'>;
  /** After a cancel, how long handlers get to return before their worker is terminated (guarantee 38). Default 500. */
  readonly cancelGraceMs?: number;
  /** How many times a superstep is replayed after its worker died before the run fails (guarantee 39). Default 3. */
  readonly maxWorkerRestarts?: number;
  /**
   * Reserves the instance `name` beyond this object (guarantee 52): every run, `restore()`, `reset()` and
   * `createCheckpoint()` holds the lease while it works, and gets `WORKFLOW_BUSY` while another holder has it.
   * `natsLease()` (from `@superstep/runtime/nats`) reaches across processes; `createLocalLease()` within one.
   * Needs `name`, and a store that checks fencing tokens (memory, PostgreSQL).
   */
  readonly lease?: InstanceLease;
  /**
   * Also sends every run's events here, in order (`natsEventStream()` from `@superstep/runtime/nats`, which
   * other processes follow with `observe(name)`).
   */
  readonly events?: RunEventSink;
}

/** Options of {@link Workflow.run} and {@link Workflow.resume}. */
export interface RunOptions {
  /** Aborting cancels the run (guarantee 38). */
  readonly signal?: AbortSignal;
  /** This run's superstep limit; overrides the workflow's (guarantee 7). */
  readonly maxSupersteps?: number;
  /** Checkpoint this run (only) to this store instead of the workflow's. */
  readonly store?: CheckpointStore;
  /**
   * Answers requests as they come (guarantee 19): called for each `request` event; what it returns (or resolves
   * to) is the answer. If it throws, or the answer is refused, a `warning` is emitted and the request
   * stays pending.
   */
  readonly onRequest?: (request: RequestEvent) => unknown;
  /**
   * When nothing is queued but requests are pending: `'wait'` keeps the run open, with status
   * `idle-with-pending-requests` (not final), until `respond()` answers — no polling, the reservation is
   * held; `'end'` ends the run with that final status (answer later with `resume({ responses })`).
   * `'auto'` (default) waits while someone can answer — an `onRequest` callback is set or the events are
   * being iterated — and ends otherwise, so a bare `await result()` or a dropped handle never hangs.
   * A background run answered from elsewhere (an HTTP handler) passes `'wait'`.
   */
  readonly onPendingRequests?: 'auto' | 'wait' | 'end';
  /**
   * Records this run for a timeline page (see {@link createRunRecorder}): its events, each handler
   * invocation as timed on its thread, superstep attempts, checkpoint writes and requests.
   */
  readonly recorder?: RunRecorder;
}

/** Options of {@link Workflow.resume}. */
export interface ResumeOptions extends RunOptions {
  /** Answers to pending requests, applied before the run starts; unanswered ones are re-emitted (guarantee 21). */
  readonly responses?: Readonly<Record<string, unknown>>;
}

/** Options of {@link Workflow.restore} and {@link Workflow.createCheckpoint}. */
export interface StoreOptions {
  /** The store to use instead of the workflow's. */
  readonly store?: CheckpointStore;
}

let instanceCounter = 0;

/**
 * A built workflow. Make one with `WorkflowBuilder.build()`; close it (or `await using`) when done.
 *
 * @example
 * await using workflow = await builder.build({ threads: 2 });
 * const { outputs } = await workflow.run(input).result();
 */
export class Workflow<Input = unknown, Output = unknown> implements AsyncDisposable {
  /** Hash of the graph: checkpoints restore only into the same shape. */
  readonly signature: string;
  private readonly lifecycle = new Lifecycle();
  private readonly runs: RunLauncher;
  private readonly checkpointer: Checkpointer;
  private readonly store: CheckpointStore | undefined;
  private readonly initialShared: ReadonlyMap<string, unknown>;
  private unregister: () => void = () => undefined;
  /** Sub-workflow nodes' instances (guarantee 43). */
  private children: ReadonlyMap<string, Workflow> = new Map();

  private constructor(
    readonly graph: Graph,
    private readonly pool: HostSet,
    private readonly ownsPool: boolean,
    private readonly coordinator: Coordinator,
    private readonly maxSupersteps: number,
    options: WorkflowOptions,
  ) {
    this.signature = graph.signature;
    const createId = options.createId ?? randomUUID;
    this.store = options.store;
    this.initialShared = new Map(coordinator.shared);
    this.checkpointer = new Checkpointer({
      workflowName: options.name ?? graph.start,
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
      takeLease: (parts) => this.takeLease(parts),
      ...(options.events && { events: { sink: options.events, instance: options.name ?? graph.start } }),
    });
    this.lease =
      options.lease === undefined ? undefined : { lease: options.lease, instance: options.name ?? graph.start };
  }

  private readonly lease: { readonly lease: InstanceLease; readonly instance: string } | undefined;

  /** Holds the instance's lease, if it has one, for a run or an idle-only operation (guarantee 52). */
  private takeLease(parts: Pick<RunLeaseParts, 'store' | 'onLost'>): Promise<RunLease> {
    if (this.lease === undefined) return Promise.resolve(RunLease.NONE);
    return RunLease.take({ ...this.lease, ...parts });
  }

  /** @internal use `WorkflowBuilder.build()` */
  static async create<Input, Output = unknown>(
    graph: Graph,
    given: WorkflowOptions | undefined,
  ): Promise<Workflow<Input, Output>> {
    // Every option is checked before any thread starts: a refused option must not leave a pool running.
    const { options, maxSupersteps, cancelGraceMs, maxWorkerRestarts, sharedState } = resolveWorkflowOptions(given);
    checkExecutorModules([...graph.executors.values()].filter(({ id }) => !graph.subWorkflows.has(id)));
    const pool = options.pool ?? (await createPool(options));
    pool.assertOpen();
    const instance = `wf${++instanceCounter}-${randomUUID().slice(0, 8)}`;
    const hosts = allHosts(pool);
    // Sub-workflow nodes are run by the coordinator, not loaded by workers (guarantee 43).
    const children = new Map<string, Workflow>();
    let placed: Placement;
    try {
      for (const [id, childGraph] of graph.subWorkflows) {
        const { store: _store, sharedState: _shared, lease: _lease, events: _events, name, ...inherited } = options;
        children.set(
          id,
          await Workflow.create(childGraph, { ...inherited, pool, name: `${name ?? graph.start}/${id}` }),
        );
      }
      placed = await placeInstance({ pool, hosts, graph, instance, sharedState });
    } catch (error) {
      // A build that fails leaves nothing running: the children made so far, and a pool made here, close.
      await Promise.allSettled([...children.values()].map((child) => child.close()));
      if (options.pool === undefined) await pool.close();
      throw error;
    }
    const { locations, placement, infos } = placed;
    const coordinator = new Coordinator({
      instance,
      graph,
      hosts: pool,
      cancelGraceMs,
      maxWorkerRestarts,
      executors: new Map(infos.map((info) => [info.id, info])),
      placement,
      sharedState,
      children: new Map([...children].map(([id, child]) => [id, new SubWorkflowRunner(id, child)])),
    });
    const unregister = reloadOnReplace(pool, locations, coordinator);
    const workflow = new Workflow<Input, Output>(
      graph,
      pool,
      options.pool === undefined,
      coordinator,
      maxSupersteps,
      options,
    );
    workflow.unregister = unregister;
    workflow.children = children;
    return workflow;
  }

  /** The graph as Mermaid flowchart source (see `toMermaid`). */
  toMermaid(): string {
    return toMermaid(this.graph);
  }

  /** Where the instance is in its lifecycle: `idle`, `reserved`, `running` or `closed`. */
  get status(): LifecycleStatus {
    return this.lifecycle.status;
  }

  /**
   * Starts a run. The reservation is synchronous (guarantee 29): while another run holds the instance this
   * throws `WORKFLOW_BUSY` at once and the running run is unaffected.
   *
   * @example
   * const run = workflow.run({ text }, { signal: AbortSignal.timeout(60_000) });
   * for await (const event of run) if (event.type === 'output') console.log(event.data);
   */
  run(input: Input, given?: RunOptions): RunHandle<Output> {
    const options = optionsObject(given);
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? this.maxSupersteps;
    assertSerializable(input, { executorId: this.graph.start, direction: 'input' });
    return this.runs.start({ kind: 'input', input }, maxSupersteps, options);
  }

  /**
   * Carries on from the queued messages — after {@link restore}, or after a run that failed (its failed
   * superstep's messages are still queued). Supersteps are numbered on from the last barrier.
   *
   * @example
   * await workflow.restore(checkpointId);
   * const { outputs } = await workflow.resume().result();
   */
  resume(given?: ResumeOptions): RunHandle<Output> {
    const options = optionsObject(given);
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? this.maxSupersteps;
    return this.runs.start({ kind: 'resume' }, maxSupersteps, options);
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

  /**
   * Captures the whole idle instance as a checkpoint — also before its first run (guarantee 33). Refused with
   * `WORKFLOW_NOT_IDLE` if messages are still queued (from a failed run), or `WORKFLOW_BUSY` during a run.
   *
   * @example
   * const meta = await workflow.createCheckpoint();
   */
  async createCheckpoint(options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(storeOption(options));
    return await this.exclusive(async (lease) => {
      if (this.coordinator.queue.length > 0) {
        throw new SuperstepError(
          'WORKFLOW_NOT_IDLE',
          `${this.coordinator.queue.length} messages are still queued; resume() or reset() first`,
          {
            details: { queued: this.coordinator.queue.length },
          },
        );
      }
      return await this.checkpointer.write(store, this.coordinator.cut(), { runId: null, fence: lease.fence });
    }, store);
  }

  /**
   * Replaces the instance's state with a checkpoint's (guarantee 24). Everything is checked — format version,
   * graph signature, every byte — before anything changes (guarantees 25, 42). Then {@link resume} carries on.
   *
   * @example
   * const latest = await store.latest({ workflowName: 'orders' });
   * if (latest) { await workflow.restore(latest.id); await workflow.resume().result(); }
   */
  async restore(checkpointId: string, options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(storeOption(options));
    return await this.exclusive(() =>
      traceRestore(checkpointId, async () => {
        const read = await readCheckpoint(store, checkpointId, this.signature);
        const state = decodeCheckpointBody(read.body, this.graph);
        const cut = this.cutFromCheckpoint(state, read.blobs, checkpointId);
        await this.applyCut(cut);
        this.checkpointer.resumeFrom(read.meta, store);
        const sameFormat = state.formatVersion === CHECKPOINT_FORMAT_VERSION;
        this.checkpointer.remember(store, read.meta.blobHashes, sameFormat ? snapshotKeys(state, cut) : []);
        return read.meta;
      }),
    );
  }

  /** Resolves a decoded checkpoint's blob references into snapshot bytes, at every level. */
  private cutFromCheckpoint(
    state: CheckpointState,
    blobs: ReadonlyMap<string, Uint8Array>,
    checkpointId: string,
  ): InstanceCut {
    const snapshots = snapshotsFromCheckpoint(this.graph, state, blobs, checkpointId);
    const children = new Map<string, InstanceCut>();
    for (const [id, childState] of state.children) {
      const child = this.children.get(id);
      if (child === undefined)
        throw new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint names unknown sub-workflow "${id}"`);
      children.set(id, child.cutFromCheckpoint(childState, blobs, checkpointId));
    }
    return { ...state, snapshots, children };
  }

  /**
   * Returns the instance to its initial state (guarantee 34): actor state, shared state, queued messages, fan-in
   * buffers and pending requests are cleared — in sub-workflows too — reset hooks run, and a new checkpoint
   * lineage starts. Atomic: if a reset hook throws (`RESET_FAILED`) the instance is exactly as before (guarantee 35).
   */
  async reset(): Promise<void> {
    await this.exclusive(async () => {
      await this.applyCut(this.initialCut(), true);
      this.checkpointer.newLineage();
    });
  }

  /** The state of a new instance. */
  private initialCut(): InstanceCut {
    return {
      superstep: 0,
      queue: [],
      fanIn: new Map(),
      shared: this.initialShared,
      snapshots: new Map(),
      requests: [],
      children: new Map([...this.children].map(([id, child]) => [id, child.initialCut()])),
    };
  }

  /** The instance's state at its last barrier, sub-workflows included. @internal */
  captureCut(): InstanceCut {
    return this.coordinator.cut();
  }

  /** Checks an answer to one of this instance's pending requests without recording it. @internal */
  async validateResponse(requestId: string, value: unknown): Promise<unknown> {
    return await this.coordinator.validate(requestId, value);
  }

  /**
   * Replaces the whole state, sub-workflows included, atomically: every host of every level prepares
   * first (decoding snapshots, running reset hooks); only if all succeed does any level commit. @internal
   */
  async applyCut(cut: InstanceCut, runResetHooks = false): Promise<void> {
    const commits: (() => Promise<void>)[] = [];
    const discards: (() => Promise<unknown>)[] = [];
    try {
      await this.prepareLevel(cut, runResetHooks, commits, discards);
    } catch (error) {
      await Promise.all(discards.map((discard) => discard()));
      if (error instanceof SuperstepError && error.code === 'DECODE_FAILED') {
        throw new SuperstepError('CHECKPOINT_CORRUPT', `an actor snapshot does not decode: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
    for (const commit of commits) await commit();
  }

  private async prepareLevel(
    cut: InstanceCut,
    runResetHooks: boolean,
    commits: (() => Promise<void>)[],
    discards: (() => Promise<unknown>)[],
  ): Promise<void> {
    const instance = this.coordinator.instance;
    const hosts = allHosts(this.pool);
    discards.push(() => Promise.allSettled(hosts.map((host) => host.control.discardPrepared(instance))));
    await prepareOnHosts(hosts, this.coordinator, cut, runResetHooks);
    commits.push(async () => {
      await Promise.all(hosts.map((host) => host.control.commitPrepared(instance)));
      this.coordinator.replace(cut);
    });
    for (const [id, child] of this.children) {
      await child.prepareLevel(cut.children.get(id) ?? child.initialCut(), runResetHooks, commits, discards);
    }
  }

  /** Cancels an active run, unloads the actors and, if the workflow made its pool, closes it. Idempotent. */
  async close(): Promise<void> {
    if (this.lifecycle.status === 'closed') return;
    await this.runs.cancelActive('workflow closed');
    this.lifecycle.close();
    this.unregister();
    await Promise.allSettled([...this.children.values()].map((child) => child.close()));
    if (this.ownsPool) {
      await this.pool.close();
    } else if (!this.pool.isClosed) {
      await Promise.allSettled(allHosts(this.pool).map((host) => host.control.dropInstance(this.coordinator.instance)));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
