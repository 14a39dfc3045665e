/**
 * One worker thread's host seen from the main thread: the {@link HostLink} the pool hands the coordinator.
 * Batches go as codec bytes on the thread's data port and are answered by number; control calls go by
 * comlink on the control port, or (the loopback route) as codec messages on the data port, exactly as to a
 * host in another process. Split from the pool (`actor-pool.ts`), which starts, replaces and stops threads.
 */
import type { MessagePort } from 'node:worker_threads';
import { decode, encode, encodeMessage } from '../../shared/codec.ts';
import { ControlClient } from '../../shared/control-bytes.ts';
import { connectControl, transferring } from '../../shared/control-plane.ts';
import type { SuperstepError } from '../../shared/errors.ts';
import { postBytes } from '../../shared/post-bytes.ts';
import {
  hostLost,
  LinkBatches,
  type HostLink,
  type HostStreamListener,
  type StepRequest,
} from '../../shared/host-set.ts';
import type { CommitMessage, HostControl, HostToMain, PrepareStatesRequest, StepReply } from '../../shared/protocol.ts';

/**
 * How a link reaches its host's control plane: comlink on the thread's control port, or codec messages on
 * the data port (the loopback: every call is encoded to bytes and decoded on the other side, as for a host
 * in another process).
 */
export type ControlRoute = 'comlink' | 'codec';

/** What {@link WorkerHostLink} is built from: one started host task and the ends of its two channels. */
export interface WorkerHostLinkInit {
  /** The host's place in the pool (a replacement takes the same index). */
  readonly index: number;
  /** Unique per started host, replacements included. */
  readonly hostId: string;
  /** Batches, replies, events and timers (and, on the codec route, control calls) cross here. */
  readonly dataPort: MessagePort;
  /** Comlink's port for control calls; on the codec route unused but closed with the link. */
  readonly controlPort: MessagePort;
  readonly route: ControlRoute;
  /** Settles when the host task ends: resolved when it stopped, rejected when its thread died. */
  readonly done: Promise<unknown>;
  /** Terminates the host's thread. */
  readonly kill: (reason: string) => void;
}

interface StepWaiter {
  resolve(reply: StepReply): void;
  reject(error: Error): void;
}

/** One worker thread's host, seen from the main thread. */
export class WorkerHostLink implements HostLink {
  readonly control: HostControl;
  private readonly releaseControl: () => void;
  /** Codec-routed control calls waiting for their result (loopback only). */
  private readonly controlClient: ControlClient | undefined;
  /** Per instance, the batches sent and not yet answered, by number: a reply is matched by its number. */
  private readonly pendingSteps = new Map<string, Map<number, StepWaiter>>();
  private readonly listeners = new Map<string, HostStreamListener>();
  /** Each instance's batch numbers and owed commit of prepared states. */
  private readonly batches = new LinkBatches(() => this.lostError);
  private lostError: SuperstepError | undefined;
  /**
   * How to fail each control call in flight when the thread dies, so none waits on a dead thread. A set
   * each call leaves when it settles, not a race against one never-settling promise: such a race keeps
   * every call's result reachable for the life of the host.
   */
  private readonly inFlight = new Set<(error: SuperstepError) => void>();
  /** Resolves once every instance has (re)loaded its actors on this host; steps wait for it. */
  private readyPromise: Promise<void> = Promise.resolve();
  private settledReady = true;

  get ready(): Promise<void> {
    return this.readyPromise;
  }
  set ready(promise: Promise<void>) {
    this.settledReady = false;
    this.readyPromise = promise;
    const settle = (): void => {
      if (this.readyPromise === promise) this.settledReady = true;
    };
    promise.then(settle, settle);
  }

  /** True when no reload is in progress and the host is alive. */
  get isReady(): boolean {
    return this.settledReady && !this.lost;
  }

  readonly index: number;
  readonly hostId: string;
  readonly done: Promise<unknown>;
  readonly kill: (reason: string) => void;
  private readonly dataPort: MessagePort;

