/**
 * References to executors, made on the main thread: an id in the graph, plus the module and export a
 * worker imports to get the definition (guarantee 13). The type parameters carry the definition's message
 * types from the module's own types, so edges and conditions are checked by the compiler.
 */
import { SuperstepError } from '../../shared/errors.ts';
import { invalidOption, optionalFunction, optionsObject } from '../../shared/options.ts';
import type { RequestEvent } from '../../shared/events.ts';
import type { EXECUTOR_BRAND } from '../../shared/executor-definition.ts';
import type { ExecutorLocation } from '../../shared/protocol.ts';
import type { Graph } from './graph.ts';

/**
 * An executor in a graph. Phantom types, read by the builder: `In`/`Out` are the message types it takes
 * and sends, `Output` what it yields as workflow outputs, `Id` its id when known literally.
 */
export interface ExecutorRef<
  In = unknown,
  Out = unknown,
  Output = unknown,
  Id extends string = string,
> extends ExecutorLocation {
  readonly id: Id;
  /** Set for a sub-workflow node: the child's graph (guarantee 43). */
  readonly subWorkflow?: Graph;
  /** Type-level only (never set at run time): carries the message types the builder checks edges with. */
  readonly __types?: { in: In; out: Out; output: Output };
}

/**
 * Uses a whole workflow as one executor of another (guarantee 43). Each message sent to the node runs the child
 * workflow with it as input; the child's outputs flow on as the node's messages; the child's events appear
 * in the parent's stream as `subworkflow` events with their executor-id path; the child's requests surface
 * at the parent with their own request ids, and answering them at the parent resumes the child.
 *
 * Given a builder, the node takes the child's input type and sends the child's output type, so its edges
 * are checked like any other; it yields no outputs of the parent's own.
 *
 * `options.onRequest` lets the parent answer the child's questions itself (guarantee 60): called on the main
 * thread for each request the child makes, it returns (or resolves to) the answer, which resumes the child within
 * the same parent superstep; returning `undefined` lets the request surface to the parent's caller as usual.
 *
 * @example
 * const approval = subWorkflow('approval', new WorkflowBuilder(mod.executor('ask')).addEdge('ask', mod.executor('decide')));
 * parent.addEdge('draft', approval).addEdge(approval, 'publish');
 * // small amounts are approved by the parent; the rest go to a person
 * const triage = subWorkflow('approval', child, {
 *   onRequest: (request) => ((request.data as { amount: number }).amount < 100 ? { approved: true } : undefined),
 * });
 */
export function subWorkflow<In = unknown, Out = unknown, const Id extends string = string>(
  id: Id,
  child: { toGraph(): Graph; readonly __types?: { readonly input: In; readonly output: Out } } | Graph,
  options?: SubWorkflowOptions,
): ExecutorRef<In, Out, never, Id> {
  const ref = executor<In, Out>(id, { module: `superstep:subworkflow:${id}`, export: 'workflow' });
  const graph = isGraphSource(child) ? child.toGraph() : child;
  if (!isGraph(graph)) throw invalidOption('child', 'a WorkflowBuilder or the Graph it builds', child);
  const { onRequest } = optionsObject(options);
  optionalFunction(onRequest, 'options.onRequest');
  const node = onRequest === undefined ? graph : Object.freeze({ ...graph, interceptRequest: onRequest });
  return Object.freeze({ ...ref, subWorkflow: node }) as ExecutorRef<In, Out, never, Id>;
}

/** Options of {@link subWorkflow}. */
export interface SubWorkflowOptions {
  /**
   * Answers the child's requests at the parent (guarantee 60): what it returns, or resolves to, answers the
   * request (checked by the child's `responseSchema`: a refused answer fails the node, and so the superstep, with
   * `RESPONSE_INVALID`); `undefined` lets the request surface to the parent's caller. If it throws, the node fails.
   */
  readonly onRequest?: (request: RequestEvent) => unknown;
}

