/**
 * One run's (or one idle operation's) hold on its leased instance (guarantee 52): taken before the run
 * does anything, the store's fence advanced to it, given up when the run ends. Losing it — the lease says
 * so, or the store refuses a commit — stops the run, which then fails with `LEASE_LOST`.
 */
import { SuperstepError } from '../../shared/errors.ts';
import type { CheckpointFence, CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import type { InstanceLease, LeaseHold } from './instance-lease.ts';
import { checkFencingStore } from '../workflow-options.ts';

/** What a hold is taken with. */
export interface RunLeaseParts {
  readonly lease: InstanceLease;
  /** The instance's name (`WorkflowOptions.name`). */
  readonly instance: string;
  /** The store this run commits to, if any: its fence is advanced to the new hold's token. */
  readonly store: CheckpointStore | undefined;
  /** Called once if the hold is lost while the run lives (the run aborts with the error). */
  readonly onLost?: (error: SuperstepError) => void;
}

/** Takes an instance's lease for one run or idle operation. */
export type TakeLease = (parts: Pick<RunLeaseParts, 'store' | 'onLost'>) => Promise<RunLease>;

export class RunLease {
  private lostWith: SuperstepError | undefined;
  private readonly stopWatching: () => void;

  private constructor(
    private readonly hold: LeaseHold | undefined,
    private readonly onLost: ((error: SuperstepError) => void) | undefined,
  ) {
    const signal = hold?.signal;
    const listener = (): void => {
      this.lose(asLeaseLost(signal?.reason));
    };
    signal?.addEventListener('abort', listener, { once: true });
    this.stopWatching = () => signal?.removeEventListener('abort', listener);
  }

  /** A run without a lease: nothing to hold, nothing to fence. */
  static readonly NONE = new RunLease(undefined, undefined);

  /** Takes the instance (`WORKFLOW_BUSY` if held elsewhere) and advances the store's fence to it. */
  static async take(parts: RunLeaseParts): Promise<RunLease> {
    // A run's own store (`RunOptions.store`) is checked here, before anything is held.
    checkFencingStore(parts.store);
    const hold = await parts.lease.acquire(parts.instance);
    try {
      await parts.store?.advanceFence?.({ instance: hold.instance, token: hold.token });
    } catch (error) {
      await hold.release();
      throw error;
    }
    const held = new RunLease(hold, parts.onLost);
    if (hold.signal.aborted) held.lose(asLeaseLost(hold.signal.reason));
    return held;
  }

  /** What this run's checkpoints are written under, if it holds a lease. */
  get fence(): CheckpointFence | undefined {
    return this.hold === undefined ? undefined : { instance: this.hold.instance, token: this.hold.token };
  }

  /** The `LEASE_LOST` error, once the hold is lost. */
  get lost(): SuperstepError | undefined {
    return this.lostWith;
  }

  /** A store refused a commit (`LEASE_LOST`): the hold is gone, whatever the lease says. */
  lose(error: SuperstepError): void {
    if (this.lostWith !== undefined || this.hold === undefined) return;
    this.lostWith = error;
    this.onLost?.(error);
  }

  /** Gives the instance up. Idempotent. */
  async release(): Promise<void> {
    this.stopWatching();
    await this.hold?.release();
  }
}

function asLeaseLost(reason: unknown): SuperstepError {
  if (reason instanceof SuperstepError && reason.code === 'LEASE_LOST') return reason;
  return new SuperstepError('LEASE_LOST', `the instance lease was lost: ${String(reason)}`, { cause: reason });
}
