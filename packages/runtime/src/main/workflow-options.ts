/**
 * The options of a workflow and of its runs, checked once at the public boundary (`build()`, `run()`,
 * `resume()`) with messages that name the option, and resolved into the values the internals take.
 */
import { assertSerializable, decode, encode } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { invalidOption, optionalFunction, optionsObject } from '../shared/options.ts';
import type { RequestEvent } from '../shared/events.ts';
import { ActorPool, resolvePoolOptions, type PoolOptions } from './hosts/actor-pool.ts';
import type { HostSet } from '../shared/host-set.ts';
import type { CheckpointStore } from './checkpoints/checkpoint-store.ts';
import type { InstanceLease } from './run/instance-lease.ts';
import type { RunEventSink } from './run/run-event-sink.ts';
import { recorderSink, type RunRecorder } from './observe/run-recorder.ts';

/** Options of `WorkflowBuilder.build()`. */
export interface WorkflowOptions extends PoolOptions {
  /**
   * The actor hosts to run on: a pool from `createPool()` shared between workflows, or any other
   * {@link HostSet}. Without one, the workflow creates its own pool and closes it with itself.
   */
  readonly pool?: HostSet;
  /** Default superstep limit of each run (guarantee 7). Default 100. */
  readonly maxSupersteps?: number;
  /** Initial workflow-scoped shared state (guarantee 45). */
  readonly sharedState?: Readonly<Record<string, unknown>>;
  /** Makes run, lineage and checkpoint ids (inject for deterministic tests). Default `crypto.randomUUID`. */
  readonly createId?: () => string;
  /** The clock for checkpoint timestamps, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** A stable name: checkpoints are listed by it. Default: the start executor's id. */
  readonly name?: string;
  /** Checkpoint every barrier of every run to this store (guarantee 23). */
  readonly store?: CheckpointStore;
  /** Where failed checkpoint writes are logged (guarantee 27). Default `console`. */
  readonly logger?: Pick<Console, 'warn'>;
  /** After a cancel, how long handlers get to return before their worker is terminated (guarantee 38). Default 500. */
  readonly cancelGraceMs?: number;
  /** How many times a superstep is replayed after its worker died before the run fails (guarantee 39). Default 3. */
  readonly maxWorkerRestarts?: number;
  /**
   * Reserves the instance `name` beyond this object (guarantee 52): every run, `restore()`, `reset()` and
   * `createCheckpoint()` holds the lease while it works, and gets `WORKFLOW_BUSY` while another holder has it.
   * `natsLease()` (from `@superstep/runtime/nats`) reaches across processes; `createLocalLease()` within one.
   * Needs `name`, and a store that checks fencing tokens (memory, PostgreSQL).
   */
  readonly lease?: InstanceLease;
  /**
   * Also sends every run's events here, in order (`natsEventStream()` from `@superstep/runtime/nats`, which
   * other processes follow with `observe(name)`).
   */
  readonly events?: RunEventSink;
}

/** Options of {@link Workflow.run} and {@link Workflow.resume}. */
export interface RunOptions {
  /** Aborting cancels the run (guarantee 38). */
  readonly signal?: AbortSignal;
  /** This run's superstep limit; overrides the workflow's (guarantee 7). */
  readonly maxSupersteps?: number;
  /** Checkpoint this run (only) to this store instead of the workflow's. */
  readonly store?: CheckpointStore;
  /**
   * Answers requests as they come (guarantee 19): called for each `request` event; what it returns (or resolves
   * to) is the answer. If it throws, or the answer is refused, a `warning` is emitted and the request
   * stays pending.
   */
  readonly onRequest?: (request: RequestEvent) => unknown;
  /**
   * When nothing is queued but requests are pending: `'wait'` keeps the run open, with status
   * `idle-with-pending-requests` (not final), until `respond()` answers — no polling, the reservation is
   * held; `'end'` ends the run with that final status (answer later with `resume({ responses })`).
   * `'auto'` (default) waits while someone can answer — an `onRequest` callback is set or the events are
   * being iterated — and ends otherwise, so a bare `await result()` or a dropped handle never hangs.
   * A background run answered from elsewhere (an HTTP handler) passes `'wait'`.
   */
  readonly onPendingRequests?: 'auto' | 'wait' | 'end';
  /**
   * Records this run for a timeline page (see {@link createRunRecorder}): its events, each handler
   * invocation as timed on its thread, superstep attempts, checkpoint writes and requests.
   */
  readonly recorder?: RunRecorder;
}

/** Options of {@link Workflow.resume}. */
export interface ResumeOptions extends RunOptions {
  /** Answers to pending requests, applied before the run starts; unanswered ones are re-emitted (guarantee 21). */
  readonly responses?: Readonly<Record<string, unknown>>;
}

/** Options of {@link Workflow.restore} and {@link Workflow.createCheckpoint}. */
export interface StoreOptions {
  /** The store to use instead of the workflow's. */
  readonly store?: CheckpointStore;
}

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
function checkStore(store: CheckpointStore | undefined): void {
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