function isGraphSource(value: unknown): value is { toGraph(): Graph } {
  return typeof value === 'object' && value !== null && typeof (value as { toGraph?: unknown }).toGraph === 'function';
}

/** The shape a Graph has: what a sub-workflow node needs (a JavaScript caller can pass anything). */
function isGraph(value: unknown): value is Graph {
  if (typeof value !== 'object' || value === null) return false;
  const graph = value as Partial<Record<keyof Graph, unknown>>;
  return (
    typeof graph.start === 'string' &&
    graph.executors instanceof Map &&
    graph.subWorkflows instanceof Map &&
    Array.isArray(graph.edges) &&
    typeof graph.signature === 'string'
  );
}

// Read from the phantom, not by matching ExecutorDefinition<…>: State is invariant there (handle and
// initialState), so a pattern with a fixed State never matches a stateful or stateless definition.
type InOf<D> = D extends { readonly __types?: { in: infer In } } ? In : unknown;
type OutOf<D> = D extends { readonly __types?: { out: infer Out } } ? Out : unknown;
type OutputOf<D> = D extends { readonly __types?: { output: infer Output } } ? Output : unknown;

/** Export names of a module that are executor definitions. */
export type ExecutorExports<M> = {
  [K in keyof M & string]: M[K] extends { readonly [EXECUTOR_BRAND]: true } ? K : never;
}[keyof M & string];

function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module.length === 0) {
    throw new SuperstepError('INVALID_EXECUTOR_REF', 'an executor module must be a non-empty string or a URL', {
      details: { module },
    });
  }
  return module;
}

/**
 * Refers to an executor by module and export name.
 *
 * @example
 * const split = executor('split', { module: new URL('./executors.js', import.meta.url), export: 'split' });
 */
export function executor<In = unknown, Out = unknown>(
  id: string,
  location: { readonly module: string | URL; readonly export: string },
): ExecutorRef<In, Out> {
  if (typeof id !== 'string' || id.length === 0 || id.startsWith('$')) {
    throw new SuperstepError(
      'INVALID_EXECUTOR_REF',
      `executor id must be a non-empty string not starting with "$", got ${JSON.stringify(id)}`,
      {
        details: { id },
      },
    );
  }
  const given: unknown = location;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw invalidOption('location', 'an object { module, export }', given);
  }
  if (typeof location.export !== 'string' || location.export.length === 0) {
    throw new SuperstepError('INVALID_EXECUTOR_REF', `executor "${id}": export name must be a non-empty string`, {
      details: { id },
    });
  }
  return Object.freeze({ id, module: moduleSpecifier(location.module), exportName: location.export });
}

/** A typed handle on one executor module; see {@link executorModule}. */
export interface ExecutorModule<M> {
  readonly module: string;
  /**
   * Refers to the executor exported as `exportName`; its id defaults to the export name. The reference
   * carries the executor's message and output types, and its id as a literal type, so edges that name
   * it by id are checked too.
   * (`NoInfer`: the id comes from the arguments only; a parameter typed `ExecutorRef` that the reference
   * is passed to would otherwise widen it to `string`.)
   */
  executor<K extends ExecutorExports<M>, const Id extends string = K>(
    exportName: K,
    options?: { readonly id?: Id },
  ): ExecutorRef<InOf<M[K]>, OutOf<M[K]>, OutputOf<M[K]>, NoInfer<Id>>;
}

/**
 * A typed handle on a module of executors: export names are checked against the module's type, and
 * each reference carries its executor's message types.
 *
 * @example
 * const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
 * const split = mod.executor('split');
 * const workA = mod.executor('work', { id: 'work-a' });
 */
export function executorModule<M>(module: string | URL): ExecutorModule<M> {
  const specifier = moduleSpecifier(module);
  return {
    module: specifier,
    executor: (exportName, options) => {
      const { id } = optionsObject(options);
      if (id !== undefined && typeof id !== 'string') throw invalidOption('options.id', 'a string', id);
      return executor(id ?? exportName, { module: specifier, export: exportName }) as never;
    },
  };
}
