/**
 * The options of a workflow and of its runs, checked once at the public boundary (`build()`, `run()`,
 * `resume()`) with messages that name the option, and resolved into the values the internals take.
 */
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { optionsObject } from '../shared/options.ts';
import type { CheckpointStore } from './checkpoints/checkpoint-store.ts';
import { recorderSink } from './run-recorder.ts';
import type { ResumeOptions, WorkflowOptions } from './workflow.ts';

const DEFAULT_MAX_SUPERSTEPS = 100;

/** `WorkflowOptions` checked, with their defaults filled in. */
export interface ResolvedWorkflowOptions {
  /** The options as given (`{}` for none). */
  readonly options: WorkflowOptions;
  readonly maxSupersteps: number;
  readonly cancelGraceMs: number;
  readonly maxWorkerRestarts: number;
  /** The initial shared state, copied through the codec. */
  readonly sharedState: Map<string, unknown>;
}

export function resolveWorkflowOptions(given: WorkflowOptions | undefined): ResolvedWorkflowOptions {
  const options = optionsObject(given);
  const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? DEFAULT_MAX_SUPERSTEPS;
  const cancelGraceMs = checkNonNegative(options.cancelGraceMs, 'options.cancelGraceMs') ?? 500;
  const maxWorkerRestarts = checkLimit(options.maxWorkerRestarts, 'options.maxWorkerRestarts', 0) ?? 3;
  const shared: unknown = options.sharedState;
  if (shared !== undefined && (typeof shared !== 'object' || shared === null)) {
    throw new SuperstepError('INVALID_OPTION', 'options.sharedState must be an object of key → value', {
      details: { option: 'sharedState' },
    });
  }
  checkStore(options.store);
  const sharedState = new Map<string, unknown>();
  for (const [key, value] of Object.entries(options.sharedState ?? {})) {
    assertSerializable(value, { executorId: `$shared.${key}`, direction: 'shared-state' });
    // A copy through the codec: the caller's object is not aliased (mutating it later changes nothing).
    sharedState.set(key, decode(encode(value)));
  }
  return { options, maxSupersteps, cancelGraceMs, maxWorkerRestarts, sharedState };
}

/** Checks the options of `run()` and `resume()` besides `maxSupersteps`; returns `onPendingRequests`. */
export function checkRunOptions(options: ResumeOptions): 'auto' | 'wait' | 'end' {
  const pendingMode = options.onPendingRequests ?? 'auto';
  if (!(['auto', 'wait', 'end'] as unknown[]).includes(pendingMode)) {
    throw new SuperstepError('INVALID_OPTION', `options.onPendingRequests must be 'auto', 'wait' or 'end'`, {
      details: { option: 'onPendingRequests' },
    });
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new SuperstepError('INVALID_OPTION', 'options.signal must be an AbortSignal', {
      details: { option: 'signal' },
    });
  }
  if (options.onRequest !== undefined && typeof options.onRequest !== 'function') {
    throw new SuperstepError('INVALID_OPTION', 'options.onRequest must be a function', {
      details: { option: 'onRequest' },
    });
  }
  checkStore(options.store);
  if (options.recorder !== undefined && recorderSink(options.recorder) === undefined) {
    throw new SuperstepError('INVALID_OPTION', 'options.recorder must be made by createRunRecorder()', {
      details: { option: 'recorder' },
    });
  }
  return pendingMode;
}

export function checkLimit(value: number | undefined, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be an integer ≥ ${min}, got ${String(value)}`, {
      details: { option },
    });
  }
  return value;
}

function checkNonNegative(value: number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0) {
    throw new SuperstepError('INVALID_OPTION', `${option} must be a number ≥ 0, got ${String(value)}`, {
      details: { option },
    });
  }
  return value;
}

function checkStore(store: CheckpointStore | undefined): void {
  if (store !== undefined && typeof (store as Partial<CheckpointStore>).save !== 'function') {
    throw new SuperstepError('INVALID_OPTION', 'options.store must be a CheckpointStore', {
      details: { option: 'store' },
    });
  }
}
