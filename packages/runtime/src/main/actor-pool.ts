/**
 * The worker pool: the only module that touches piscina. Piscina creates, limits, replaces and
 * terminates the threads; each thread runs one long-lived host task (see worker/host-task.ts) and the
 * coordinator reaches it over two dedicated MessagePorts — data plane and control plane — rather than
 * one piscina task per superstep, which measured about twice as slow (docs/design.md).
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { decode, encode } from '../shared/codec.ts';
import { connectControl } from '../shared/control-plane.ts';
import { SuperstepError } from '../shared/errors.ts';
import type {
  HostControl,
  HostEventsMessage,
  HostLink,
  HostToMain,
  StepBatch,
  StepReply,
} from '../shared/protocol.ts';

const WORKER_ENTRY = new URL('../entry/worker.mjs', import.meta.url).href;

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Worker threads hosting actors. Default: `os.availableParallelism()`. */
  readonly threads?: number;
  /** Per-thread V8 limits, passed to each worker (a thread over them is replaced, not the process). */
  readonly resourceLimits?: ResourceLimits;
  /** A long superstep streams its events after this many ms rather than at the barrier. Default 20. */
  readonly eventFlushMs?: number;
}

interface ResolvedPoolOptions {
  readonly threads: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly eventFlushMs: number;
}

function resolvePoolOptions(options: PoolOptions): ResolvedPoolOptions {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new SuperstepError('INVALID_OPTION', `options.threads must be an integer from 1 to 1024, got ${String(threads)}`, {
      details: { option: 'threads' },
    });
  }
  const eventFlushMs = options.eventFlushMs ?? 20;
  if (!Number.isFinite(eventFlushMs) || eventFlushMs < 0) {
    throw new SuperstepError('INVALID_OPTION', `options.eventFlushMs must be a number ≥ 0, got ${String(eventFlushMs)}`, {
      details: { option: 'eventFlushMs' },
    });
  }
  return Object.freeze({ threads, resourceLimits: options.resourceLimits, eventFlushMs });
}

/** One worker thread's host, seen from the main thread. */
class WorkerHostLink implements HostLink {
  readonly control: HostControl;
  private readonly releaseControl: () => void;
  private readonly pendingSteps = new Map<string, { resolve: (reply: StepReply) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<string, (message: HostEventsMessage) => void>();
  private lostError: SuperstepError | undefined;

  constructor(
    readonly index: number,
    private readonly dataPort: MessagePort,
    controlPort: MessagePort,
    readonly done: Promise<unknown>,
  ) {
    const { api, release } = connectControl<HostControl>(controlPort);
    this.control = api;
    this.releaseControl = release;
    dataPort.on('message', (bytes: Uint8Array) => this.receive(decode(bytes) as HostToMain));
  }

  private receive(message: HostToMain): void {
    if (message.op === 'events') {
      this.listeners.get(message.instance)?.(message);
      return;
    }
    const pending = this.pendingSteps.get(message.instance);
    this.pendingSteps.delete(message.instance);
    pending?.resolve(message);
  }

  step(batch: StepBatch): Promise<StepReply> {
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    return new Promise<StepReply>((resolve, reject) => {
      this.pendingSteps.set(batch.instance, { resolve, reject });
      const bytes = encode(batch);
      this.dataPort.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
    });
  }

  subscribe(instance: string, listener: (message: HostEventsMessage) => void): () => void {
    this.listeners.set(instance, listener);
    return () => {
      if (this.listeners.get(instance) === listener) this.listeners.delete(instance);
    };
  }

  /** The thread died: fail whatever waits on it. */
  markLost(cause: unknown): void {
    this.lostError ??= new SuperstepError('WORKER_LOST', `actor host ${this.index} died: ${String(cause)}`, { cause });
    for (const pending of this.pendingSteps.values()) pending.reject(this.lostError);
    this.pendingSteps.clear();
    this.close();
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  stop(): void {
    if (this.lost) return;
    const bytes = encode({ op: 'stop' });
    this.dataPort.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  }

  close(): void {
    this.releaseControl();
    this.dataPort.close();
  }
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
export class ActorPool implements AsyncDisposable {
  readonly threads: number;
  private readonly piscina: Piscina;
  private readonly links: WorkerHostLink[] = [];
  private readonly options: ResolvedPoolOptions;
  private closed = false;
  private placementCursor = 0;

  /** Use {@link createPool}. */
  constructor(options: PoolOptions = {}) {
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
    for (let index = 0; index < this.threads; index++) this.links.push(this.startHost(index));
  }

  private startHost(index: number): WorkerHostLink {
    const data = new MessageChannel();
    const control = new MessageChannel();
    const done = this.piscina.run(
      { dataPort: data.port2, controlPort: control.port2, flushIntervalMs: this.options.eventFlushMs },
      { transferList: [data.port2, control.port2] },
    );
    const link = new WorkerHostLink(index, data.port1, control.port1, done);
    done.then(
      () => link.markLost('host stopped'),
      (error: unknown) => link.markLost(error),
    );
    return link;
  }

  /** Waits until every host answers (the first call also waits for the threads to start). */
  async ready(): Promise<void> {
    this.assertOpen();
    try {
      await Promise.all(this.links.map((link) => link.control.ping()));
    } catch (error) {
      throw new SuperstepError('POOL_START_FAILED', `actor hosts did not start: ${String(error)}`, { cause: error });
    }
  }

  /** The host link at `index`. @internal */
  host(index: number): HostLink {
    const link = this.links[index];
    if (link === undefined) throw new SuperstepError('INTERNAL', `no host ${index}`);
    return link;
  }

  /** Spreads actors of successive workflows over the hosts. @internal */
  nextPlacement(): number {
    return this.placementCursor++ % this.threads;
  }

  assertOpen(): void {
    if (this.closed) throw new SuperstepError('WORKFLOW_CLOSED', 'the actor pool is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops every host and terminates the threads. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links) link.stop();
    await Promise.allSettled(this.links.map((link) => link.done));
    await this.piscina.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Creates a pool of actor hosts and waits until every thread is up.
 *
 * @example
 * const pool = await createPool({ threads: 2 });
 * try { … } finally { await pool.close(); }
 */
export async function createPool(options: PoolOptions = {}): Promise<ActorPool> {
  const pool = new ActorPool(options);
  try {
    await pool.ready();
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}
