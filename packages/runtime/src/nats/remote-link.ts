/**
 * The coordinator's link to one slot of a NATS host set: a lane on one host process (subjects.ts). Batches
 * and control calls are request-reply on the lane's subjects, as codec bytes (control calls through
 * `shared/control-bytes.ts`); replies are checked against the batch they answer (instance and number).
 * A request that times out or finds no responder loses the whole host; a host that reports its thread
 * for this lane gone loses the lane only. Either way every call waiting on the link rejects with
 * `hostLost()` and the set puts a new lane in the slot.
 */
import { decode, encode } from '../shared/codec.ts';
import { ControlClient } from '../shared/control-bytes.ts';
import { fromErrorRecord, SuperstepError, type ErrorRecord } from '../shared/errors.ts';
import { hostLost, type HostLink, type HostStreamListener, type StepRequest } from '../shared/host-set.ts';
import type {
  ControlResult,
  HostControl,
  HostEventsMessage,
  HostTimerMessage,
  StepBatch,
  StepReply,
} from '../shared/protocol.ts';
import type { Payloads } from './payloads.ts';
import { laneSubject, type Lane } from './subjects.ts';

/** What a host answers to a batch it could not run: the reason as an error record. */
export interface FailedStep {
  readonly op: 'failed';
  readonly error: ErrorRecord;
}

/** How the link reports trouble to its set. */
export interface LinkOwner {
  readonly payloads: Payloads;
  readonly stepTimeoutMs: number;
  readonly controlTimeoutMs: number;
  /** The host stopped answering (timeout, no responders): every lane on it is lost. */
  hostFailed(remoteHostId: string, reason: string): void;
  /** This lane alone is gone (the host's thread for it died): the slot gets a new lane. */
  laneFailed(link: RemoteHostLink, reason: string): void;
  /** Loads the set's instances on a new lane (the slot's reloaders). */
  reload(link: RemoteHostLink): Promise<void>;
  /** An executor module as a host can name it (a path under the module root, or a package name). */
  portableModule(module: string): string;
}

/** Work sent to a host and answered, for reports of who did how much. */
export interface LinkUsage {
  batches: number;
  messages: number;
}

export class RemoteHostLink implements HostLink {
  readonly control: HostControl;
  readonly hostId: string;
  readonly usage: LinkUsage = { batches: 0, messages: 0 };
  private readonly client: ControlClient;
  private readonly sentSeq = new Map<string, number>();
  private readonly listeners = new Map<string, HostStreamListener>();
  /** Rejecters of every request in flight, failed at once when the link is lost. */
  private readonly inFlight = new Set<(error: SuperstepError) => void>();
  private lostError: SuperstepError | undefined;
  private readyPromise: Promise<void> = Promise.resolve();
  private settledReady = true;

  constructor(
    readonly lane: Lane,
    readonly remoteHostId: string,
    private readonly owner: LinkOwner,
  ) {
    this.hostId = `${remoteHostId}/${String(lane.slot)}.${String(lane.generation)}`;
    this.client = new ControlClient((call) => {
      const request = this.request('control', encode(call), owner.controlTimeoutMs);
      request.then(
        (bytes) => {
          this.client.settle(decode(bytes) as ControlResult);
        },
        (error: unknown) => {
          this.client.settle({ op: 'result', id: call.id, ok: false, error: toRecord(error) });
        },
      );
    });
    const control = this.client.control;
    // Executor modules travel as names every host resolves the same way, never as this machine's paths.
    this.control = {
      ...control,
      loadInstance: async (request) =>
        await control.loadInstance({
          ...request,
          executors: request.executors.map((location) => ({
            ...location,
            module: owner.portableModule(location.module),
          })),
        }),
    };
  }

  get index(): number {
    return this.lane.slot;
  }

