/**
 * The worker pool: the only module that touches piscina. Piscina creates, limits, replaces and
 * terminates the threads; each thread runs one long-lived host task (see worker/host-task.ts) and the
 * coordinator reaches it over two dedicated MessagePorts — data plane and control plane — rather than
 * one piscina task per superstep, which measured about twice as slow (docs/design.md).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SuperstepError } from '../../shared/errors.ts';
import type { HostLink, HostReloader, HostSet } from '../../shared/host-set.ts';
import { invalidOption, optionsObject } from '../../shared/options.ts';
import { WorkerHostLink, type ControlRoute } from './worker-host-link.ts';

/**
 * The worker's entry. Compiled (an installed package): the host task itself, plain JavaScript. From sources
 * (this workspace's tests and examples): a bootstrap that registers tsx first, since the task is TypeScript.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('../../entry/worker.mjs', import.meta.url).href
  : new URL('../../worker/host-task.js', import.meta.url).href;

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Worker threads hosting actors. Default: `os.availableParallelism()`. */
  readonly threads?: number;
  /** Per-thread V8 limits, passed to each worker (a thread over them is replaced, not the process). */
  readonly resourceLimits?: ResourceLimits;
  /** A long superstep streams its events after this many ms rather than at the barrier. Default 20. */
  readonly eventFlushMs?: number;
}

/** What {@link ActorPool.health} reports: heap in use, in bytes, per thread. */
export interface PoolHealth {
  readonly main: { readonly heapUsed: number; readonly collected: boolean };
  readonly hosts: readonly {
    readonly index: number;
    readonly threadId: number;
    /** Workflow instances loaded on the host. */
    readonly instances: number;
    readonly heapUsed: number;
    /** Whether a full GC ran before measuring (only with `--expose-gc`). */
    readonly collected: boolean;
  }[];
}

interface ResolvedPoolOptions {
  readonly threads: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly eventFlushMs: number;
}

/** Checks pool options once, at the boundary (also for a workflow given a pool), and fills in defaults. */
export function resolvePoolOptions(given: PoolOptions | undefined): ResolvedPoolOptions {
  const options = optionsObject(given);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new SuperstepError(
      'INVALID_OPTION',
      `options.threads must be an integer from 1 to 1024, got ${String(threads)}`,
      {
        details: { option: 'threads' },
      },
    );
  }
  const eventFlushMs = options.eventFlushMs ?? 20;
  if (!Number.isFinite(eventFlushMs) || eventFlushMs < 0) {
    throw new SuperstepError(
      'INVALID_OPTION',
      `options.eventFlushMs must be a number ≥ 0, got ${String(eventFlushMs)}`,
      {
        details: { option: 'eventFlushMs' },
      },
    );
  }
  const limits: unknown = options.resourceLimits;
  if (limits !== undefined && (typeof limits !== 'object' || limits === null || Array.isArray(limits))) {
    throw invalidOption('options.resourceLimits', 'an object (ResourceLimits of node:worker_threads)', limits);
  }
  return Object.freeze({ threads, resourceLimits: options.resourceLimits, eventFlushMs });
}

/**
 * A pool of actor hosts on worker threads. Several workflows may share one pool; a workflow built
 * without one creates its own and closes it with itself.
 *
 * @example
 * await using pool = await createPool({ threads: 4 });
 * const a = await builderA.build({ pool });
 * const b = await builderB.build({ pool });
 */
export class ActorPool implements AsyncDisposable, HostSet {
  readonly threads: number;
  private readonly piscina: Piscina;
  private readonly links: WorkerHostLink[] = [];
  private readonly options: ResolvedPoolOptions;
  private closed = false;
  /** Set once every host answered: from then on a dead host is replaced. */
  private started = false;
  private placementCursor = 0;
  private readonly reloaders = new Map<string, HostReloader>();
  /** Hosts started so far, replacements included: each gets its own id. */
  private hostsStarted = 0;
  private readonly restartListeners = new Set<(index: number, reason: string) => void>();

