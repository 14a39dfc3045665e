/**
 * One workflow instance's part on an actor host: its executors, the actors placed here with their
 * committed state and drafts, and its shared state — how they are loaded, and how drafts are committed,
 * rolled back, or replaced wholesale by prepared states (restore and reset; see protocol.ts).
 */
import { threadId } from 'node:worker_threads';
import { newBlobKey } from '../shared/blob-key.ts';
import { decodeUntrusted, encode } from '../shared/codec.ts';
import { SuperstepError, toErrorRecord } from '../shared/errors.ts';
import { isExecutorDefinition, type ExecutorDefinition } from '../shared/executor-definition.ts';
import type {
  ExecutorInfo,
  HostEvent,
  ExecutorLocation,
  LoadInstanceRequest,
  PrepareStatesRequest,
  SharedWrite,
  StepBatch,
  StepMark,
} from '../shared/protocol.ts';
import type { Snapshot, StepOutput } from './step-output.ts';
import { BatchSequence } from './batch-sequence.ts';
import { importExecutorModule } from './typescript-loader.ts';

export interface Actor {
  readonly id: string;
  readonly definition: ExecutorDefinition;
  committed: unknown;
  draft: unknown;
  dirty: boolean;
}

export interface Instance {
  readonly key: string;
  readonly executors: Map<string, ExecutorDefinition>;
  readonly actors: Map<string, Actor>;
  readonly shared: Map<string, unknown>;
  /** Actors with drafts from the last superstep, awaiting the verdict. */
  pending: Actor[];
  /** The superstep those drafts are of (`undefined` while none await a verdict). */
  pendingMark: StepMark | undefined;
  /** Which batch is next; the replies a repeated batch is answered with. */
  readonly sequence: BatchSequence;
  abort: AbortController;
  /** The run of the last batch, and the last run aborted with its reason (see `HostControl.abort`). */
  currentRun: number;
  aborted: { readonly run: number; readonly reason: string } | undefined;
  /** States built by `prepareStates`, applied by `commitPrepared`. */
  prepared: { states: Map<string, unknown>; shared: Map<string, unknown> } | undefined;
  /** The step this host is running for the instance, if any: late calls report into it (late-calls.ts). */
  running: { readonly superstep: number; readonly output: StepOutput } | undefined;
  /** Late calls reported while no step ran: sent with the instance's next step. */
  lateWarnings: HostEvent[];
}

/** Imports the executors and builds the instance with its actors' states as of the request's snapshots. */
export async function buildInstance(
  request: LoadInstanceRequest,
): Promise<{ readonly instance: Instance; readonly infos: ExecutorInfo[] }> {
  const executors = new Map<string, ExecutorDefinition>();
  const infos: ExecutorInfo[] = [];
  for (const location of request.executors) {
    const definition = await loadDefinition(location);
    executors.set(location.id, definition);
    infos.push({
      id: location.id,
      stateless: definition.stateless,
      kinds: definition.on === undefined ? null : Object.keys(definition.on),
    });
  }
  return { instance: newInstance(request, executors), infos };
}

/** What an instance is built from besides its executors: its key, actors, their snapshots, shared state. */
export type InstanceSeed = Pick<LoadInstanceRequest, 'instance' | 'actors' | 'snapshots' | 'shared'>;

/**
 * An instance of loaded executors, each actor at its snapshot (decoded as untrusted bytes) or else its
 * initial state, committed and frozen. Also how the test harness (testing/) builds its one-actor instance.
 */
export function newInstance(seed: InstanceSeed, executors: Map<string, ExecutorDefinition>): Instance {
  const snapshots = new Map(seed.snapshots);
  const actors = new Map<string, Actor>();
  for (const id of seed.actors) {
    const definition = executors.get(id);
    if (definition === undefined || definition.stateless) continue;
    const bytes = snapshots.get(id);
    const committed = bytes !== undefined ? decodeUntrusted(bytes) : definition.initialState?.();
    actors.set(id, { id, definition, committed: deepFreeze(committed), draft: undefined, dirty: false });
  }
  const shared = new Map<string, unknown>();
  applyShared(shared, seed.shared);
  return {
    key: seed.instance,
    executors,
    actors,
    shared,
    pending: [],
    pendingMark: undefined,
    sequence: new BatchSequence(),
    abort: new AbortController(),
    currentRun: 0,
    aborted: undefined,
    prepared: undefined,
    running: undefined,
    lateWarnings: [],
  };
}

