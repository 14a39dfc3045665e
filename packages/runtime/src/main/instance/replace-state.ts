/**
 * Replacing a workflow instance's whole state, sub-workflows included: restore from a checkpoint
 * (guarantee 24) and reset to the initial state (guarantees 34–35). Atomic at every level: every host of
 * every level prepares first (decoding snapshots, running reset hooks); only if all succeed does any level
 * commit — its hosts, then its coordinator. (A host link may owe its host's commit to the instance's next
 * batch: `LinkBatches` in shared/host-set.ts.)
 */
import { SuperstepError } from '../../shared/errors.ts';
import { allHosts, type HostSet } from '../../shared/host-set.ts';
import { decodeCheckpointBody, type CheckpointState } from '../checkpoints/checkpoint-body.ts';
import type { CheckpointRead, CheckpointStore } from '../checkpoints/checkpoint-store.ts';
import {
  checkBlobKeys,
  queueWithFanInSources,
  readCheckpoint,
  snapshotsFromCheckpoint,
} from '../checkpoints/read-checkpoint.ts';
import type { Graph } from '../graph/graph.ts';
import type { Coordinator } from '../superstep/coordinator.ts';
import type { InstanceCut } from '../superstep/coordinator-types.ts';

/** One level of an instance: what replacing its state needs of it. */
export interface StateLevel {
  readonly graph: Graph;
  readonly pool: HostSet;
  readonly coordinator: Coordinator;
  /** The shared state the instance was built with (a reset returns to it). */
  readonly initialShared: ReadonlyMap<string, unknown>;
  readonly children: ReadonlyMap<string, StateLevel>;
}

/** The state of a new instance, at every level. */
export function initialCut(level: StateLevel): InstanceCut {
  return {
    superstep: 0,
    queue: [],
    fanIn: new Map(),
    shared: level.initialShared,
    snapshots: new Map(),
    requests: [],
    children: new Map([...level.children].map(([id, child]) => [id, initialCut(child)])),
  };
}

/**
 * Reads, checks and applies a checkpoint from `store`: everything — format version, graph signature, every
 * name and byte — is checked before anything changes (guarantees 25, 42). Resolves to what was read.
 */
export async function restoreCheckpoint(
  level: StateLevel,
  store: CheckpointStore,
  checkpointId: string,
): Promise<CheckpointRead> {
  const read = await readCheckpoint(store, checkpointId, level.graph.signature);
  const state = decodeCheckpointBody(read.body, level.graph);
  const blobs = { blobs: read.blobs, checkpointId };
  // The snapshots' checksums are checked while the hosts decode them: preparing changes nothing.
  await replaceState(level, cutFromCheckpoint(level, state, blobs), {
    verify: () => {
      checkBlobKeys(state, blobs);
    },
  });
  return read;
}

/** Resolves a decoded checkpoint's blob references into snapshots, at every level. */
function cutFromCheckpoint(
  level: StateLevel,
  state: CheckpointState,
  read: { readonly blobs: ReadonlyMap<string, Uint8Array>; readonly checkpointId: string },
): InstanceCut {
  const snapshots = snapshotsFromCheckpoint(level.graph, state, read);
  const children = new Map<string, InstanceCut>();
  for (const [id, childState] of state.children) {
    const child = level.children.get(id);
    if (child === undefined) {
      throw new SuperstepError('CHECKPOINT_CORRUPT', `checkpoint names unknown sub-workflow "${id}"`);
    }
    children.set(id, cutFromCheckpoint(child, childState, read));
  }
  return { ...state, queue: queueWithFanInSources(level.graph, state.queue), snapshots, children };
}

/** How a replacement goes besides its cut. */
interface ReplaceOptions {
  /** Run every executor's reset hook while preparing (a reset). */
  readonly runResetHooks?: boolean;
  /**
   * A check of the cut that throws if it must not be applied, run once the first level's hosts have
   * their work (so it costs no time of its own) and before anything commits.
   */
  readonly verify?: () => void;
}

/**
 * What preparing every level collects: each level's hosts' commit and its coordinator's replacement, and
 * the undo of each level's preparation.
 */
interface Plan {
  readonly runResetHooks: boolean;
  /** The check still to run (see {@link ReplaceOptions.verify}); taken by the first level. */
  verify: (() => void) | undefined;
  readonly commits: (() => Promise<void>)[];
  readonly replaces: (() => void)[];
  readonly discards: (() => Promise<unknown>)[];
}

/** Replaces the whole state, sub-workflows included, atomically (see the top of this file). */
export async function replaceState(level: StateLevel, cut: InstanceCut, options: ReplaceOptions = {}): Promise<void> {
  const plan: Plan = {
    runResetHooks: options.runResetHooks ?? false,
    verify: options.verify,
    commits: [],
    replaces: [],
    discards: [],
  };
  try {
    await prepareLevel(level, cut, plan);
  } catch (error) {
    await Promise.all(plan.discards.map((discard) => discard()));
    if (error instanceof SuperstepError && error.code === 'DECODE_FAILED') {
      throw new SuperstepError('CHECKPOINT_CORRUPT', `an actor snapshot does not decode: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  // The hosts' commits first, every level's: a link owes them to the next batch, so one fails only for a
  // host that was lost, and then every preparation is still there to discard and nothing has changed.
  const committed = await Promise.allSettled(plan.commits.map((commit) => commit()));
  const refused = committed.find((result) => result.status === 'rejected');
  if (refused !== undefined) {
    await Promise.all(plan.discards.map((discard) => discard()));
    throw refused.reason;
  }
  for (const replace of plan.replaces) replace();
}

/**
 * Has every host of `level` prepare the states of `cut` (running reset hooks if asked), then every child
 * level; throws the first failure. Nothing changes until the commits run.
 */
async function prepareLevel(level: StateLevel, cut: InstanceCut, plan: Plan): Promise<void> {
  const { coordinator } = level;
  const instance = coordinator.instance;
  const hosts = allHosts(level.pool);
  plan.discards.push(() => Promise.allSettled(hosts.map((host) => host.control.discardPrepared(instance))));
  const preparing = Promise.allSettled(
    hosts.map((host) => {
      const { snapshots, shared } = coordinator.hostState(host.index, cut);
      return host.control.prepareStates(instance, { snapshots, shared, runResetHooks: plan.runResetHooks });
    }),
  );
  // Its failure wins over the hosts': it is what a caller would have seen had it run first.
  const verified = runVerify(plan);
  const prepared = await preparing;
  if (verified !== undefined) throw verified.error;
  const failed = prepared.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  plan.commits.push(async () => {
    await Promise.all(hosts.map((host) => host.control.commitPrepared(instance)));
  });
  plan.replaces.push(() => {
    coordinator.replace(cut);
  });
  for (const [id, child] of level.children) {
    await prepareLevel(child, cut.children.get(id) ?? initialCut(child), plan);
  }
}

/** Runs the plan's check, if still to run: what it threw, if anything. */
function runVerify(plan: Plan): { readonly error: unknown } | undefined {
  const verify = plan.verify;
  plan.verify = undefined;
  try {
    verify?.();
    return undefined;
  } catch (error) {
    return { error };
  }
}
