/**
 * The sub-workflow nodes of one instance as its supersteps drive them (guarantees 43–44): each node's
 * messages run its child inside the parent's superstep, and a superstep that does not commit returns
 * every child it advanced to the cut taken before.
 */
import { SuperstepError, toErrorRecord } from '../../shared/errors.ts';
import type { ChildRunner, ChildStepResult, InstanceCut, RunContext } from './coordinator-types.ts';
import type { HandlerFailed } from './verdict.ts';

/** What the nodes of one superstep produced; a node whose child failed is a failed handler. */
export interface NodesStepped {
  readonly results: (readonly [string, ChildStepResult])[];
  readonly failures: HandlerFailed[];
}

export class SubWorkflowNodes {
  constructor(private readonly children: ReadonlyMap<string, ChildRunner>) {}

  /** Fills `into` with the cut of each of the nodes `ids`, taken now, to undo what they are about to do. */
  capture(ids: Iterable<string>, into: Map<string, InstanceCut>): void {
    into.clear();
    for (const id of ids) into.set(id, this.child(id).capture());
  }

  /** Runs each node's messages, all at once. */
  async step(
    run: RunContext,
    deliveries: ReadonlyMap<string, readonly (readonly [string, unknown])[]>,
  ): Promise<NodesStepped> {
    const results: (readonly [string, ChildStepResult])[] = [];
    const failures: HandlerFailed[] = [];
    if (deliveries.size === 0) return { results, failures };
    const ids = [...deliveries.keys()];
    const settled = await Promise.allSettled(ids.map((id) => this.child(id).step(deliveries.get(id) ?? [], run)));
    ids.forEach((executorId, index) => {
      const result = settled[index];
      if (result?.status === 'fulfilled') results.push([executorId, result.value]);
      else if (result !== undefined) {
        failures.push({ kind: 'handler-failed', executorId, error: toErrorRecord(result.reason) });
      }
    });
    return { results, failures };
  }

  /** Returns each node to its cut; rejects with the first failure. */
  async restore(cuts: ReadonlyMap<string, InstanceCut>): Promise<void> {
    await Promise.all([...cuts].map(([id, cut]) => this.child(id).restore(cut)));
  }

  /** Returns each node to its cut, whatever fails (the runtime itself failed: the run fails anyway). */
  async restoreAll(cuts: ReadonlyMap<string, InstanceCut>): Promise<void> {
    await Promise.allSettled([...cuts].map(([id, cut]) => this.child(id).restore(cut)));
  }

  private child(id: string): ChildRunner {
    const child = this.children.get(id);
    if (child === undefined) throw new SuperstepError('INTERNAL', `no sub-workflow node "${id}"`);
    return child;
  }
}