  constructor({ index, hostId, dataPort, controlPort, route, done, kill }: WorkerHostLinkInit) {
    this.index = index;
    this.hostId = hostId;
    this.dataPort = dataPort;
    this.done = done;
    this.kill = kill;
    let api: HostControl;
    // Over comlink a restore's snapshots are moved, not cloned (see movingSnapshots); codec calls copy anyway.
    const prepare = route === 'codec' ? (request: PrepareStatesRequest) => request : movingSnapshots;
    if (route === 'codec') {
      this.controlClient = new ControlClient((call) => {
        this.post(encode(call));
      });
      api = this.controlClient.control;
      // Unused, but closed only with the link: closing it now would detach the end piscina has yet to
      // transfer when the task waits for a thread (a replacement host).
      this.releaseControl = () => {
        controlPort.close();
      };
    } else {
      const connected = connectControl<HostControl>(controlPort);
      api = connected.api;
      this.releaseControl = connected.release;
    }
    const guard = <T>(call: () => Promise<T>): Promise<T> => {
      if (this.lostError !== undefined) return Promise.reject(this.lostError);
      return new Promise<T>((resolve, reject) => {
        this.inFlight.add(reject);
        const settle = (): void => {
          this.inFlight.delete(reject);
        };
        call().then(resolve, reject).finally(settle);
      });
    };
    // A call to a thread that died never settles: each one is failed when the thread dies.
    this.control = this.batches.defer({
      loadInstance: (request) => guard(() => api.loadInstance(request)),
      dropInstance: (instance) => guard(() => api.dropInstance(instance)),
      // On the data channel, unanswered and in order with the batches (see CommitMessage in protocol.ts).
      commit: (instance, at) => {
        if (this.lostError !== undefined) return Promise.reject(this.lostError);
        this.post(encode({ op: 'commit', instance, at } satisfies CommitMessage));
        return Promise.resolve();
      },
      rollback: (instance, at) => guard(() => api.rollback(instance, at)),
      prepareStates: (instance, request) => guard(() => api.prepareStates(instance, prepare(request))),
      commitPrepared: (instance) => guard(() => api.commitPrepared(instance)),
      discardPrepared: (instance) => guard(() => api.discardPrepared(instance)),
      validateResponse: (instance, executorId, value) => guard(() => api.validateResponse(instance, executorId, value)),
      abort: (instance, reason, run) => guard(() => api.abort(instance, reason, run)),
      ping: () => guard(() => api.ping()),
      memory: () => guard(() => api.memory()),
    });
    dataPort.on('message', (bytes: Uint8Array) => {
      this.receive(decode(bytes) as HostToMain);
    });
  }

  /** Every buffer the codec makes owns its ArrayBuffer, so transferring it is safe (shared/post-bytes.ts). */
  private post(bytes: Uint8Array): void {
    postBytes(this.dataPort, bytes);
  }

  private receive(message: HostToMain): void {
    switch (message.op) {
      case 'events':
      case 'timer':
        this.listeners.get(message.instance)?.(message, this.index);
        return;
      case 'result':
        this.controlClient?.settle(message);
        return;
      case 'done': {
        // A reply nobody waits for (a repeat answered twice, a refused stray) is dropped.
        const waiting = this.pendingSteps.get(message.instance);
        const waiter = waiting?.get(message.seq);
        if (waiting === undefined || waiter === undefined) return;
        waiting.delete(message.seq);
        if (waiting.size === 0) this.pendingSteps.delete(message.instance);
        waiter.resolve(message);
      }
    }
  }

  async step(request: StepRequest): Promise<StepReply> {
    if (!this.settledReady) await this.ready;
    if (this.lostError !== undefined) throw this.lostError;
    const batch = this.batches.next(request);
    const bytes = encodeMessage(batch);
    this.batches.sent(request, batch);
    return await new Promise<StepReply>((resolve, reject) => {
      let waiting = this.pendingSteps.get(request.instance);
      if (waiting === undefined) this.pendingSteps.set(request.instance, (waiting = new Map<number, StepWaiter>()));
      waiting.set(batch.seq, { resolve, reject });
      this.post(bytes);
    });
  }

  subscribe(instance: string, listener: HostStreamListener): () => void {
    this.listeners.set(instance, listener);
    return () => {
      if (this.listeners.get(instance) === listener) this.listeners.delete(instance);
    };
  }

  /** The thread died: fail whatever waits on it. */
  markLost(cause: unknown): void {
    if (this.lostError !== undefined) return;
    this.lostError = hostLost(this, cause);
    for (const waiting of this.pendingSteps.values()) {
      for (const pending of waiting.values()) pending.reject(this.lostError);
    }
    this.pendingSteps.clear();
    this.controlClient?.failAll(this.lostError);
    for (const reject of this.inFlight) reject(this.lostError);
    this.inFlight.clear();
    this.close();
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  stop(): void {
    if (this.lost) return;
    this.post(encode({ op: 'stop' }));
  }

  close(): void {
    this.releaseControl();
    this.dataPort.close();
  }
}

/**
 * `request` with its snapshots copied into one new buffer that is transferred with the call: one copy of
 * the bytes instead of structured clone's two (into the message, out of it) and one allocation per snapshot
 * on each side; the coordinator's own bytes stay where they are.
 */
function movingSnapshots(request: PrepareStatesRequest): PrepareStatesRequest {
  let size = 0;
  for (const [, bytes] of request.snapshots) size += bytes.byteLength;
  const all = new Uint8Array(size);
  let offset = 0;
  const snapshots = request.snapshots.map(([actorId, bytes]): readonly [string, Uint8Array] => {
    all.set(bytes, offset);
    offset += bytes.byteLength;
    return [actorId, all.subarray(offset - bytes.byteLength, offset)];
  });
  const moved: PrepareStatesRequest = { snapshots, shared: request.shared, runResetHooks: request.runResetHooks };
  return transferring(moved, [all.buffer]);
}
