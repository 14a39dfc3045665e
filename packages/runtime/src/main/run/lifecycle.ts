/**
 * A workflow instance's lifecycle (guarantees 29–30, 32): an explicit status union with a transition table,
 * and an owner token so that release is compare-and-clear.
 */
import { SuperstepError } from '../../shared/errors.ts';

/** Where a workflow instance is in its life. */
export type LifecycleStatus = 'idle' | 'reserved' | 'running' | 'closed';

const TRANSITIONS: Readonly<Record<LifecycleStatus, readonly LifecycleStatus[]>> = {
  idle: ['reserved', 'closed'],
  reserved: ['running', 'idle'],
  running: ['idle'],
  closed: [],
};

/** Identifies one run's hold on the instance. */
export type RunToken = symbol;

export class Lifecycle {
  private current: LifecycleStatus = 'idle';
  private owner: RunToken | undefined;
  /** Callers of {@link released} waiting for the current hold to end. */
  private waiters: (() => void)[] = [];

  get status(): LifecycleStatus {
    return this.current;
  }

  /** Synchronous, so of any number of simultaneous callers exactly one wins (guarantee 29). */
  reserve(token: RunToken): void {
    if (this.current === 'closed') throw new SuperstepError('WORKFLOW_CLOSED', 'the workflow is closed');
    if (this.current !== 'idle') {
      throw new SuperstepError('WORKFLOW_BUSY', `the workflow is ${this.current}: one run at a time`, {
        details: { status: this.current },
      });
    }
    this.move('reserved');
    this.owner = token;
  }

  /** reserved → running, only for the holder. */
  start(token: RunToken): void {
    if (this.owner !== token) return;
    this.move('running');
  }

  /** Compare-and-clear: a stale token (an older run's late cleanup) changes nothing (guarantee 32). */
  release(token: RunToken): boolean {
    if (this.owner !== token) return false;
    this.owner = undefined;
    this.move('idle');
    this.wake();
    return true;
  }

  /** Resolves once no run holds the instance: at once when none does, else when the holder releases it or on close. */
  released(): Promise<void> {
    if (this.current === 'idle' || this.current === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  isHeldBy(token: RunToken): boolean {
    return this.owner === token;
  }

  close(): void {
    if (this.current === 'closed') return;
    this.owner = undefined;
    this.current = 'closed';
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private move(next: LifecycleStatus): void {
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new SuperstepError('INTERNAL', `lifecycle cannot go from ${this.current} to ${next}`);
    }
    this.current = next;
  }
}
