/**
 * Sends a superstep's work to the hosts and waits for every reply, and keeps the two ways a host is
 * stopped mid-superstep: a cancel (handlers are told, and a host still busy after the grace period is
 * terminated, guarantee 38) and a handler timeout (a watchdog per timed call kills its host, guarantee 40).
 */
import { SuperstepError } from '../../shared/errors.ts';
import { allHosts, type HostLink, type HostSet, type HostStreamListener } from '../../shared/host-set.ts';
import type {
  Delivery,
  HostEventsMessage,
  HostTimerMessage,
  SharedWrite,
  StepMark,
  StepReply,
} from '../../shared/protocol.ts';
import type { RunContext } from './coordinator-types.ts';
import type { Partition } from './partitioner.ts';
import type { StepFailure } from './verdict.ts';

export interface HostDispatchParts {
  readonly instance: string;
  readonly hosts: HostSet;
  /** After a cancel, handlers get this long to return before their worker is terminated. */
  readonly cancelGraceMs: number;
  /** The shared-state writes each host has not heard of yet; they go with its next batch. */
  readonly shared: SharedDeltas;
}

/** What came of one batch: the host's reply, or a typed failure (see verdict.ts). */
export type BatchResult =
  | { readonly ok: true; readonly reply: StepReply }
  /** `deliveries`: what the batch carried, so the calls a lost host took with it can be named (tracing). */
  | { readonly ok: false; readonly failure: StepFailure; readonly deliveries: readonly Delivery[] };

/** What every batch of one superstep carries besides its deliveries. */
export interface SuperstepHeader {
  /** The coordinator's number of the run (an abort names it). */
  readonly run: number;
  readonly superstep: number;
  /** The run checkpoints: hosts key the snapshots they encode. */
  readonly keySnapshots: boolean;
  /** Someone watches the run: hosts time handler invocations (see `StepBatch.timed`). */
  readonly timed: boolean;
}

export class HostDispatch {
  /** Armed timeouts of timed handler calls, by `host:seq`. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /**
   * Hosts that took a batch of the current superstep (their reply came back), so hold its drafts: only
   * these may be rolled back. A host that got no batch still holds the previous superstep's drafts, which
   * it commits when its next batch arrives; rolling it back would drop a committed superstep.
   */
  private readonly received = new Set<number>();
  /**
   * Hosts killed by a timeout in the current attempt, with the executor that overran: a batch lost with
   * such a host is a {@link Timeout}, not a plain lost host.
   */
  private readonly timedOut = new Map<number, { executorId: string; timeoutMs: number }>();
  /** The superstep of the last batches sent: timer notices of another are stale. */
  private superstep = -1;
  /** Cancels the superstep in flight (set while one is); called by the run's abort listener. */
  private onAbort: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** The run's listener to what hosts stream, and its subscription on each host's current link. */
  private listening:
    { readonly listener: HostStreamListener; readonly links: Map<number, [HostLink, () => void]> } | undefined;

  /** {@link classify} as the sending of each superstep calls it (made once, not per superstep). */
  private readonly classifyBound = (index: number, reason: unknown): StepFailure => this.classify(index, reason);

  constructor(private readonly parts: HostDispatchParts) {}

  /**
   * Listens to what every host streams for the instance until the returned function is called: events go
   * to `onEvents`; timer notices of the superstep in flight arm and disarm watchdogs here. Each host has
   * its own subscription; a host replaced after a loss is subscribed before it is sent a batch.
   */
  listen(run: RunContext, onEvents: (message: HostEventsMessage) => void): () => void {
    const listener: HostStreamListener = (message, hostIndex) => {
      if (message.op === 'events') onEvents(message);
      else if (message.superstep === this.superstep) this.watchTimer(run, message, hostIndex);
    };
    const listening = { listener, links: new Map<number, [HostLink, () => void]>() };
    this.listening = listening;
    this.subscribeHosts();
    return () => {
      for (const [, unsubscribe] of listening.links.values()) unsubscribe();
      if (this.listening === listening) this.listening = undefined;
    };
  }

  private subscribeHosts(): void {
    const listening = this.listening;
    if (listening === undefined) return;
    const { hosts, instance } = this.parts;
    for (let index = 0; index < hosts.size; index++) {
      const link = hosts.host(index);
      const current = listening.links.get(index);
      if (current?.[0] === link) continue;
      current?.[1]();
      listening.links.set(index, [link, link.subscribe(instance, listening.listener)]);
    }
  }

  /** The run's signal aborted: act on the superstep in flight, if any. */
  abortInFlight(): void {
    this.onAbort?.();
  }

