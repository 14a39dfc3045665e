/**
 * What the barrier decides about one attempt of a superstep. An attempt ends with every batch and every
 * sub-workflow node settled; its failures are typed records ({@link StepFailure}), classified where they
 * happen (host-dispatch.ts for batches, the coordinator for sub-workflow nodes). {@link judge} turns the
 * attempt into a {@link Verdict} — a pure function of the attempt, so every rule of guarantees 8, 38, 39 and
 * 40 can be checked without a host — and the coordinator's loop is a `switch` over it.
 */
import { SuperstepError, type ErrorRecord } from '../../shared/errors.ts';
import { messageCount, type Delivery } from '../../shared/protocol.ts';
import type { LostHostCalls } from '../observe/run-trace.ts';

/** A host died or stopped answering while it held a batch of the attempt (guarantee 39). */
export interface HostLost {
  readonly kind: 'host-lost';
  readonly hostIndex: number;
  /** Why the host was lost, as its host set reported it. */
  readonly reason: string;
  readonly message: string;
}

/** A handler ran past its `timeoutMs`; its host was killed for it (guarantee 40). */
export interface Timeout {
  readonly kind: 'timeout';
  readonly hostIndex: number;
  readonly executorId: string;
  readonly timeoutMs: number;
}

/** A handler threw, or a sub-workflow node's child run failed (guarantee 8). */
export interface HandlerFailed {
  readonly kind: 'handler-failed';
  readonly executorId: string;
  readonly error: ErrorRecord;
}

/** The runtime could not send a batch or read its reply (no executor is to blame). */
export interface BatchFailed {
  readonly kind: 'batch-failed';
  readonly executorId: null;
  readonly error: ErrorRecord;
}

export type StepFailure = HostLost | Timeout | HandlerFailed | BatchFailed;

/** One attempt of a superstep as the barrier sees it. */
export interface AttemptResult {
  /** 1 for the first attempt; a replay after a lost host counts up. */
  readonly attempt: number;
  /** In the order they happened to the queue (batches first, then sub-workflow nodes); a lost host once. */
  readonly failures: readonly StepFailure[];
  /** The run's signal was aborted by the time the attempt settled. */
  readonly cancelled: boolean;
}

/** An executor's failure, as `executor.failed` reports it. */
export interface ExecutorFailure {
  readonly executorId: string;
  readonly error: ErrorRecord;
}

export type Verdict =
  /** Everything succeeded: the barrier commits. */
  | { readonly kind: 'commit' }
  /** Only hosts were lost, and restarts are left: roll back and run the superstep again on rebuilt hosts. */
  | { readonly kind: 'replay'; readonly lost: readonly HostLost[]; readonly lostHosts: ReadonlySet<number> }
  /** Roll back, keep the messages queued, and fail the run with `error` (the first failure). */
  | {
      readonly kind: 'fail';
      readonly error: ErrorRecord;
      /** Each executor that failed, for its `executor.failed` event. */
      readonly executors: readonly ExecutorFailure[];
      readonly lostHosts: ReadonlySet<number>;
    }
  /** The run was cancelled: roll back, keep the messages queued (guarantee 38). */
  | { readonly kind: 'cancel'; readonly lostHosts: ReadonlySet<number> };

export interface JudgeRules {
  readonly superstep: number;
  /** How many times one superstep may be replayed after lost hosts (guarantee 39). */
  readonly maxWorkerRestarts: number;
}

/**
 * The barrier's decision. A cancel wins over everything; any failure but a lost host fails the run (a
 * timeout too: the handler would overrun again); lost hosts alone replay the superstep until the restarts
 * are used up, then fail it with `WORKER_LOST`.
 */
