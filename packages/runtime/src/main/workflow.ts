/**
 * A workflow instance: a validated graph whose actors live in a pool's workers, run one run at a time.
 */
import { randomUUID } from 'node:crypto';
import { assertSerializable } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { TERMINAL_STATUSES, type RunStatus, type WorkflowEvent } from '../shared/events.ts';
import type { ExecutorInfo, HostLink } from '../shared/protocol.ts';
import { ActorPool, createPool, type PoolOptions } from './actor-pool.ts';
import { Coordinator } from './coordinator.ts';
import { EventChannel } from './event-channel.ts';
import type { Graph } from './graph.ts';
import { Lifecycle, type LifecycleStatus } from './lifecycle.ts';
import { RunHandle, type RunOutcome } from './run-handle.ts';

/** Options of `WorkflowBuilder.build()`. */
export interface WorkflowOptions extends PoolOptions {
  /** Share a pool between workflows. Without one, the workflow creates its own and closes it with itself. */
  readonly pool?: ActorPool;
  /** Default superstep limit of each run (SPEC 7). Default 100. */
  readonly maxSupersteps?: number;
  /** Initial workflow-scoped shared state (SPEC 45). */
  readonly sharedState?: Readonly<Record<string, unknown>>;
  /** Makes run ids (inject for deterministic tests). Default `crypto.randomUUID`. */
  readonly createId?: () => string;
}

/** Options of {@link Workflow.run}. */
export interface RunOptions {
  /** Aborting cancels the run (SPEC 38). */
  readonly signal?: AbortSignal;
  /** This run's superstep limit; overrides the workflow's (SPEC 7). */
  readonly maxSupersteps?: number;
}

const DEFAULT_MAX_SUPERSTEPS = 100;

function checkLimit(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be an integer ≥ 1, got ${String(value)}`, {
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

  private constructor(
    readonly graph: Graph,
    private readonly pool: ActorPool,
    private readonly ownsPool: boolean,
    private readonly coordinator: Coordinator,
    private readonly maxSupersteps: number,
    private readonly createId: () => string,
  ) {
    this.signature = graph.signature;
  }

  /** @internal use `WorkflowBuilder.build()` */
  static async create<Input>(graph: Graph, options: WorkflowOptions): Promise<Workflow<Input>> {
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? DEFAULT_MAX_SUPERSTEPS;
    const sharedState = new Map(Object.entries(options.sharedState ?? {}));
    for (const [key, value] of sharedState) assertSerializable(value, { executorId: `$shared.${key}`, direction: 'shared-state' });
    const pool = options.pool ?? (await createPool(options));
    pool.assertOpen();
    const instance = `wf${++instanceCounter}-${randomUUID().slice(0, 8)}`;
    const hosts: HostLink[] = Array.from({ length: pool.threads }, (_, index) => pool.host(index));
    // Actors are spread over hosts round-robin, each workflow starting where the last one stopped.
    const placement = new Map<string, number>();
    let cursor = pool.nextPlacement();
    for (const id of graph.executors.keys()) placement.set(id, cursor++ % pool.threads);
    const loaded = await Promise.allSettled(
      hosts.map((host) =>
        host.control.loadInstance({
          instance,
          executors: [...graph.executors.values()],
          actors: [...placement].filter(([, index]) => index === host.index).map(([id]) => id),
          snapshots: [],
          shared: [...sharedState].map(([key, value]) => [key, value, false] as const),
        }),
      ),
    );
    const failed = loaded.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.allSettled(hosts.map((host) => host.control.dropInstance(instance)));
      if (options.pool === undefined) await pool.close();
      throw failed.reason;
    }
    const infos = (loaded[0] as PromiseFulfilledResult<ExecutorInfo[]>).value;
    const coordinator = new Coordinator({
      instance,
      graph,
      hosts,
      executors: new Map(infos.map((info) => [info.id, info])),
      placement,
      sharedState,
    });
    return new Workflow<Input>(graph, pool, options.pool === undefined, coordinator, maxSupersteps, options.createId ?? randomUUID);
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
  run(input: Input, options: RunOptions = {}): RunHandle<Output> {
    const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? this.maxSupersteps;
    assertSerializable(input, { executorId: this.graph.start, direction: 'input' });
    const token = Symbol('run');
    this.lifecycle.reserve(token);

    const runId = this.createId();
    const events = new EventChannel<WorkflowEvent>();
    const abort = new AbortController();
    const external = options.signal;
    const onExternalAbort = (): void => abort.abort(external?.reason);
    if (external?.aborted === true) abort.abort(external.reason);
    else external?.addEventListener('abort', onExternalAbort, { once: true });

    let status: RunStatus = 'running';
    const emit = (event: WorkflowEvent): void => {
      if (event.type === 'status') status = event.status;
      events.push(event);
    };

    const outcome = (async (): Promise<RunOutcome<Output>> => {
      // Let the caller attach its iteration first; the run starts on the next microtask.
      await Promise.resolve();
      this.lifecycle.start(token);
      emit({ type: 'run.started', runId });
      emit({ type: 'status', status: 'running' });
      try {
        const ended = await this.coordinator.execute({ runId, input, maxSupersteps, signal: abort.signal, emit });
        if (ended.kind === 'idle') {
          emit({ type: 'status', status: 'idle' });
          return { ok: true, result: { runId, status: 'idle', outputs: ended.outputs as Output[], supersteps: ended.supersteps } };
        }
        emit({ type: 'status', status: ended.kind });
        return { ok: false, error: ended.error, status: ended.kind };
      } catch (error) {
        const wrapped = error instanceof SuperstepError ? error : new SuperstepError('INTERNAL', String(error), { cause: error });
        emit({ type: 'run.failed', error: wrapped.toRecord() });
        emit({ type: 'status', status: 'failed' });
        return { ok: false, error: wrapped, status: 'failed' };
      } finally {
        external?.removeEventListener('abort', onExternalAbort);
        if (!TERMINAL_STATUSES.has(status)) emit({ type: 'status', status: 'failed' });
        events.close();
        if (this.activeRun?.token === token) this.activeRun = undefined;
        this.lifecycle.release(token);
      }
    })();
    this.activeRun = { token, abort, done: outcome };
    return new RunHandle<Output>({
      runId,
      events,
      outcome,
      status: () => status,
      cancel: (reason) => abort.abort(reason),
    });
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
    if (this.ownsPool) {
      await this.pool.close();
    } else if (!this.pool.isClosed) {
      await Promise.allSettled(
        Array.from({ length: this.pool.threads }, (_, index) => this.pool.host(index).control.dropInstance(this.coordinator.instance)),
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