  /**
   * Sends a superstep's work and waits for all of it. Each host gets its actors' mailboxes in one batch;
   * the stateless slices go to whichever host is free, two in flight per host so none idles between
   * them, until they run out or something fails. Results come back in an order that does not depend on
   * which host took what: by where each batch and slice starts in the queue — so what the barrier
   * commits, and in what order, is the same from run to run. The first batches are posted before
   * this returns its promise. `shared` hands out the shared-state writes each host has not heard of, and
   * takes back those of a batch that failed to send.
   */
  async send(
    run: RunContext,
    header: SuperstepHeader,
    work: Pick<Partition, 'batches' | 'slices' | 'starts'>,
  ): Promise<BatchResult[]> {
    const { hosts, instance, cancelGraceMs } = this.parts;
    const { batches, slices, starts } = work;
    this.superstep = header.superstep;
    this.received.clear();
    this.timedOut.clear();
    this.subscribeHosts();
    const sending = new Sending({
      hosts,
      instance,
      shared: this.parts.shared,
      header,
      slices,
      signal: run.signal,
      received: this.received,
      classify: this.classifyBound,
    });
    this.onAbort = () => {
      const reason = String(run.signal.reason);
      for (const index of sending.busy.keys()) {
        void hosts
          .host(index)
          .control.abort(instance, reason, header.run)
          .catch(() => undefined);
      }
      this.graceTimer = setTimeout(() => {
        for (const index of sending.busy.keys()) {
          hosts.kill(index, `run ${run.runId} cancelled; handler still running after ${cancelGraceMs} ms`);
        }
      }, cancelGraceMs);
    };
    if (run.signal.aborted) this.onAbort();
    try {
      const work: Promise<void>[] = [];
      for (const [index, deliveries] of batches) {
        work.push(sending.post(index, deliveries, null));
      }
      if (slices.length > 0) {
        // Every host its first slice before any its second: with few slices, each thread still gets one.
        for (let index = 0; index < hosts.size; index++) work.push(sending.takeSlices(index));
        for (let index = 0; index < hosts.size; index++) work.push(sending.takeSlices(index));
      }
      await Promise.all(work);
      return sending.inQueueOrder(starts);
    } finally {
      this.onAbort = undefined;
      clearTimeout(this.graceTimer);
    }
  }

  /** Arms or disarms the watchdog of one timed handler call; an overrun kills the host (guarantee 40). */
  private watchTimer(run: RunContext, message: HostTimerMessage, hostIndex: number): void {
    const key = `${hostIndex}:${message.seq}`;
    if (message.phase === 'end') {
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.timedOut.set(hostIndex, { executorId: message.executorId, timeoutMs: message.timeoutMs });
        this.parts.hosts.kill(
          hostIndex,
          `executor "${message.executorId}" ran past its ${message.timeoutMs} ms timeout in run ${run.runId}`,
        );
      }, message.timeoutMs),
    );
  }

  clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Hosts that took a batch of this superstep drop its drafts (see {@link received}); `lostHosts` are
   * skipped — a lost host's replacement is rebuilt from the last barrier, and must not be waited for. A
   * host whose rollback fails might keep the drafts and commit them with its next batch: it is replaced
   * instead, and its replacement is rebuilt from the last barrier.
   */
  async rollBack(mark: StepMark, lostHosts: ReadonlySet<number>): Promise<void> {
    const { hosts, instance } = this.parts;
    const rolled = [...this.received].filter((index) => !lostHosts.has(index));
    const results = await Promise.allSettled(rolled.map((index) => hosts.host(index).control.rollback(instance, mark)));
    results.forEach((result, at) => {
      const index = rolled[at];
      if (result.status === 'rejected' && index !== undefined && hosts.host(index).isReady) {
        hosts.kill(index, `rollback of instance ${instance} failed: ${String(result.reason)}`);
      }
    });
  }

  /**
   * The run is over: hosts commit the drafts of its last superstep, which they keep until told (the
   * verdict was given). Sent, not waited for: a host's state is seen only through its batches and state
   * replacements, and both commit earlier drafts first (a later batch before it runs, `prepareStates`
   * before it builds), while a commit that arrives after a later batch leaves that batch's drafts alone.
   * So a run's result does not wait a round trip for it; it goes at once so that hosts do not keep two
   * states of a changed actor until the instance's next run. A host still being replaced has no drafts
   * (it is rebuilt from the barrier), and a host lost meanwhile is rebuilt the same way.
   */
  release(mark: StepMark): void {
    const { hosts, instance } = this.parts;
    for (const host of allHosts(hosts)) {
      // A host that misses it is rebuilt from the barrier (see above): a failure needs nothing more.
      if (host.isReady) host.control.commit(instance, mark).catch(() => undefined);
    }
  }

  /** A batch that did not come back, as a typed failure: the host it was posted to is known here. */
  private classify(hostIndex: number, reason: unknown): StepFailure {
    const error = reason instanceof SuperstepError ? reason : new SuperstepError('INTERNAL', String(reason));
    if (error.code !== 'WORKER_LOST') return { kind: 'batch-failed', executorId: null, error: error.toRecord() };
    const overrun = this.timedOut.get(hostIndex);
    if (overrun !== undefined) return { kind: 'timeout', hostIndex, ...overrun };
    return { kind: 'host-lost', hostIndex, reason: String(error.details.reason), message: error.message };
  }
}

