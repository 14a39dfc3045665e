import { describe, expect, it } from 'vitest';
import { SuperstepError } from '../../shared/errors.ts';
import { judge, lostCalls, type AttemptResult, type BatchFailed, type HostLost, type StepFailure } from './verdict.ts';

const rules = { superstep: 7, maxWorkerRestarts: 2 };
const attempt = (failures: StepFailure[], more: Partial<AttemptResult> = {}): AttemptResult => ({
  attempt: 1,
  failures,
  cancelled: false,
  ...more,
});

const lost = (hostIndex: number): HostLost => ({
  kind: 'host-lost',
  hostIndex,
  reason: 'exit code 1',
  message: `actor host ${hostIndex} (h${hostIndex}) was lost: exit code 1`,
});
const handlerFailed = (executorId: string): StepFailure => ({
  kind: 'handler-failed',
  executorId,
  error: new SuperstepError('EXECUTOR_FAILED', `${executorId} threw`).toRecord(),
});
const timeout: StepFailure = { kind: 'timeout', hostIndex: 1, executorId: 'slow', timeoutMs: 50 };
const batchFailed: BatchFailed = {
  kind: 'batch-failed',
  executorId: null,
  error: new SuperstepError('INTERNAL', 'batch could not be encoded').toRecord(),
};

describe('the barrier verdict (judge)', () => {
  it('commits an attempt with no failures that was not cancelled', () => {
    expect(judge(attempt([]), rules)).toEqual({ kind: 'commit' });
  });

  it('cancels a cancelled attempt, even one that failed, and skips rollback of lost hosts', () => {
    expect(judge(attempt([], { cancelled: true }), rules)).toEqual({ kind: 'cancel', lostHosts: new Set() });
    expect(judge(attempt([lost(1), handlerFailed('a')], { cancelled: true }), rules)).toEqual({
      kind: 'cancel',
      lostHosts: new Set([1]),
    });
  });

  it('replays a superstep that only lost hosts while restarts are left (guarantee 39)', () => {
    const verdict = judge(attempt([lost(0), lost(1)], { attempt: 2 }), rules);
    expect(verdict).toEqual({ kind: 'replay', lost: [lost(0), lost(1)], lostHosts: new Set([0, 1]) });
  });

  it('fails with WORKER_LOST once the restarts are used up', () => {
    const verdict = judge(attempt([lost(0)], { attempt: 3 }), rules);
    expect(verdict.kind).toBe('fail');
    if (verdict.kind !== 'fail') return;
    expect(verdict.error.code).toBe('WORKER_LOST');
    expect(verdict.error.details).toMatchObject({ superstep: 7, attempts: 3, reason: lost(0).message });
    expect(verdict.executors).toEqual([]);
    expect(verdict.lostHosts).toEqual(new Set([0]));
  });

  it('fails on a handler failure without replaying, even when a host was lost too', () => {
    const verdict = judge(attempt([lost(0), handlerFailed('a'), handlerFailed('b')]), rules);
    expect(verdict.kind).toBe('fail');
    if (verdict.kind !== 'fail') return;
    // The first failure in queue order is the run's error; every failed executor is reported.
    expect(verdict.error.message).toBe('a threw');
    expect(verdict.executors.map((failure) => failure.executorId)).toEqual(['a', 'b']);
    expect(verdict.lostHosts).toEqual(new Set([0]));
  });

  it('fails a timeout as EXECUTOR_TIMEOUT of its executor; its killed host is not rolled back (guarantee 40)', () => {
    const verdict = judge(attempt([timeout]), rules);
    expect(verdict.kind).toBe('fail');
    if (verdict.kind !== 'fail') return;
    expect(verdict.error.code).toBe('EXECUTOR_TIMEOUT');
    expect(verdict.error.details).toEqual({ executorId: 'slow', timeoutMs: 50 });
    expect(verdict.executors).toEqual([{ executorId: 'slow', error: verdict.error }]);
    expect(verdict.lostHosts).toEqual(new Set([1]));
  });

  it('fails a batch the runtime could not send with its error and blames no executor', () => {
    const verdict = judge(attempt([batchFailed]), rules);
    expect(verdict).toEqual({
      kind: 'fail',
      error: batchFailed.error,
      executors: [],
      lostHosts: new Set(),
    });
  });
});

describe('the calls a lost host took with it (for the trace)', () => {
  it('names, per lost host, the executors and messages of every batch it held, and nothing of other failures', () => {
    const calls = lostCalls([
      { failure: lost(0), deliveries: [['actor', ['$input', 1]]] },
      { failure: handlerFailed('a'), deliveries: [['a', ['x', 2]]] },
      {
        failure: lost(0),
        deliveries: [
          ['work', ['split', 1, 'split', 2]],
          ['actor', ['x', 3]],
        ],
      },
      { failure: timeout, deliveries: [['slow', ['x', 4]]] },
    ]);
    expect(calls).toEqual([
      { hostIndex: 0, code: 'WORKER_LOST', reason: 'exit code 1', executorIds: ['actor', 'work'], messages: 4 },
      {
        hostIndex: 1,
        code: 'EXECUTOR_TIMEOUT',
        reason: 'executor "slow" ran past 50 ms',
        executorIds: ['slow'],
        messages: 1,
      },
    ]);
  });
});
