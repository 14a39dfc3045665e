/**
 * A workflow instance on a pool's hosts: which host holds which actor, and loading it on every host (and
 * again on a host that replaced a dead one, from the last barrier). Replacing the state of a loaded
 * instance (restore, reset) is instance/replace-state.ts.
 */
import type { HostLink, HostSet } from '../../shared/host-set.ts';
import type { ExecutorInfo, ExecutorLocation } from '../../shared/protocol.ts';
import type { Coordinator } from './coordinator.ts';
import type { Graph } from '../graph/graph.ts';
import { sharedWrites } from './instance-state.ts';

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
    await host.control.loadInstance({ instance, executors: locations, ...coordinator.hostState(host.index) });
  });
}
