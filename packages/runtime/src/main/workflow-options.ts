/**
 * The options of a workflow and of its runs, checked once at the public boundary (`build()`, `run()`,
 * `resume()`) with messages that name the option, and resolved into the values the internals take.
 */
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { invalidOption, optionalFunction, optionsObject } from '../shared/options.ts';
import { ActorPool, resolvePoolOptions } from './hosts/actor-pool.ts';
import type { HostSet } from '../shared/host-set.ts';
import type { CheckpointStore } from './checkpoints/checkpoint-store.ts';
import { recorderSink } from './observe/run-recorder.ts';
import type { ResumeOptions, StoreOptions, WorkflowOptions } from './workflow.ts';

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
  // The pool's own options are checked even when a pool is given (where they are not used).
  resolvePoolOptions(options);
  if (options.pool !== undefined && !isHostSet(options.pool)) {
    throw invalidOption('options.pool', 'an ActorPool (from createPool()) or another HostSet', options.pool);
  }
  optionalFunction(options.createId, 'options.createId');
  optionalFunction(options.now, 'options.now');
  const name: unknown = options.name;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw invalidOption('options.name', 'a non-empty string', name);
  }
  const logger = options.logger as { warn?: unknown } | null | undefined;
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw invalidOption('options.logger', 'an object with a warn() method (console will do)', logger);
  }
  const maxSupersteps = checkLimit(options.maxSupersteps, 'options.maxSupersteps') ?? DEFAULT_MAX_SUPERSTEPS;
  const cancelGraceMs = checkNonNegative(options.cancelGraceMs, 'options.cancelGraceMs') ?? 500;
  const maxWorkerRestarts = checkLimit(options.maxWorkerRestarts, 'options.maxWorkerRestarts', 0) ?? 3;
  const shared: unknown = options.sharedState;
  if (shared !== undefined && (typeof shared !== 'object' || shared === null || Array.isArray(shared))) {
    throw new SuperstepError('INVALID_OPTION', 'options.sharedState must be an object of key → value', {
      details: { option: 'sharedState' },
    });
  }
  checkStore(options.store);
  checkLease(options);
  const events = options.events as { publish?: unknown; flush?: unknown } | null | undefined;
  if (events !== undefined && (typeof events?.publish !== 'function' || typeof events.flush !== 'function')) {
    throw invalidOption('options.events', 'a RunEventSink (natsEventStream()) with publish() and flush()', events);
  }
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
  const responses: unknown = options.responses;
  if (responses !== undefined && (typeof responses !== 'object' || responses === null || Array.isArray(responses))) {
    throw invalidOption('options.responses', 'an object of request id → answer', responses);
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

/** What a store must offer: the methods of {@link CheckpointStore} the runtime calls. */
const STORE_METHODS = ['save', 'load', 'list', 'latest', 'delete', 'prune', 'close'] as const;

/** `undefined` or a {@link CheckpointStore} (an object with every store method). */
export function checkStore(store: CheckpointStore | undefined): void {
  if (store === undefined) return;
  const given = store as unknown as Partial<Record<string, unknown>> | null;
  if (typeof given !== 'object' || given === null || STORE_METHODS.some((name) => typeof given[name] !== 'function')) {
    throw new SuperstepError(
      'INVALID_OPTION',
      `options.store must be a CheckpointStore (with ${STORE_METHODS.join(', ')})`,
      { details: { option: 'store' } },
    );
  }
}

/** The store of `createCheckpoint()`/`restore()` options, checked (`undefined`: the workflow's own). */
export function storeOption(given: StoreOptions | undefined): CheckpointStore | undefined {
  const { store } = optionsObject(given);
  checkStore(store);
  return store;
}

/** An ActorPool, or an object with every member of the {@link HostSet} contract (a JavaScript caller can pass anything). */
function isHostSet(value: unknown): value is HostSet {
  if (value instanceof ActorPool) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.size === 'number' &&
    typeof candidate.isClosed === 'boolean' &&
    ['host', 'kill', 'nextPlacement', 'registerInstance', 'assertOpen', 'close'].every(
      (method) => typeof candidate[method] === 'function',
    )
  );
}

/** A lease needs a name to reserve and a store that checks its fencing tokens (guarantee 52). */
function checkLease({ lease, name, store }: WorkflowOptions): void {
  if (lease === undefined) return;
  const given = lease as unknown as { acquire?: unknown } | null;
  if (typeof given?.acquire !== 'function') {
    throw invalidOption('options.lease', 'an InstanceLease (natsLease(), createLocalLease())', lease);
  }
  if (name === undefined) throw invalidOption('options.name', 'given with options.lease: it names the leased instance');
  checkFencingStore(store);
}

/** With a lease, checkpoints go only to a store that refuses a stale holder's commits. */
export function checkFencingStore(store: CheckpointStore | undefined): void {
  if (store === undefined || typeof store.advanceFence === 'function') return;
  throw new SuperstepError(
    'INVALID_OPTION',
    `options.store must check fencing tokens when the instance is leased (the memory and postgres stores do; this is a ${store.kind} store)`,
    { details: { option: 'store', store: store.kind } },
  );
}
