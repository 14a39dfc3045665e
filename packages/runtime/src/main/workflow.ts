/**
 * A workflow instance: a validated graph whose actors live in a pool's workers, run one run at a time.
 */
import { randomUUID } from 'node:crypto';
import { contentHash } from '../shared/content-hash.ts';
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import type { RequestEvent, RunStatus, WorkflowEvent } from '../shared/events.ts';
import type { ExecutorInfo, HostLink } from '../shared/protocol.ts';
import { type ActorPool, createPool, type PoolOptions } from './actor-pool.ts';
import { Coordinator, type InstanceCut, type RunContext } from './coordinator.ts';
import { SubWorkflowRunner } from './sub-workflow-runner.ts';
import type { CheckpointState } from './checkpoints/checkpoint-body.ts';
import { decodeCheckpointBody } from './checkpoints/checkpoint-body.ts';
import { Checkpointer } from './checkpoints/checkpointer.ts';
import { markImmutable } from './checkpoints/snapshot-bytes.ts';
import type { CheckpointMeta, CheckpointStore } from './checkpoints/checkpoint-store.ts';
import { EventChannel } from './event-channel.ts';
import type { Graph } from './graph.ts';
import { Lifecycle, type LifecycleStatus } from './lifecycle.ts';
import { toMermaid } from './mermaid.ts';
import { RunHandle, type RunOutcome } from './run-handle.ts';
import { optionsObject } from '../shared/options.ts';

/** Options of `WorkflowBuilder.build()`. */
export interface WorkflowOptions extends PoolOptions {
  /** Share a pool between workflows. Without one, the workflow creates its own and closes it with itself. */
  readonly pool?: ActorPool;
  /** Default superstep limit of each run (SPEC 7). Default 100. */
  readonly maxSupersteps?: number;
  /** Initial workflow-scoped shared state (SPEC 45). */
  readonly sharedState?: Readonly<Record<string, unknown>>;
  /** Makes run, lineage and checkpoint ids (inject for deterministic tests). Default `crypto.randomUUID`. */
  readonly createId?: () => string;
  /** The clock for checkpoint timestamps, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** A stable name: checkpoints are listed by it. Default: the start executor's id. */
  readonly name?: string;
  /** Checkpoint every barrier of every run to this store (SPEC 23). */
  readonly store?: CheckpointStore;
  /** Where failed checkpoint writes are logged (SPEC 27). Default `console`. */
  readonly logger?: Pick<Console, 'warn'>;
  /** After a cancel, how long handlers get to return before their worker is terminated (SPEC 38). Default 500. */
  readonly cancelGraceMs?: number;
  /** How many times a superstep is replayed after its worker died before the run fails (SPEC 39). Default 3. */
  readonly maxWorkerRestarts?: number;
}