  /**
   * Use {@link createPool}. `route` is how links reach their hosts' control planes; `taskData` adds fields
   * to each host task's input, by thread index (a `superstep-host` process passes its NATS settings).
   */
  constructor(
    options: PoolOptions = {},
    private readonly route: ControlRoute = 'comlink',
    private readonly taskData?: (index: number) => Readonly<Record<string, unknown>>,
  ) {
    this.options = resolvePoolOptions(options);
    this.threads = this.options.threads;
    this.piscina = new Piscina({
      filename: WORKER_ENTRY,
      minThreads: this.threads,
      maxThreads: this.threads,
      // One host task per thread, forever: a second task must never share a host's thread.
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      atomics: 'disabled',
      ...(this.options.resourceLimits === undefined ? {} : { resourceLimits: this.options.resourceLimits }),
    });
    // A thread that dies outside a task (e.g. at start-up, over its memory limit) is reported as an
    // 'error' event; unheard, it would crash the process. Its host task fails too, which is handled.
    this.piscina.on('error', () => undefined);
    for (let index = 0; index < this.threads; index++) this.links.push(this.startHost(index));
  }

  private startHost(index: number): WorkerHostLink {
    const data = new MessageChannel();
    const control = new MessageChannel();
    const abort = new AbortController();
    // Aborting a running piscina task terminates its thread: the one way to stop a `while (true) {}`.
    const done = this.piscina.run(
      {
        ...this.taskData?.(index),
        dataPort: data.port2,
        controlPort: control.port2,
        flushIntervalMs: this.options.eventFlushMs,
      },
      { transferList: [data.port2, control.port2], signal: abort.signal },
    );
    const hostId = `${this.route === 'codec' ? 'loopback' : 'thread'}-${index}.${++this.hostsStarted}`;
    const link = new WorkerHostLink({
      index,
      hostId,
      dataPort: data.port1,
      controlPort: control.port1,
      route: this.route,
      done,
      kill: (reason) => {
        abort.abort(reason);
      },
    });
    const onEnd = (cause: unknown): void => {
      link.markLost(cause);
      // Before the pool is up, a dying thread fails start-up (a limit it cannot start under would
      // otherwise be retried forever); afterwards it is replaced.
      if (!this.closed && this.started && this.links[index] === link) this.replace(index, cause);
    };
    done.then(() => {
      onEnd('host stopped');
    }, onEnd);
    return link;
  }

  /** A host died or was killed: start another at the same index and reload every instance on it. */
  private replace(index: number, cause: unknown): void {
    const link = this.startHost(index);
    this.links[index] = link;
    // Settles when the reloads are done or the new thread died too (then its steps fail with WORKER_LOST
    // and the superstep is replayed on the next replacement).
    link.ready = Promise.race([
      Promise.all([...this.reloaders.values()].map((reload) => reload(link))).then(() => undefined),
      link.done.then(
        () => undefined,
        () => undefined,
      ),
    ]);
    // A failed reload surfaces on the next step; do not let it go unhandled meanwhile.
    link.ready.catch(() => undefined);
    const reason = cause instanceof Error ? cause.message : String(cause);
    for (const listener of this.restartListeners) listener(index, reason);
  }

  get size(): number {
    return this.threads;
  }

  kill(index: number, reason: string): void {
    this.links[index]?.kill(reason);
  }

  /** {@link HostSet.registerInstance}: how an instance reloads its actors onto a replacement host. */
  registerInstance(instance: string, reload: HostReloader): () => void {
    this.reloaders.set(instance, reload);
    return () => this.reloaders.delete(instance);
  }