  get isReady(): boolean {
    return this.settledReady && this.lostError === undefined;
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  /** Reloads the set's instances before the link takes batches. */
  startReload(): void {
    this.settledReady = false;
    const promise = this.owner.reload(this).catch((error: unknown) => {
      // A reload that failed on a lost host is that host's loss; anything else surfaces on the next step.
      if (this.lostError === undefined && !isLost(error)) throw error;
      this.owner.laneFailed(this, `reload failed: ${String(error)}`);
    });
    this.readyPromise = promise;
    const settle = (): void => {
      if (this.readyPromise === promise) this.settledReady = true;
    };
    promise.then(settle, settle);
  }

  async step(request: StepRequest): Promise<StepReply> {
    if (!this.settledReady) await this.readyPromise;
    if (this.lostError !== undefined) throw this.lostError;
    const seq = (this.sentSeq.get(request.instance) ?? 0) + 1;
    const batch: StepBatch = {
      op: 'step',
      instance: request.instance,
      run: request.run,
      superstep: request.superstep,
      seq,
      shared: request.shared,
      deliveries: request.deliveries,
      continuation: request.continuation,
      keySnapshots: request.keySnapshots,
      timed: request.timed,
    };
    const bytes = encode(batch);
    this.sentSeq.set(request.instance, seq);
    const reply = this.answerOf(batch, await this.request('step', bytes, this.owner.stepTimeoutMs));
    this.usage.batches++;
    for (const [, messages] of batch.deliveries) this.usage.messages += messages.length;
    return reply;
  }

  /** The reply to `batch` in `bytes`, checked: it must answer this batch. */
  private answerOf(batch: StepBatch, bytes: Uint8Array): StepReply {
    const reply = decode(bytes) as StepReply | FailedStep | null;
    if (reply !== null && typeof reply === 'object' && reply.op === 'failed') {
      const error = fromErrorRecord(reply.error);
      if (isLost(error)) {
        this.owner.laneFailed(this, error.message);
        throw this.lostError ?? hostLost(this, error.message);
      }
      throw error;
    }
    if (reply?.op !== 'done' || reply.instance !== batch.instance || reply.seq !== batch.seq) {
      throw new SuperstepError('DECODE_FAILED', `host ${this.hostId} answered batch ${String(batch.seq)} wrongly`, {
        details: { hostId: this.hostId, seq: batch.seq },
      });
    }
    return reply;
  }

  /** One request on this lane; rejects with `hostLost()` when the link is lost meanwhile. */
  private request(kind: 'step' | 'control', bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    const subject = laneSubject(this.remoteHostId, this.lane, kind);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.inFlight.add(reject);
      this.owner.payloads.request(subject, bytes, timeoutMs).then(
        (reply) => {
          this.inFlight.delete(reject);
          resolve(reply);
        },
        (error: unknown) => {
          this.inFlight.delete(reject);
          const reason = transportFailure(error, timeoutMs);
          if (reason !== undefined) this.owner.hostFailed(this.remoteHostId, reason);
          reject(this.lostError ?? (error instanceof Error ? error : new Error(String(error))));
        },
      );
    });
  }

  subscribe(instance: string, listener: HostStreamListener): () => void {
    this.listeners.set(instance, listener);
    return () => {
      if (this.listeners.get(instance) === listener) this.listeners.delete(instance);
    };
  }

  /** Hands a streamed event or timer notice to the instance's listener. */
  deliver(message: HostEventsMessage | HostTimerMessage): void {
    this.listeners.get(message.instance)?.(message, this.index);
  }

  /** Fails everything waiting on the link; later calls fail at once. */
  markLost(reason: string): void {
    if (this.lostError !== undefined) return;
    this.lostError = hostLost(this, reason);
    for (const reject of this.inFlight) reject(this.lostError);
    this.inFlight.clear();
    this.client.failAll(this.lostError);
  }
}

function isLost(error: unknown): boolean {
  return error instanceof SuperstepError && error.code === 'WORKER_LOST';
}

function toRecord(error: unknown): ErrorRecord {
  return error instanceof SuperstepError
    ? error.toRecord()
    : { code: 'ERROR', name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

/** Why a failed request means the host is gone, or `undefined` if it does not. */
function transportFailure(error: unknown, timeoutMs: number): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const name = error.name;
  const probe = error as Error & { isNoResponders?: () => boolean };
  const noResponders =
    name === 'NoResponders' || (typeof probe.isNoResponders === 'function' && probe.isNoResponders());
  if (noResponders) return 'no responders on its subject (the process is gone)';
  if (name === 'TimeoutError') return `no reply within ${String(timeoutMs)} ms`;
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return 'the NATS connection closed';
  return undefined;
}
