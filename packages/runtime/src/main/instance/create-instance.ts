/**
 * Builds a workflow instance in one go (`WorkflowBuilder.build()`): checks every option, makes or takes
 * the pool, builds the sub-workflow nodes' instances, places and loads the actors on every host, and
 * wires the coordinator. A build that fails leaves nothing running.
 */
import { randomUUID } from 'node:crypto';
import { allHosts } from '../../shared/host-set.ts';
import { checkExecutorModules } from '../graph/executor-modules.ts';
import type { Graph } from '../graph/graph.ts';
import { createPool } from '../hosts/actor-pool.ts';
import { Coordinator } from '../superstep/coordinator.ts';
import { placeInstance, reloadOnReplace, type Placement } from '../superstep/place-instance.ts';
import { SubWorkflowRunner } from '../superstep/sub-workflow-runner.ts';
import { resolveWorkflowOptions, type WorkflowOptions } from '../workflow-options.ts';
import { WorkflowInstance } from './workflow-instance.ts';

let instanceCounter = 0;

export async function createInstance(graph: Graph, given: WorkflowOptions | undefined): Promise<WorkflowInstance> {
  // Every option is checked before any thread starts: a refused option must not leave a pool running.
  const { options, maxSupersteps, cancelGraceMs, maxWorkerRestarts, sharedState } = resolveWorkflowOptions(given);
  checkExecutorModules([...graph.executors.values()].filter(({ id }) => !graph.subWorkflows.has(id)));
  const pool = options.pool ?? (await createPool(options));
  pool.assertOpen();
  const instance = `wf${++instanceCounter}-${randomUUID().slice(0, 8)}`;
  // Sub-workflow nodes are run by the coordinator, not loaded by workers (guarantee 43).
  const children = new Map<string, WorkflowInstance>();
  let placed: Placement;
  try {
    for (const [id, childGraph] of graph.subWorkflows) {
      const { store: _store, sharedState: _shared, lease: _lease, events: _events, name, ...inherited } = options;
      children.set(id, await createInstance(childGraph, { ...inherited, pool, name: `${name ?? graph.start}/${id}` }));
    }
    placed = await placeInstance({ pool, hosts: allHosts(pool), graph, instance, sharedState });
  } catch (error) {
    // A build that fails leaves nothing running: the children made so far, and a pool made here, close.
    await Promise.allSettled([...children.values()].map((child) => child.close()));
    if (options.pool === undefined) await pool.close();
    throw error;
  }
  const { locations, placement, infos } = placed;
  const coordinator = new Coordinator({
    instance,
    graph,
    hosts: pool,
    cancelGraceMs,
    maxWorkerRestarts,
    executors: new Map(infos.map((info) => [info.id, info])),
    placement,
    sharedState,
    children: new Map([...children].map(([id, child]) => [id, new SubWorkflowRunner(id, child)])),
  });
  return new WorkflowInstance({
    graph,
    pool,
    ownsPool: options.pool === undefined,
    coordinator,
    children,
    unregister: reloadOnReplace(pool, locations, coordinator),
    maxSupersteps,
    initialShared: new Map(sharedState),
    options,
  });
}