  /**
   * Calls `listener` with the host's index and the reason each time a host thread is replaced (it died or was
   * killed); returns the undo. A `superstep-host` process uses it to tell its coordinators.
   */
  onRestart(listener: (index: number, reason: string) => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /** Waits until every host answers (the first call also waits for the threads to start). */
  async ready(): Promise<void> {
    this.assertOpen();
    try {
      await Promise.all(this.links.map((link) => link.control.ping()));
      this.started = true;
    } catch (error) {
      throw new SuperstepError('POOL_START_FAILED', `actor hosts did not start: ${String(error)}`, { cause: error });
    }
  }

  /** {@link HostSet.host}: the link at `index` (the current one: hosts are replaced when they die). */
  host(index: number): HostLink {
    const link = this.links[index];
    if (link === undefined) throw new SuperstepError('INTERNAL', `no host ${index}`);
    return link;
  }

  /** {@link HostSet.nextPlacement}: spreads actors of successive workflows over the hosts. */
  nextPlacement(): number {
    return this.placementCursor++ % this.threads;
  }

  /**
   * What the pool retains: the V8 heap in use on the main thread and in every host thread, each after a
   * full garbage collection where `gc` is exposed (run node with `--expose-gc`; the threads inherit it).
   * For watching a long-lived pool's memory; see docs/reliability.md#memory-bound.
   *
   * @example
   * const { main, hosts } = await pool.health();
   * console.log(main.heapUsed, hosts.map((host) => host.heapUsed));
   */
  async health(): Promise<PoolHealth> {
    this.assertOpen();
    const hosts = await Promise.all(
      this.links.map(async (link, index) => ({ index, ...(await link.control.memory()) })),
    );
    const collected = await collectGarbage();
    return { main: { heapUsed: process.memoryUsage().heapUsed, collected }, hosts };
  }

  assertOpen(): void {
    if (this.closed) throw new SuperstepError('WORKFLOW_CLOSED', 'the actor pool is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops every host and terminates the threads. Idempotent. A host that does not stop within a second
   * (a handler spinning on a shared pool) is terminated by piscina's destroy.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links) link.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.links.map((link) => link.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
    await this.piscina.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A full GC where `gc` is exposed, then a turn of the event loop for finalizers (comlink releases its
 * proxies through one), then another GC: what is left is what is retained. False if `gc` is not exposed.
 */
async function collectGarbage(): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return true;
}

/**
 * Creates a pool of actor hosts and waits until every thread is up.
 *
 * The environment variable `SUPERSTEP_HOST_SET=loopback` makes every pool made here a loopback one (see
 * {@link createLoopbackPool}): a test suite run with it shows that nothing depends on the coordinator and
 * its hosts sharing memory. Unset (or `threads`), pools are plain.
 *
 * @example
 * const pool = await createPool({ threads: 2 });
 * try { … } finally { await pool.close(); }
 */
export async function createPool(options: PoolOptions = {}): Promise<ActorPool> {
  return await startPool(options, routeFromEnvironment());
}

/**
 * Creates a loopback pool: its hosts run in worker threads as usual, but every batch and every control
 * call crosses as codec bytes on one channel, answered by id, exactly as it would to a host in another
 * process. It is slower than {@link createPool} on control calls and meant for tests of the host seam.
 *
 * @example
 * await using hosts = await createLoopbackPool({ threads: 2 });
 * await using workflow = await builder.build({ pool: hosts });
 */
export async function createLoopbackPool(options: PoolOptions = {}): Promise<ActorPool> {
  return await startPool(options, 'codec');
}

/**
 * A thread pool whose host tasks get `taskData(index)` besides their ports: how a `superstep-host` process
 * makes its threads serve lanes from NATS. Not exported from the package's entries.
 */
export async function createPoolWithTaskData(
  options: PoolOptions,
  taskData: (index: number) => Readonly<Record<string, unknown>>,
): Promise<ActorPool> {
  return await startPool(options, 'comlink', taskData);
}

async function startPool(
  options: PoolOptions,
  route: ControlRoute,
  taskData?: (index: number) => Readonly<Record<string, unknown>>,
): Promise<ActorPool> {
  const pool = new ActorPool(options, route, taskData);
  try {
    await pool.ready();
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

/** The host set `SUPERSTEP_HOST_SET` asks for. */
function routeFromEnvironment(): ControlRoute {
  const wanted = process.env.SUPERSTEP_HOST_SET ?? '';
  if (wanted === '' || wanted === 'threads') return 'comlink';
  if (wanted === 'loopback') return 'codec';
  throw new SuperstepError(
    'INVALID_OPTION',
    `SUPERSTEP_HOST_SET must be "threads" or "loopback", got ${JSON.stringify(wanted)}`,
    { details: { option: 'SUPERSTEP_HOST_SET' } },
  );
}