/** The shared-state writes each host has yet to hear of (see shared-state.ts). */
export interface SharedDeltas {
  take(index: number): SharedWrite[];
  giveBack(index: number, writes: readonly SharedWrite[]): void;
}

interface SendingParts {
  readonly hosts: HostSet;
  readonly instance: string;
  readonly header: SuperstepHeader;
  readonly slices: readonly Delivery[][];
  readonly signal: AbortSignal;
  readonly shared: SharedDeltas;
  /** Filled with the hosts whose reply came back. */
  readonly received: Set<number>;
  readonly classify: (hostIndex: number, reason: unknown) => StepFailure;
}

/** One superstep's sending: what is in flight on which host, and what came back. */
class Sending {
  /** Batches in flight per host. */
  readonly busy = new Map<number, number>();
  /** Hosts sent a batch of this superstep (a second one is a continuation). */
  private readonly participants = new Set<number>();
  /** Results by host (actors' batches) and by slice; hosts without actors' work leave holes. */
  readonly byHost: (BatchResult | undefined)[] = [];
  readonly bySlice: (BatchResult | undefined)[] = [];
  private nextSlice = 0;
  private failed = false;

  constructor(private readonly parts: SendingParts) {}

  /**
   * Posts one batch to host `index` (its first of the superstep, or a continuation) and files the result:
   * `slice` is the stateless slice it carries, or null for the host's actors' batch.
   */
  async post(index: number, deliveries: Delivery[], slice: number | null): Promise<void> {
    const { hosts, instance, header } = this.parts;
    const continuation = this.participants.has(index);
    this.participants.add(index);
    this.busy.set(index, (this.busy.get(index) ?? 0) + 1);
    const shared = continuation ? [] : this.parts.shared.take(index);
    try {
      // Field by field, not spread from the header: see LinkBatches.next (shared/host-set.ts).
      const reply = await hosts.host(index).step({
        op: 'step',
        instance,
        run: header.run,
        superstep: header.superstep,
        continuation,
        shared,
        deliveries,
        keySnapshots: header.keySnapshots,
        timed: header.timed,
      });
      this.file(index, slice, { ok: true, reply });
      this.parts.received.add(index);
      if (reply.failure !== null) this.failed = true;
    } catch (reason) {
      this.parts.shared.giveBack(index, shared);
      this.file(index, slice, { ok: false, failure: this.parts.classify(index, reason), deliveries });
      this.failed = true;
    } finally {
      const left = (this.busy.get(index) ?? 1) - 1;
      if (left === 0) this.busy.delete(index);
      else this.busy.set(index, left);
    }
  }

  /** Files a result: by host for an actors' batch (`slice` null), by slice for a stateless slice. */
  private file(index: number, slice: number | null, result: BatchResult): void {
    if (slice === null) this.byHost[index] = result;
    else this.bySlice[slice] = result;
  }

  /** Host `index` takes slices one after another while any are left and nothing has failed. */
  async takeSlices(index: number): Promise<void> {
    const { slices, signal } = this.parts;
    while (this.nextSlice < slices.length && !this.failed && !signal.aborted) {
      const at = this.nextSlice++;
      await this.post(index, slices[at] ?? [], at);
    }
  }

  /** The results in queue order of each batch's and slice's first message, whichever host ran it. */
  inQueueOrder(starts: Partition['starts']): BatchResult[] {
    // The actors' batches were made, and so are listed, in that order already.
    const hostsFirst = [...starts.batches.keys()].map((index) => this.byHost[index]);
    if (this.bySlice.length === 0) return hostsFirst.filter((result) => result !== undefined);
    const ordered: [number, BatchResult][] = [];
    this.byHost.forEach((result, index) => {
      if (result !== undefined) ordered.push([starts.batches.get(index) ?? 0, result]);
    });
    this.bySlice.forEach((result, index) => {
      if (result !== undefined) ordered.push([starts.slices[index] ?? 0, result]);
    });
    return ordered.sort((a, b) => a[0] - b[0]).map(([, result]) => result);
  }
}