/** Builds the states a restore or reset will apply (running reset hooks if asked), changing nothing yet. */
export async function buildPreparedStates(instance: Instance, request: PrepareStatesRequest): Promise<void> {
  commitPending(instance);
  if (request.runResetHooks) {
    for (const [executorId, definition] of instance.executors) {
      try {
        await definition.reset?.({ executorId, threadId });
      } catch (error) {
        throw new SuperstepError('RESET_FAILED', `reset hook of executor "${executorId}" threw: ${String(error)}`, {
          details: { executorId },
          original: toErrorRecord(error),
        });
      }
    }
  }
  // Snapshots may come from a checkpoint store: decoded as bytes we did not make (shared/codec.ts).
  const snapshots = new Map(request.snapshots);
  const states = new Map<string, unknown>();
  for (const actor of instance.actors.values()) {
    const bytes = snapshots.get(actor.id);
    states.set(actor.id, deepFreeze(bytes !== undefined ? decodeUntrusted(bytes) : actor.definition.initialState?.()));
  }
  const shared = new Map<string, unknown>();
  applyShared(shared, request.shared);
  instance.prepared = { states, shared };
}

/** Replaces every actor's state and the shared state with the prepared ones. */
export function applyPreparedStates(instance: Instance): void {
  const prepared = instance.prepared;
  if (prepared === undefined) throw new SuperstepError('INTERNAL', `nothing prepared for ${instance.key}`);
  for (const actor of instance.actors.values()) {
    actor.committed = prepared.states.get(actor.id);
    actor.draft = undefined;
    actor.dirty = false;
  }
  instance.shared.clear();
  for (const [key, value] of prepared.shared) instance.shared.set(key, value);
  instance.pending = [];
  instance.pendingMark = undefined;
  instance.prepared = undefined;
}

/**
 * A step's deliveries are done: the drafts of the actors whose state changed await the coordinator's
 * verdict (see the commit protocol in protocol.ts), and their snapshots go with the reply, keyed if the
 * batch asked. A failed step keeps nothing and sends no snapshot.
 */
export function holdDrafts(
  instance: Instance,
  batch: Pick<StepBatch, 'run' | 'superstep' | 'keySnapshots'>,
  output: StepOutput,
): Snapshot[] {
  const dirty: Actor[] = [];
  const snapshots: Snapshot[] = [];
  for (const actor of instance.actors.values()) {
    if (!actor.dirty) continue;
    dirty.push(actor);
    if (output.failure !== null) continue;
    const bytes = encode(actor.draft);
    snapshots.push([actor.id, bytes, batch.keySnapshots ? newBlobKey(bytes) : null]);
  }
  instance.pending = dirty;
  instance.pendingMark = { run: batch.run, superstep: batch.superstep };
  if (output.failure !== null) rollbackPending(instance);
  return snapshots;
}

export function commitPending(instance: Instance): void {
  for (const actor of instance.pending) {
    actor.committed = deepFreeze(actor.draft);
    actor.draft = undefined;
    actor.dirty = false;
  }
  instance.pending = [];
  instance.pendingMark = undefined;
}

export function rollbackPending(instance: Instance): void {
  for (const actor of instance.pending) {
    actor.draft = undefined;
    actor.dirty = false;
  }
  instance.pending = [];
  instance.pendingMark = undefined;
}

/** Orders superstep marks: by run, then by superstep within a run. */
export function compareMarks(a: StepMark, b: StepMark): number {
  return a.run !== b.run ? a.run - b.run : a.superstep - b.superstep;
}

export function applyShared(shared: Map<string, unknown>, writes: readonly SharedWrite[]): void {
  for (const [key, value, deleted] of writes) {
    if (deleted) shared.delete(key);
    else shared.set(key, deepFreeze(value));
  }
}

/** Freezes committed state so an in-place mutation throws instead of defeating rollback. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) {
    return value;
  }
  if (value instanceof Map || value instanceof Set) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

async function loadDefinition(location: ExecutorLocation): Promise<ExecutorDefinition> {
  const where = { executorId: location.id, module: location.module, exportName: location.exportName };
  let namespace: Record<string, unknown>;
  try {
    namespace = await importExecutorModule(location.module);
  } catch (error) {
    throw new SuperstepError(
      'EXECUTOR_LOAD_FAILED',
      `executor "${location.id}": cannot import module ${location.module}: ${String(error)}`,
      { details: where, cause: error },
    );
  }
  const definition = namespace[location.exportName];
  if (!isExecutorDefinition(definition)) {
    throw new SuperstepError(
      'EXECUTOR_LOAD_FAILED',
      `executor "${location.id}": export "${location.exportName}" of ${location.module} ` +
        (definition === undefined ? 'does not exist' : 'is not made by defineExecutor()'),
      { details: where },
    );
  }
  return definition;
}