/** Options of {@link Workflow.run} and {@link Workflow.resume}. */
export interface RunOptions {
  /** Aborting cancels the run (SPEC 38). */
  readonly signal?: AbortSignal;
  /** This run's superstep limit; overrides the workflow's (SPEC 7). */
  readonly maxSupersteps?: number;
  /** Checkpoint this run (only) to this store instead of the workflow's. */
  readonly store?: CheckpointStore;
  /**
   * Answers requests as they come (SPEC 19): called for each `request` event; what it returns (or resolves
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
}

/** Options of {@link Workflow.resume}. */
export interface ResumeOptions extends RunOptions {
  /** Answers to pending requests, applied before the run starts; unanswered ones are re-emitted (SPEC 21). */
  readonly responses?: Readonly<Record<string, unknown>>;
}

/** Options of {@link Workflow.restore} and {@link Workflow.createCheckpoint}. */
export interface StoreOptions {
  /** The store to use instead of the workflow's. */
  readonly store?: CheckpointStore;
}

const DEFAULT_MAX_SUPERSTEPS = 100;

function checkLimit(value: number | undefined, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be an integer ≥ ${min}, got ${String(value)}`, {
      details: { option },
    });
  }
  return value;
}

function checkNonNegative(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be a number ≥ 0, got ${String(value)}`, {
      details: { option },
    });
  }
  return value;
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
  private activeRun: { token: symbol; abort: AbortController; done: Promise<unknown> } | undefined;
  private readonly checkpointer: Checkpointer;
  private readonly createId: () => string;
  private readonly store: CheckpointStore | undefined;
  private readonly logger: Pick<Console, 'warn'>;
  private readonly initialShared: ReadonlyMap<string, unknown>;
  private unregister: () => void = () => undefined;
  /** Sub-workflow nodes' instances (SPEC 43). */
  private children: ReadonlyMap<string, Workflow> = new Map();

  private constructor(
    readonly graph: Graph,
    private readonly pool: ActorPool,
    private readonly ownsPool: boolean,
    private readonly coordinator: Coordinator,
    private readonly maxSupersteps: number,
    options: WorkflowOptions,
  ) {
    this.signature = graph.signature;
    this.createId = options.createId ?? randomUUID;
    this.store = options.store;
    this.logger = options.logger ?? console;
    this.initialShared = new Map(coordinator.shared);
    this.checkpointer = new Checkpointer({
      workflowName: options.name ?? graph.start,
      graph,
      createId: this.createId,
      now: options.now ?? Date.now,
    });
  }

  /** @internal use `WorkflowBuilder.build()` */
  static async create<Input>(graph: Graph, given: WorkflowOptions | undefined): Promise<Workflow<Input>> {
    // Every option is checked before any thread starts: a refused option must not leave a pool running.
    const options = optionsObject(given);
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? DEFAULT_MAX_SUPERSTEPS;
    const cancelGraceMs = checkNonNegative(options.cancelGraceMs, 'options.cancelGraceMs') ?? 500;
    const maxWorkerRestarts = checkLimit(options.maxWorkerRestarts, 'options.maxWorkerRestarts', 0) ?? 3;
    const shared: unknown = options.sharedState;
    if (shared !== undefined && (typeof shared !== 'object' || shared === null)) {
      throw new SuperstepError('INVALID_OPTION', 'options.sharedState must be an object of key → value', {
        details: { option: 'sharedState' },
      });
    }
    if (options.store !== undefined && typeof (options.store as Partial<CheckpointStore>).save !== 'function') {
      throw new SuperstepError('INVALID_OPTION', 'options.store must be a CheckpointStore', {
        details: { option: 'store' },
      });
    }
    const sharedState = new Map<string, unknown>();
    for (const [key, value] of Object.entries(options.sharedState ?? {})) {
      assertSerializable(value, { executorId: `$shared.${key}`, direction: 'shared-state' });
      // A copy through the codec: the caller's object is not aliased (mutating it later changes nothing).
      sharedState.set(key, decode(encode(value)));
    }
    const pool = options.pool ?? (await createPool(options));
    pool.assertOpen();
    const instance = `wf${++instanceCounter}-${randomUUID().slice(0, 8)}`;
    const hosts: HostLink[] = Array.from({ length: pool.threads }, (_, index) => pool.host(index));
    // Sub-workflow nodes are run by the coordinator, not loaded by workers (SPEC 43).
    const children = new Map<string, Workflow>();
    try {
      for (const [id, childGraph] of graph.subWorkflows) {
        const { store: _store, sharedState: _shared, name, ...inherited } = options;
        children.set(
          id,
          await Workflow.create(childGraph, { ...inherited, pool, name: `${name ?? graph.start}/${id}` }),
        );
      }
    } catch (error) {
      await Promise.allSettled([...children.values()].map((child) => child.close()));
      if (options.pool === undefined) await pool.close();
      throw error;
    }
    const locations = [...graph.executors.values()].filter((location) => !graph.subWorkflows.has(location.id));
    // Actors are spread over hosts round-robin; each workflow's first actor goes to the next host over.
    const placement = new Map<string, number>();
    let cursor = pool.nextPlacement();
    for (const { id } of locations) placement.set(id, cursor++ % pool.threads);
    const loaded = await Promise.allSettled(
      hosts.map((host) =>
        host.control.loadInstance({
          instance,
          executors: locations,
          actors: [...placement].filter(([, index]) => index === host.index).map(([id]) => id),
          snapshots: [],
          shared: [...sharedState].map(([key, value]) => [key, value, false] as const),
        }),
      ),
    );
    const failed = loaded.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.allSettled(hosts.map((host) => host.control.dropInstance(instance)));
      await Promise.allSettled([...children.values()].map((child) => child.close()));
      if (options.pool === undefined) await pool.close();
      throw failed.reason;
    }
    const infos = (loaded[0] as PromiseFulfilledResult<ExecutorInfo[]>).value;
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
    // A replaced host gets this instance's actors back as of the last barrier (main's mirror).
    const unregister = pool.registerInstance(instance, async (host) => {
      const actors = coordinator.actorsOn(host.index);
      await host.control.loadInstance({
        instance,
        executors: locations,
        actors,
        snapshots: actors.flatMap((id) => {
          const bytes = coordinator.snapshots.get(id);
          return bytes === undefined ? [] : [[id, bytes] as const];
        }),
        shared: [...coordinator.shared].map(([key, value]) => [key, value, false] as const),
      });
    });
    const workflow = new Workflow<Input>(graph, pool, options.pool === undefined, coordinator, maxSupersteps, options);
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
   * Starts a run. The reservation is synchronous (SPEC 29): while another run holds the instance this
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
    return this.startRun({ kind: 'input', input }, maxSupersteps, options);
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
    return this.startRun({ kind: 'resume' }, maxSupersteps, options);
  }

  private startRun(start: RunContext['start'], maxSupersteps: number, options: ResumeOptions): RunHandle<Output> {
    const pendingMode = options.onPendingRequests ?? 'auto';
    if (!(['auto', 'wait', 'end'] as unknown[]).includes(pendingMode)) {
      throw new SuperstepError('INVALID_OPTION', `options.onPendingRequests must be 'auto', 'wait' or 'end'`, {
        details: { option: 'onPendingRequests' },
      });
    }
    // Set once the handle exists: whether its events are being iterated right now.
    let iterating = (): boolean => false;
    const onPendingRequests = (): 'wait' | 'end' =>
      pendingMode !== 'auto' ? pendingMode : options.onRequest !== undefined || iterating() ? 'wait' : 'end';
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new SuperstepError('INVALID_OPTION', 'options.signal must be an AbortSignal', {
        details: { option: 'signal' },
      });
    }
    if (options.onRequest !== undefined && typeof options.onRequest !== 'function') {
      throw new SuperstepError('INVALID_OPTION', 'options.onRequest must be a function', {
        details: { option: 'onRequest' },
      });
    }
    if (options.store !== undefined && typeof (options.store as Partial<CheckpointStore>).save !== 'function') {
      throw new SuperstepError('INVALID_OPTION', 'options.store must be a CheckpointStore', {
        details: { option: 'store' },
      });
    }
    const token = Symbol('run');
    this.lifecycle.reserve(token);

    const runId = this.createId();
    const events = new EventChannel<WorkflowEvent>();
    const abort = new AbortController();
    const external = options.signal;
    const onExternalAbort = (): void => {
      abort.abort(external?.reason);
    };
    if (external?.aborted === true) abort.abort(external.reason);
    else external?.addEventListener('abort', onExternalAbort, { once: true });

    let status: RunStatus = 'running';
    let ended = false;
    const respond = (requestId: string, value: unknown): Promise<void> => {
      if (ended) {
        return Promise.reject(
          new SuperstepError('RUN_ENDED', `run ${runId} has ended; answer with workflow.resume({ responses })`, {
            details: { runId, requestId },
          }),
        );
      }
      return this.coordinator.respond(requestId, value);
    };
    const onRequest = options.onRequest;
    const emit = (event: WorkflowEvent): void => {
      if (event.type === 'status') status = event.status;
      events.push(event);
      if (event.type === 'request' && onRequest !== undefined) {
        void (async () => {
          try {
            await respond(event.requestId, await onRequest(event));
          } catch (error) {
            emit({
              type: 'warning',
              code: 'REQUEST_HANDLER_FAILED',
              message: `onRequest for "${event.requestId}" failed: ${String(error)}; the request stays pending`,
              superstep: event.superstep,
              details: { requestId: event.requestId, error: String(error) },
            });
          }
        })();
      }
    };
    const setStatus = (next: RunStatus): void => {
      if (next !== status) emit({ type: 'status', status: next, final: false });
    };
    // A per-run store belongs to this run only: it lives in this closure, not on the instance (SPEC 36).
    const store = options.store ?? this.store;
    const checkpoint =
      store === undefined
        ? undefined
        : (cut: InstanceCut): Promise<WorkflowEvent> => this.writeCheckpoint(store, runId, cut);

    const outcome = (async (): Promise<RunOutcome<Output>> => {
      // Let the caller attach its iteration first; the run starts on the next microtask.
      await Promise.resolve();
      this.lifecycle.start(token);
      emit({ type: 'run.started', runId });
      emit({ type: 'status', status: 'running', final: false });
      let final: RunStatus = 'failed';
      try {
        // Answers given with resume() are checked all together before any is applied (SPEC 20, 21).
        if (options.responses !== undefined)
          await this.coordinator.respondAll(new Map(Object.entries(options.responses)));
        const outcome = await this.coordinator.execute({
          runId,
          start,
          maxSupersteps,
          signal: abort.signal,
          emit,
          checkpoint,
          onPendingRequests,
          eventsWanted: () => !events.discarding,
          status: setStatus,
        });
        if (outcome.kind === 'idle') {
          final = outcome.pendingRequests.length > 0 ? 'idle-with-pending-requests' : 'idle';
          return {
            ok: true,
            result: {
              runId,
              status: final,
              outputs: outcome.outputs as Output[],
              supersteps: outcome.supersteps,
              pendingRequests: outcome.pendingRequests,
            },
          };
        }
        final = outcome.kind;
        return { ok: false, error: outcome.error, status: outcome.kind };
      } catch (error) {
        const wrapped =
          error instanceof SuperstepError ? error : new SuperstepError('INTERNAL', String(error), { cause: error });
        emit({ type: 'run.failed', error: wrapped.toRecord() });
        return { ok: false, error: wrapped, status: 'failed' };
      } finally {
        ended = true;
        external?.removeEventListener('abort', onExternalAbort);
        // Exactly one final status per run, on every exit path (SPEC 16).
        emit({ type: 'status', status: final, final: true });
        events.close();
        if (this.activeRun?.token === token) this.activeRun = undefined;
        this.lifecycle.release(token);
      }
    })();
    this.activeRun = { token, abort, done: outcome };
    const handle = new RunHandle<Output>({
      runId,
      events,
      outcome,
      status: () => status,
      cancel: (reason) => {
        abort.abort(reason);
      },
      respond,
    });
    iterating = () => handle.isIterating;
    return handle;
  }

  /** A failed write is reported and leaves the lineage as it was (SPEC 27); the run goes on. */
  private async writeCheckpoint(
    store: CheckpointStore,
    runId: string | null,
    cut: InstanceCut,
  ): Promise<WorkflowEvent> {
    const { superstep } = cut;
    try {
      const meta = await this.checkpointer.write(store, cut, runId);
      return { type: 'checkpoint.saved', checkpointId: meta.id, superstep, store: store.kind };
    } catch (error) {
      const message = `checkpoint of superstep ${superstep} to the ${store.kind} store failed: ${String(error)}`;
      this.logger.warn(`superstep: ${message}`);
      return {
        type: 'warning',
        code: 'CHECKPOINT_FAILED',
        message,
        superstep,
        details: { store: store.kind, error: String(error) },
      };
    }
  }

  /**
   * Holds the reservation for an idle-only operation, so a concurrent `run()` gets `WORKFLOW_BUSY`.
   */
  private async exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const token = Symbol('exclusive');
    this.lifecycle.reserve(token);
    try {
      return await operation();
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
   * Captures the whole idle instance as a checkpoint — also before its first run (SPEC 33). Refused with
   * `WORKFLOW_NOT_IDLE` if messages are still queued (from a failed run), or `WORKFLOW_BUSY` during a run.
   *
   * @example
   * const meta = await workflow.createCheckpoint();
   */
  async createCheckpoint(options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(optionsObject(options).store);
    return await this.exclusive(async () => {
      if (this.coordinator.queue.length > 0) {
        throw new SuperstepError(
          'WORKFLOW_NOT_IDLE',
          `${this.coordinator.queue.length} messages are still queued; resume() or reset() first`,
          {
            details: { queued: this.coordinator.queue.length },
          },
        );
      }
      return await this.checkpointer.write(store, this.coordinator.cut(), null);
    });
  }

  /**
   * Replaces the instance's state with a checkpoint's (SPEC 24). Everything is checked — format version,
   * graph signature, every byte — before anything changes (SPEC 25, 42). Then {@link resume} carries on.
   *
   * @example
   * const latest = await store.latest({ workflowName: 'orders' });
   * if (latest) { await workflow.restore(latest.id); await workflow.resume().result(); }
   */
  async restore(checkpointId: string, options?: StoreOptions): Promise<CheckpointMeta> {
    const store = this.requireStore(optionsObject(options).store);
    return await this.exclusive(async () => {
      const read = await store.load(checkpointId);
      if (read === undefined) {
        throw new SuperstepError('CHECKPOINT_NOT_FOUND', `no checkpoint "${checkpointId}" in the ${store.kind} store`, {
          details: { checkpointId },
        });
      }
      if (read.meta.signature !== this.signature) {
        throw new SuperstepError(
          'CHECKPOINT_SIGNATURE_MISMATCH',
          `checkpoint "${checkpointId}" was made by a workflow with a different graph`,
          {
            details: { checkpointId, expected: this.signature, found: read.meta.signature },
          },
        );
      }
      const state = decodeCheckpointBody(read.body, this.graph);
      const cut = this.cutFromCheckpoint(state, read.blobs, checkpointId);
      await this.applyCut(cut);
      this.checkpointer.resumeFrom(read.meta, store);
      const pairs: [Uint8Array, string][] = [];
      const collect = (level: CheckpointState, bytesOf: InstanceCut): void => {
        for (const [actorId, hash] of level.actors) {
          const bytes = bytesOf.snapshots.get(actorId);
          if (bytes !== undefined) pairs.push([bytes, hash]);
        }
        for (const [id, child] of level.children) {
          const childCut = bytesOf.children.get(id);
          if (childCut !== undefined) collect(child, childCut);
        }
      };
      collect(state, cut);
      this.checkpointer.remember(store, read.meta.blobHashes, pairs);
      return read.meta;
    });
  }

  /** Resolves a decoded checkpoint's blob references into snapshot bytes, at every level. */
  private cutFromCheckpoint(
    state: CheckpointState,
    blobs: ReadonlyMap<string, Uint8Array>,
    checkpointId: string,
  ): InstanceCut {
    const corrupt = (reason: string): SuperstepError =>
      new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint "${checkpointId}": ${reason}`, {
        details: { checkpointId, reason },
      });
    // Everything the body names must exist in this graph: a restore must not fail later, mid-run.
    const known = (id: string): boolean => this.graph.executors.has(id);
    for (const envelope of state.queue) {
      if (!known(envelope.target)) throw corrupt(`a queued message targets unknown executor "${envelope.target}"`);
    }
    for (const request of state.requests) {
      if (!known(request.executorId)) throw corrupt(`a pending request names unknown executor "${request.executorId}"`);
    }
    for (const [index, perSource] of state.fanIn) {
      const edge = this.graph.edges[index];
      if (edge?.kind !== 'fan-in') throw corrupt(`a fan-in buffer names edge ${index}, which is not a fan-in`);
      for (const source of perSource.keys()) {
        if (!edge.from.includes(source)) throw corrupt(`a fan-in buffer holds messages of non-source "${source}"`);
      }
    }
    const snapshots = new Map<string, Uint8Array>();
    for (const [actorId, hash] of state.actors) {
      if (!this.graph.executors.has(actorId)) {
        throw new SuperstepError(
          'CHECKPOINT_CORRUPT',
          `checkpoint "${checkpointId}" names unknown actor "${actorId}"`,
          {
            details: { checkpointId, actorId },
          },
        );
      }
      const bytes = blobs.get(hash);
      if (bytes === undefined) {
        throw new SuperstepError(
          'CHECKPOINT_CORRUPT',
          `checkpoint "${checkpointId}" lacks the snapshot of actor "${actorId}"`,
          {
            details: { checkpointId, actorId, hash },
          },
        );
      }
      // Content-addressed: bytes that do not hash to their address were damaged (and might still decode).
      if (contentHash(bytes) !== hash) {
        throw corrupt(`the snapshot of actor "${actorId}" does not match its SHA-256 address`);
      }
      snapshots.set(actorId, markImmutable(bytes));
    }
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
   * Returns the instance to its initial state (SPEC 34): actor state, shared state, queued messages, fan-in
   * buffers and pending requests are cleared — in sub-workflows too — reset hooks run, and a new checkpoint
   * lineage starts. Atomic: if a reset hook throws (`RESET_FAILED`) the instance is exactly as before (SPEC 35).
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
    const hosts = Array.from({ length: this.pool.threads }, (_, index) => this.pool.host(index));
    discards.push(() => Promise.allSettled(hosts.map((host) => host.control.discardPrepared(instance))));
    const sharedWrites = [...cut.shared].map(([key, value]) => [key, value, false] as const);
    const prepared = await Promise.allSettled(
      hosts.map((host) =>
        host.control.prepareStates(instance, {
          snapshots: this.coordinator.actorsOn(host.index).flatMap((id) => {
            const bytes = cut.snapshots.get(id);
            return bytes === undefined ? [] : [[id, bytes] as const];
          }),
          shared: sharedWrites,
          runResetHooks,
        }),
      ),
    );
    const failed = prepared.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
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
    const active = this.activeRun;
    if (active !== undefined) {
      active.abort.abort('workflow closed');
      await active.done;
    }
    this.lifecycle.close();
    this.unregister();
    await Promise.allSettled([...this.children.values()].map((child) => child.close()));
    if (this.ownsPool) {
      await this.pool.close();
    } else if (!this.pool.isClosed) {
      await Promise.allSettled(
        Array.from({ length: this.pool.threads }, (_, index) =>
          this.pool.host(index).control.dropInstance(this.coordinator.instance),
        ),
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
