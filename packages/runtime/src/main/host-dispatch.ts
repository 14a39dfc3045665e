/**
 * Sends a superstep's batches to the hosts and waits for every reply, and keeps the two ways a host is
 * stopped mid-superstep: a cancel (handlers are told, and a host still busy after the grace period is
 * terminated, SPEC 38) and a handler timeout (a watchdog per timed call kills its host, SPEC 40).
 */
import type { Delivery, HostTimerMessage, SharedWrite, StepReply } from '../shared/protocol.ts';
import type { HostSet } from './actor-pool.ts';
import type { RunContext } from './coordinator-types.ts';

export interface HostDispatchParts {
  readonly instance: string;
  readonly hosts: HostSet;
  /** After a cancel, handlers get this long to return before their worker is terminated. */
  readonly cancelGraceMs: number;
}

/** What every batch of one superstep carries besides its deliveries. */
export interface SuperstepHeader {
  /** The coordinator's number of the run (an abort names it). */
  readonly run: number;
  readonly superstep: number;
  /** The run checkpoints: hosts hash the snapshots they encode. */
  readonly hashSnapshots: boolean;
}

export class HostDispatch {
  /** Armed timeouts of timed handler calls, by `host:seq`. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Hosts killed by a timeout in the current superstep, with the executor that overran. */
  readonly timedOut = new Map<number, { executorId: string; timeoutMs: number }>();
  /** Cancels the superstep in flight (set while one is); called by the run's abort listener. */
  private onAbort: (() => void) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: HostDispatchParts) {}

  /** The run's signal aborted: act on the superstep in flight, if any. */
  abortInFlight(): void {
    this.onAbort?.();
  }

  /**
   * Sends one batch per participating host and waits for all of them. The batches are posted before this
   * returns its promise. `sharedFor(index)` gives the shared-state writes host `index` has not heard of.
   */
  async send(
    run: RunContext,
    header: SuperstepHeader,
    batches: ReadonlyMap<number, Delivery[]>,
    sharedFor: (index: number) => SharedWrite[],
  ): Promise<PromiseSettledResult<StepReply>[]> {
    const { hosts, instance, cancelGraceMs } = this.parts;
    const busy = new Set(batches.keys());
    this.onAbort = () => {
      const reason = String(run.signal.reason);
      for (const index of busy) {
        void hosts
          .host(index)
          .control.abort(instance, reason, header.run)
          .catch(() => undefined);
      }
      this.graceTimer = setTimeout(() => {
        for (const index of busy) {
          hosts.kill(index, `run ${run.runId} cancelled; handler still running after ${cancelGraceMs} ms`);
        }
      }, cancelGraceMs);
    };
    if (run.signal.aborted) this.onAbort();
    try {
      return await Promise.allSettled(
        [...batches].map(async ([index, deliveries]) => {
          try {
            return await hosts
              .host(index)
              .step({ op: 'step', instance, ...header, shared: sharedFor(index), deliveries });
          } finally {
            busy.delete(index);
          }
        }),
      );
    } finally {
      this.onAbort = undefined;
      clearTimeout(this.graceTimer);
    }
  }

  /** Arms or disarms the watchdog of one timed handler call; an overrun kills the host (SPEC 40). */
  watchTimer(run: RunContext, message: HostTimerMessage, hostIndex: number): void {
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
}
