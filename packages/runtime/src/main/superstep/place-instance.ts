/**
 * A workflow instance on a pool's hosts: which host holds which actor, loading it on every host (and again
 * on a host that replaced a dead one), and every host's part in replacing its state (restore, reset) —
 * with what a host is sent of the instance's state: its actors' snapshots, and the shared state.
 */
import type { HostLink, HostSet } from '../../shared/host-set.ts';
import type { ExecutorInfo, ExecutorLocation } from '../../shared/protocol.ts';
import type { Coordinator } from './coordinator.ts';
import type { InstanceCut } from './coordinator-types.ts';
import type { Graph } from '../graph/graph.ts';
import { sharedWrites, snapshotsOf } from './instance-state.ts';

/** Where an instance's actors live, and what its executors handle. */
export interface Placement {
  /** The executors the hosts load: every node but the sub-workflows (run by the coordinator, guarantee 43). */
  readonly locations: ExecutorLocation[];
  /** Each actor's host index. */
  readonly placement: Map<string, number>;
  readonly infos: ExecutorInfo[];
}

/**
 * Places the graph's actors on `hosts` and loads the instance on every one of them. If any host fails to
 * load it, it is dropped from all of them and the failure is thrown.
 */
export async function placeInstance(parts: {
  readonly pool: HostSet;
  readonly hosts: readonly HostLink[];
  readonly graph: Graph;
  readonly instance: string;
  readonly sharedState: ReadonlyMap<string, unknown>;
}): Promise<Placement> {
  const { pool, hosts, graph, instance, sharedState } = parts;
  const locations = [...graph.executors.values()].filter((location) => !graph.subWorkflows.has(location.id));
  // Actors are spread over hosts round-robin; each workflow's first actor goes to the next host over.
  const placement = new Map<string, number>();
  let cursor = pool.nextPlacement();
  for (const { id } of locations) placement.set(id, cursor++ % pool.size);
  const loaded = await Promise.allSettled(
    hosts.map((host) =>
      host.control.loadInstance({
        instance,
        executors: locations,
        actors: [...placement].filter(([, index]) => index === host.index).map(([id]) => id),
        snapshots: [],
        shared: sharedWrites(sharedState),
      }),
    ),
  );
  const failed = loaded.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(hosts.map((host) => host.control.dropInstance(instance)));
    throw failed.reason;
  }
  const infos = (loaded[0] as PromiseFulfilledResult<ExecutorInfo[]>).value;
  return { locations, placement, infos };
}

/** A replaced host gets the instance's actors back as of the last barrier (main's mirror). Returns the undo. */
export function reloadOnReplace(pool: HostSet, locations: ExecutorLocation[], coordinator: Coordinator): () => void {
  const instance = coordinator.instance;
  return pool.registerInstance(instance, async (host) => {
    const actors = coordinator.actorsOn(host.index);
    await host.control.loadInstance({
      instance,
      executors: locations,
      actors,
      ...coordinator.state.hostState(actors),
    });
  });
}

/**
 * Has every one of `hosts` prepare the states of `cut` (running reset hooks if asked); throws the first
 * failure. Nothing changes until the hosts are told to commit.
 */
export async function prepareOnHosts(
  hosts: readonly HostLink[],
  coordinator: Coordinator,
  cut: InstanceCut,
  runResetHooks: boolean,
): Promise<void> {
  const shared = sharedWrites(cut.shared);
  const prepared = await Promise.allSettled(
    hosts.map((host) =>
      host.control.prepareStates(coordinator.instance, {
        snapshots: snapshotsOf(coordinator.actorsOn(host.index), cut.snapshots),
        shared,
        runResetHooks,
      }),
    ),
  );
  const failed = prepared.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
