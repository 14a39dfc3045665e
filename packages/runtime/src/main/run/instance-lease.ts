/**
 * Reserving a named workflow instance beyond one `Workflow` object (guarantee 52): the contract a lease
 * implements, and the in-process lease. A NATS lease (`@superstep/runtime/nats`) implements the same
 * contract across processes and machines.
 *
 * A hold carries a fencing token: a number that grows with every new hold of the same instance. A store
 * that checks fences (`CheckpointStore.advanceFence`) refuses a commit whose token is lower than one it has
 * seen, so a holder that was paused past its lease cannot write after the next holder started.
 */
import { SuperstepError } from '../../shared/errors.ts';

/** One holder's reservation of an instance, from `InstanceLease.acquire` until `release()`. */
export interface LeaseHold {
  /** The instance's name. */
  readonly instance: string;
  /** The fencing token of this hold: higher than every earlier hold's of the same instance. */
  readonly token: number;
  /** Aborted when the hold is lost (its renewal was refused or came too late); the reason is a `LEASE_LOST` error. */
  readonly signal: AbortSignal;
  /** Gives the instance up (stops renewing, frees it for the next holder). Idempotent. */
  release(): Promise<void>;
}

/**
 * Reserves named workflow instances: at most one hold per name at a time. Pass one to
 * `build({ name, lease })` and every run of that instance holds it while it lives.
 *
 * @example
 * const lease = createLocalLease();
 * const hold = await lease.acquire('orders');
 * try { await doExclusiveWork(hold.token); } finally { await hold.release(); }
 */
export interface InstanceLease extends AsyncDisposable {
  /** A short name for messages: `local`, `nats`. */
  readonly kind: string;
  /** Reserves `instance`; rejects with `WORKFLOW_BUSY` if another holder has it. */
  acquire(instance: string): Promise<LeaseHold>;
  /** Releases nothing held by runs: stops the lease's own resources (connections). Idempotent. */
  close(): Promise<void>;
}

/** The `WORKFLOW_BUSY` error of an instance held elsewhere. */
export function leaseBusy(instance: string, details: Readonly<Record<string, unknown>> = {}): SuperstepError {
  return new SuperstepError('WORKFLOW_BUSY', `workflow instance "${instance}" is held by another coordinator`, {
    details: { instance, ...details },
  });
}

/** The `LEASE_LOST` error of a hold that ended without `release()`. */
export function leaseLost(instance: string, token: number, why: string): SuperstepError {
  return new SuperstepError('LEASE_LOST', `the lease on workflow instance "${instance}" was lost: ${why}`, {
    details: { instance, token },
  });
}

/**
 * A lease within one process: two `Workflow` objects built with the same name and the same lease never run
 * at once. Holds never expire (the process is the unit of failure); tokens count up from 1.
 *
 * @example
 * const lease = createLocalLease();
 * const a = await builder.build({ name: 'orders', lease });
 * const b = await builder.build({ name: 'orders', lease });
 * // while a.run(…) lives, b.run(…).result() rejects with WORKFLOW_BUSY
 */
export function createLocalLease(): InstanceLease {
  const held = new Map<string, number>();
  let lastToken = 0;
  const lease: InstanceLease = {
    kind: 'local',
    acquire(instance) {
      if (typeof instance !== 'string' || instance.length === 0) {
        return Promise.reject(
          new SuperstepError('INVALID_OPTION', 'instance must be a non-empty string', {
            details: { option: 'instance' },
          }),
        );
      }
      const holder = held.get(instance);
      if (holder !== undefined) return Promise.reject(leaseBusy(instance, { token: holder }));
      const token = ++lastToken;
      held.set(instance, token);
      const controller = new AbortController();
      return Promise.resolve({
        instance,
        token,
        signal: controller.signal,
        release() {
          if (held.get(instance) === token) held.delete(instance);
          return Promise.resolve();
        },
      });
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return lease;
}
