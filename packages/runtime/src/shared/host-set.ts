/**
 * The host seam: what the coordinator needs of the actor hosts, and nothing of how they are reached. The
 * thread pool (`main/hosts/actor-pool.ts`) implements it over worker threads; the loopback (the same pool with
 * every call sent as codec bytes, `SUPERSTEP_HOST_SET=loopback`) proves nothing leans on shared memory; a
 * transport to hosts in other processes implements the same two interfaces. docs/design.md, "The host
 * seam", lists what such a transport must guarantee.
 */
import { SuperstepError } from './errors.ts';
import type { HostControl, HostEventsMessage, HostTimerMessage, StepBatch, StepReply } from './protocol.ts';

/** What a host streams while a superstep runs, with the index of the host that sent it. */
export type HostStreamListener = (message: HostEventsMessage | HostTimerMessage, hostIndex: number) => void;

/**
 * A batch as the coordinator hands it to a link: the link numbers it ({@link StepBatch.seq}) and says whether
 * it carries a commit of prepared states ({@link StepBatch.commitPrepared}).
 */
export type StepRequest = Omit<StepBatch, 'seq' | 'commitPrepared'>;

/**
 * The coordinator's view of one actor host.
 *
 * Sequencing: the link numbers the batches it sends for each instance 1, 2, 3… (a host expects exactly the
 * next number, and a link that re-sends a batch re-sends it with the same number). Replies are matched to
 * batches by instance and number, never by arrival order.
 */
export interface HostLink {
  /** The host's slot in its set: placement and events name hosts by it. */
  readonly index: number;
  /** Names this host for its whole life (a replacement at the same index gets a new id). */
  readonly hostId: string;
  /** False while the host is being replaced or reloaded (control calls would wait for it). */
  readonly isReady: boolean;
  readonly control: HostControl;
  /** Sends one batch; resolves with the host's reply. Rejects with a {@link hostLost} error if the host is lost. */
  step(batch: StepRequest): Promise<StepReply>;
  /**
   * Receives what this host streams for `instance` while a superstep runs: events and timer notices. A
   * subscription belongs to this link; a replacement host is a new link and needs its own.
   */
  subscribe(instance: string, listener: HostStreamListener): () => void;
}

/**
 * What a link adds to the coordinator's batches, per instance: their numbers ({@link StepBatch.seq}) and the
 * second phase of a restore or reset ({@link StepBatch.commitPrepared}).
 *
 * Numbers: {@link next} builds a batch with the next number, and {@link sent} takes that number once its
 * bytes are on their way — a batch that failed to encode was never sent, and a gap would make the host
 * refuse the next one.
 *
 * Prepared commits: `commitPrepared` is not a control call of its own but a flag on the instance's next
 * batch, which saves a round trip per restore. The host's state is seen only through its batches, so a
 * commit that rides on the next one is as good as one sent at once; an instance that never runs again never
 * needs it. Only a new `prepareStates` sends a commit still owed as a call of its own first: a later
 * replacement that is discarded must not take an earlier, committed one with it. `discardPrepared`,
 * `loadInstance` and `dropInstance` forget it; a link that is lost refuses it, as the call would have failed.
 */
export class LinkBatches {
  private readonly sentSeq = new Map<string, number>();
  /** Instances whose next batch must carry the commit of their prepared states. */
  private readonly owed = new Set<string>();

  constructor(private readonly lostError: () => SuperstepError | undefined) {}

  /** `control` with `commitPrepared` owed to the instance's next batch instead of sent. */
  defer(control: HostControl): HostControl {
    return {
      ...control,
      prepareStates: async (instance, request) => {
        if (this.owed.delete(instance)) await control.commitPrepared(instance);
        await control.prepareStates(instance, request);
      },
      commitPrepared: (instance) => {
        const lost = this.lostError();
        if (lost !== undefined) return Promise.reject(lost);
        this.owed.add(instance);
        return Promise.resolve();
      },
      discardPrepared: (instance) => {
        this.owed.delete(instance);
        return control.discardPrepared(instance);
      },
      // A loaded or dropped instance has nothing prepared.
      loadInstance: (request) => {
        this.owed.delete(request.instance);
        return control.loadInstance(request);
      },
      dropInstance: (instance) => {
        this.owed.delete(instance);
        return control.dropInstance(instance);
      },
    };
  }

  /**
   * The next batch of `request`'s instance, under the name its host knows it by (a remote host's lane may
   * name it differently). Built field by field: msgpackr packs an object made by spreading another about
   * twice as slowly (5.8 against 2.7 µs for a small batch), on every superstep.
   */
  next(request: StepRequest, instance = request.instance): StepBatch {
    return {
      op: 'step',
      instance,
      run: request.run,
      superstep: request.superstep,
      seq: (this.sentSeq.get(request.instance) ?? 0) + 1,
      shared: request.shared,
      deliveries: request.deliveries,
      continuation: request.continuation,
      keySnapshots: request.keySnapshots,
      timed: request.timed,
      commitPrepared: this.owed.has(request.instance),
    };
  }

  /** `batch`, made by {@link next} for `request`, is on its way: its number is taken, its commit paid. */
  sent(request: StepRequest, batch: StepBatch): void {
    this.sentSeq.set(request.instance, batch.seq);
    if (batch.commitPrepared) this.owed.delete(request.instance);
  }
}

/** Reloads one instance's actors on a replacement host (registered by each workflow). */
export type HostReloader = (host: HostLink) => Promise<void>;

/**
 * The actor hosts a workflow runs on, as the coordinator and the workflow see them. Hosts are looked up
 * by index each time: a lost host is replaced at the same index, and its instances are reloaded through
 * the registered {@link HostReloader}s before its link reports {@link HostLink.isReady}.
 *
 * @example
 * // Any implementation can be passed where a pool is expected:
 * const hosts: HostSet = await createPool({ threads: 2 });
 * await using workflow = await builder.build({ pool: hosts });
 */
export interface HostSet {
  /** How many hosts (indices `0 … size - 1`). */
  readonly size: number;
  /** The current link at `index`. */
  host(index: number): HostLink;
  /** Stops host `index` the hard way (a hung handler); it is replaced and reloaded. */
  kill(index: number, reason: string): void;
  /** The host the next workflow's first actor goes to, so that workflows spread over the hosts. */
  nextPlacement(): number;
  /** How `instance` reloads its actors onto a replacement host; returns the undo. */
  registerInstance(instance: string, reload: HostReloader): () => void;
  /** Throws `WORKFLOW_CLOSED` once the set is closed. */
  assertOpen(): void;
  readonly isClosed: boolean;
  /** Stops every host. Idempotent. */
  close(): Promise<void>;
}

/** Every host of `hosts`, in index order. */
export function allHosts(hosts: HostSet): HostLink[] {
  return Array.from({ length: hosts.size }, (_, index) => hosts.host(index));
}

/**
 * The error for a host that was lost (its thread or process died, or it stopped answering). The public
 * code stays `WORKER_LOST`; `details` name the host by index and id.
 */
export function hostLost(host: Pick<HostLink, 'index' | 'hostId'>, cause: unknown): SuperstepError {
  return new SuperstepError('WORKER_LOST', `actor host ${host.index} (${host.hostId}) was lost: ${String(cause)}`, {
    cause,
    details: { hostIndex: host.index, hostId: host.hostId, reason: String(cause) },
  });
}
