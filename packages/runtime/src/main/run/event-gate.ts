/**
 * The one way a run's events reach its observers (the handle's stream, the recorder, `onRequest`), and
 * the run's status as they have seen it. Everything that emits for a run — the run itself, the
 * coordinator, sub-workflow nodes — is handed this gate and nothing else, so no event can overtake another.
 *
 * The gate can be held: from barrier N until its checkpoint is written (superstep/barrier-checkpoint.ts),
 * every event waits in order, and on release the checkpoint's own events go out first, then the held ones
 * (guarantee 3).
 */
import type { RunStatus, WorkflowEvent } from '../../shared/events.ts';

/** A status a running run moves through (the final one is emitted with `final: true` when it ends). */
export type RunningStatus = 'running' | 'running-with-pending-requests' | 'waiting-for-answers';

/** Ends a hold: `first` goes out, then every event held since the hold began. */
export type ReleaseHold = (first: readonly WorkflowEvent[]) => void;

export class EventGate {
  /** Emits held back while a hold is on; `undefined`: events pass through. */
  private held: (() => void)[] | undefined;
  private current: RunStatus = 'running';

  constructor(private readonly deliver: (event: WorkflowEvent) => void) {}

  /** The status of the last `status` event that went out. */
  get status(): RunStatus {
    return this.current;
  }

  emit(event: WorkflowEvent): void {
    if (this.held === undefined) this.send(event);
    else
      this.held.push(() => {
        this.send(event);
      });
  }

  /** A status change: emitted if it differs from the status observers have seen by the time it goes out. */
  changeStatus(next: RunningStatus): void {
    // Compared when the change is sent, which a hold delays. Called every superstep: a closure only when held.
    if (this.held !== undefined) {
      this.held.push(() => {
        this.sendStatus(next);
      });
    } else this.sendStatus(next);
  }

  private sendStatus(next: RunningStatus): void {
    if (next !== this.current) this.send({ type: 'status', status: next, final: false });
  }

  /** Holds every event from now until the returned release. A second hold joins the first. */
  hold(): ReleaseHold {
    this.held ??= [];
    return (first) => {
      const held = this.held ?? [];
      this.held = undefined;
      for (const event of first) this.send(event);
      for (const release of held) release();
    };
  }

  private send(event: WorkflowEvent): void {
    if (event.type === 'status') this.current = event.status;
    this.deliver(event);
  }
}
