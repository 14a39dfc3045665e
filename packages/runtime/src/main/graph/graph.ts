/**
 * The validated, frozen shape of a workflow: executors, edge groups, start. Made by the builder;
 * read by the router and the coordinator. Validation here is guarantee 11.
 */
import { createHash } from 'node:crypto';
import { SuperstepError } from '../../shared/errors.ts';
import type { ExecutorLocation } from '../../shared/protocol.ts';

export type Condition = (message: never) => boolean;
export type Selector = (message: never, targets: readonly string[]) => readonly string[];

/** How messages leave an executor (guarantee 9). */
export type EdgeGroup =
  | { readonly kind: 'direct'; readonly from: string; readonly to: string; readonly condition: Condition | undefined }
  | {
      readonly kind: 'fan-out';
      readonly from: string;
      readonly to: readonly string[];
      readonly select: Selector | undefined;
    }
  | {
      readonly kind: 'switch';
      readonly from: string;
      readonly cases: readonly { readonly when: Condition; readonly to: string }[];
      readonly default: string | undefined;
    }
  | { readonly kind: 'fan-in'; readonly from: readonly string[]; readonly to: string };

export interface Graph {
  readonly start: string;
  /** Every node: executors workers load, and sub-workflow nodes (also in {@link subWorkflows}). */
  readonly executors: ReadonlyMap<string, ExecutorLocation>;
  /** Nodes that are whole workflows, run by the coordinator (guarantee 43). */
  readonly subWorkflows: ReadonlyMap<string, Graph>;
  readonly edges: readonly EdgeGroup[];
  /** Hash of executors and edges: a checkpoint restores only into the same shape (guarantee 25). */
  readonly signature: string;
}

/** Every target an edge group can deliver to. */
function targetsOf(edge: EdgeGroup): readonly string[] {
  switch (edge.kind) {
    case 'direct':
    case 'fan-in':
      return [edge.to];
    case 'fan-out':
      return edge.to;
    case 'switch':
      return [...edge.cases.map((c) => c.to), ...(edge.default === undefined ? [] : [edge.default])];
  }
}

function sourcesOf(edge: EdgeGroup): readonly string[] {
  return edge.kind === 'fan-in' ? edge.from : [edge.from];
}

/** An edge group's identity for duplicate detection: its kind and its ends. */
export function edgeKey(edge: EdgeGroup): string {
  switch (edge.kind) {
    case 'direct':
      return `direct:${edge.from}->${edge.to}`;
    case 'fan-out':
      return `fan-out:${edge.from}->${[...edge.to].sort().join(',')}`;
    case 'switch':
      return `switch:${edge.from}->${targetsOf(edge).join(',')}`;
    case 'fan-in':
      return `fan-in:${[...edge.from].sort().join(',')}->${edge.to}`;
  }
}

function graphError(
  code: 'GRAPH_MISSING_START' | 'GRAPH_UNKNOWN_EXECUTOR' | 'GRAPH_UNREACHABLE_EXECUTOR',
  message: string,
  details: Record<string, unknown>,
): SuperstepError {
  return new SuperstepError(code, message, { details });
}

/** What a builder hands over to make a {@link Graph}: its start, executors, edges and sub-workflows. */
export interface GraphParts {
  readonly start: string | undefined;
  readonly executors: ReadonlyMap<string, ExecutorLocation>;
  readonly edges: readonly EdgeGroup[];
  readonly subWorkflows: ReadonlyMap<string, Graph>;
}

/** Checks the whole graph and freezes it (guarantee 11). */
export function finishGraph(parts: GraphParts): Graph {
  const { start, executors, edges, subWorkflows } = parts;
  if (start === undefined) throw graphError('GRAPH_MISSING_START', 'the workflow has no start executor', {});
  if (!executors.has(start)) {
    throw graphError('GRAPH_UNKNOWN_EXECUTOR', `start executor "${start}" is not registered`, { executorId: start });
  }
  for (const edge of edges) {
    for (const id of [...sourcesOf(edge), ...targetsOf(edge)]) {
      if (!executors.has(id)) {
        throw graphError('GRAPH_UNKNOWN_EXECUTOR', `a ${edge.kind} edge names unknown executor "${id}"`, {
          executorId: id,
          edge: edgeKey(edge),
        });
      }
    }
  }
  const reached = new Set([start]);
  const frontier = [start];
  for (let id = frontier.pop(); id !== undefined; id = frontier.pop()) {
    for (const edge of edges) {
      if (!sourcesOf(edge).includes(id)) continue;
      for (const target of targetsOf(edge)) {
        if (!reached.has(target)) {
          reached.add(target);
          frontier.push(target);
        }
      }
    }
  }
  for (const id of executors.keys()) {
    if (!reached.has(id)) {
      throw graphError('GRAPH_UNREACHABLE_EXECUTOR', `executor "${id}" cannot be reached from start "${start}"`, {
        executorId: id,
      });
    }
  }
  const signature = createHash('sha256')
    .update(
      JSON.stringify({
        start,
        executors: [...executors.values()].map((e) => [e.id, e.module, e.exportName]).sort(),
        subWorkflows: [...subWorkflows].map(([id, child]) => [id, child.signature]).sort(),
        edges: edges.map((edge) => [
          edgeKey(edge),
          edge.kind === 'direct'
            ? edge.condition !== undefined
            : edge.kind === 'fan-out'
              ? edge.select !== undefined
              : 0,
        ]),
      }),
    )
    .digest('hex');
  return Object.freeze({ start, executors, subWorkflows, edges: Object.freeze([...edges]), signature });
}
