/**
 * The coordinator's link to one slot of a NATS host set: a lane on one thread of one host process
 * (subjects.ts). Batches and control calls are request-reply on the thread's subjects, as codec bytes
 * (control calls through `shared/control-bytes.ts`), with the instance named by its alias on the lane;
 * replies are checked against the batch they answer (alias and number).
 * A request that times out or finds no responder loses the whole host; a host that reports its thread
 * for this lane gone loses the lane only. Either way every call waiting on the link rejects with
 * `hostLost()` and the set puts a new lane in the slot.
 */
import { decode, encode, encodeMessage } from '../shared/codec.ts';
import { ControlClient } from '../shared/control-bytes.ts';
import { fromErrorRecord, SuperstepError, type ErrorRecord } from '../shared/errors.ts';
import { hostLost, LinkBatches, type HostLink, type HostStreamListener, type StepRequest } from '../shared/host-set.ts';
import {
  messageCount,
  type ControlResult,
  type HostControl,
  type HostEventsMessage,
  type HostTimerMessage,
  type StepBatch,
  type StepReply,
} from '../shared/protocol.ts';
import { replyShapeProblem } from '../shared/reply-shape.ts';
import type { Payloads } from './payloads.ts';
import { aliasOf, threadSubject, type Lane } from './subjects.ts';

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

/** Where a lane is: a host, and how many threads it has (the lane runs on `slot % threads`). */
export interface LaneHost {
  readonly hostId: string;
  readonly threads: number;
}

export class RemoteHostLink implements HostLink {
  readonly control: HostControl;
  readonly hostId: string;
  readonly remoteHostId: string;
  /** The host's thread that runs this lane. */
  readonly thread: number;
  readonly usage: LinkUsage = { batches: 0, messages: 0 };
  /** The host thread that last answered a batch on this lane (its `threadId`), once one has. */
  servedBy: number | undefined;
  private readonly client: ControlClient;
  private readonly listeners = new Map<string, HostStreamListener>();
  /** Each instance's batch numbers and owed commit of prepared states. */
  private readonly batches = new LinkBatches(() => this.lostError);
  /** Rejecters of every request in flight, failed at once when the link is lost. */
  private readonly inFlight = new Set<(error: SuperstepError) => void>();
  private lostError: SuperstepError | undefined;
  private readyPromise: Promise<void> = Promise.resolve();
  private settledReady = true;

  constructor(
    readonly lane: Lane,
    remote: LaneHost,
    private readonly owner: LinkOwner,
  ) {
    this.remoteHostId = remote.hostId;
    this.thread = lane.slot % remote.threads;
    this.hostId = `${remote.hostId}/${String(lane.slot)}.${String(lane.generation)}`;
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
    this.control = this.batches.defer(this.aliased(this.client.control, owner));
  }

  /**
   * `control` with every instance named by its alias on the lane, and executor modules named so every host
   * resolves them the same way (never as this machine's paths).
   */
  private aliased(control: HostControl, owner: LinkOwner): HostControl {
    const alias = (instance: string): string => aliasOf(this.lane, instance);
    return {
      loadInstance: async (request) =>
        await control.loadInstance({
          ...request,
          instance: alias(request.instance),
          executors: request.executors.map((location) => ({
            ...location,
            module: owner.portableModule(location.module),
          })),
        }),
      dropInstance: (instance) => control.dropInstance(alias(instance)),
      commit: (instance, at) => control.commit(alias(instance), at),
      rollback: (instance, at) => control.rollback(alias(instance), at),
      prepareStates: (instance, request) => control.prepareStates(alias(instance), request),
      commitPrepared: (instance) => control.commitPrepared(alias(instance)),
      discardPrepared: (instance) => control.discardPrepared(alias(instance)),
      validateResponse: (instance, executorId, value) => control.validateResponse(alias(instance), executorId, value),
      abort: (instance, reason, run) => control.abort(alias(instance), reason, run),
      ping: () => control.ping(),
      memory: () => control.memory(),
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

  /**
   * Reloads the set's instances before the link takes batches. A thread of the host that is being replaced
   * has no subscription for a moment ("no responders"): the reload is tried again for up to 3 s.
   */
  startReload(): void {
    this.settledReady = false;
    const reload = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.owner.reload(this);
          return;
        } catch (error) {
          if (!isNoResponders(error) || attempt === RELOAD_ATTEMPTS || this.lost) throw error;
          await new Promise((resolve) => setTimeout(resolve, RELOAD_RETRY_MS));
        }
      }
    };
    const promise = reload().catch((error: unknown) => {
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
    const batch = this.batches.next(request, aliasOf(this.lane, request.instance));
    const bytes = encodeMessage(batch);
    this.batches.sent(request, batch);
    let answer: Uint8Array;
    try {
      answer = await this.request('step', bytes, this.owner.stepTimeoutMs);
    } catch (error) {
      // Nobody listens on the lane's thread (it is being replaced, or the process is gone): the slot moves.
      if (isNoResponders(error)) this.owner.laneFailed(this, String(error.details.reason));
      // laneFailed marked the link lost (TypeScript cannot see it through the call).
      throw (this.lostError as SuperstepError | undefined) ?? error;
    }
    const reply = this.answerOf(batch, answer);
    this.servedBy = reply.threadId;
    this.usage.batches++;
    for (const delivery of batch.deliveries) this.usage.messages += messageCount(delivery);
    return { ...reply, instance: request.instance };
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
    // Bytes from another process: a malformed list must fail this batch here, not the barrier's commit.
    const problem = replyShapeProblem(reply);
    if (problem !== undefined) {
      throw new SuperstepError('DECODE_FAILED', `host ${this.hostId} sent a malformed reply (${problem})`, {
        details: { hostId: this.hostId, seq: batch.seq, problem },
      });
    }
    return reply;
  }

  /** One request on this lane; rejects with `hostLost()` when the link is lost meanwhile. */
  private request(kind: 'step' | 'control', bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.lostError !== undefined) return Promise.reject(this.lostError);
    const subject = threadSubject(this.remoteHostId, this.thread, kind);
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
          if (reason === NO_RESPONDERS) {
            reject(this.lostError ?? hostLost(this, reason));
            return;
          }
          // A host that does not answer at all is lost with every lane on it (its heartbeat may still beat).
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

  /** Hands a streamed event or timer notice (its instance already un-aliased) to the instance's listener. */
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

const NO_RESPONDERS = 'no responders on its subject';
const RELOAD_ATTEMPTS = 30;
const RELOAD_RETRY_MS = 100;

function isNoResponders(error: unknown): error is SuperstepError {
  return isLost(error) && (error as SuperstepError).details.reason === NO_RESPONDERS;
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
  if (noResponders) return NO_RESPONDERS;
  if (name === 'TimeoutError') return `no reply within ${String(timeoutMs)} ms`;
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return 'the NATS connection closed';
  return undefined;
}