export function judge(result: AttemptResult, rules: JudgeRules): Verdict {
  const { failures, attempt } = result;
  if (failures.length === 0 && !result.cancelled) return { kind: 'commit' };
  // A lost host needs no rollback — its replacement is rebuilt from the last barrier.
  const lostHosts = new Set<number>();
  for (const failure of failures) {
    const host = hostOf(failure);
    if (host !== null) lostHosts.add(host);
  }
  if (result.cancelled) return { kind: 'cancel', lostHosts };
  const lost = failures.filter((failure): failure is HostLost => failure.kind === 'host-lost');
  const blamed = failures.filter((failure) => failure.kind !== 'host-lost');
  if (blamed.length === 0 && attempt <= rules.maxWorkerRestarts) return { kind: 'replay', lost, lostHosts };
  // One record per failure: the run's error is the first executor's own `executor.failed` error.
  const errors = blamed.map(errorOf);
  const executors = blamed.flatMap((failure, at) => {
    const executorId = executorOf(failure);
    const error = errors[at];
    return executorId === null || error === undefined ? [] : [{ executorId, error }];
  });
  const error =
    errors[0] ??
    new SuperstepError('WORKER_LOST', `superstep ${rules.superstep} lost a worker ${attempt} times; giving up`, {
      details: { superstep: rules.superstep, attempts: attempt, reason: lost[0]?.message },
    }).toRecord();
  return { kind: 'fail', error, executors, lostHosts };
}

/** The host a failure took down, if it did. */
export function hostOf(failure: StepFailure): number | null {
  switch (failure.kind) {
    case 'host-lost':
    case 'timeout':
      return failure.hostIndex;
    case 'handler-failed':
    case 'batch-failed':
      return null;
  }
}

/** The executor to blame, if there is one. */
function executorOf(failure: StepFailure): string | null {
  switch (failure.kind) {
    case 'timeout':
    case 'handler-failed':
      return failure.executorId;
    case 'host-lost':
    case 'batch-failed':
      return null;
  }
}

/** The failure as the error a run fails with. */
function errorOf(failure: StepFailure): ErrorRecord {
  switch (failure.kind) {
    case 'handler-failed':
    case 'batch-failed':
      return failure.error;
    case 'timeout':
      return new SuperstepError(
        'EXECUTOR_TIMEOUT',
        `executor "${failure.executorId}" ran past its ${failure.timeoutMs} ms timeout; its worker was replaced`,
        { details: { executorId: failure.executorId, timeoutMs: failure.timeoutMs } },
      ).toRecord();
    case 'host-lost':
      return new SuperstepError('WORKER_LOST', failure.message, {
        details: { hostIndex: failure.hostIndex, reason: failure.reason },
      }).toRecord();
  }
}

/**
 * The calls that died with the hosts an attempt lost, for the trace: per lost host, the executors of every
 * batch it held when it was lost (its actors' batch and the stateless slices it had taken).
 */
export function lostCalls(
  failed: readonly { readonly failure: StepFailure; readonly deliveries: readonly Delivery[] }[],
): LostHostCalls[] {
  const byHost = new Map<number, { code: LostHostCalls['code']; reason: string; ids: Set<string>; messages: number }>();
  for (const { failure, deliveries } of failed) {
    if (failure.kind !== 'host-lost' && failure.kind !== 'timeout') continue;
    let host = byHost.get(failure.hostIndex);
    if (host === undefined) {
      const timedOut = failure.kind === 'timeout';
      const reason = timedOut ? `executor "${failure.executorId}" ran past ${failure.timeoutMs} ms` : failure.reason;
      host = { code: timedOut ? 'EXECUTOR_TIMEOUT' : 'WORKER_LOST', reason, ids: new Set(), messages: 0 };
      byHost.set(failure.hostIndex, host);
    }
    for (const delivery of deliveries) {
      host.ids.add(delivery[0]);
      host.messages += messageCount(delivery);
    }
  }
  return [...byHost].map(([hostIndex, { code, reason, ids, messages }]) => ({
    hostIndex,
    code,
    reason,
    executorIds: [...ids],
    messages,
  }));
}
