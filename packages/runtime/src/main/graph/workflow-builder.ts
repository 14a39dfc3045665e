/**
 * The builder: wires executor references with edges (guarantee 9) and validates (guarantee 11). Errors that one
 * call can already see are thrown by that call; whole-graph checks run in `build()`.
 */
import { SuperstepError } from '../../shared/errors.ts';
import { optionalFunction, optionsObject, requireArray } from '../../shared/options.ts';
import type { ExecutorLocation } from '../../shared/protocol.ts';
import {
  edgeKey,
  finishGraph,
  withOutputFrom,
  type Condition,
  type EdgeGroup,
  type Graph,
  type Selector,
} from './graph.ts';
import type { ExecutorRef } from './executor-ref.ts';
import { toMermaid } from './mermaid.ts';
import { buildWorkflow, type Workflow } from '../workflow.ts';
import type { WorkflowOptions } from '../workflow-options.ts';

/** An edge end: a reference, or the id of an executor registered elsewhere in the builder. */
export type EndPoint<In = unknown, Out = unknown> = ExecutorRef<In, Out> | string;

/** What the builder knows of executor ids: the references with a literal id it has seen (a union). */
type KnownEnds = ExecutorRef;

/** The known reference an id names, or `never`. */
type Named<Id, Known> = Known extends { readonly id: infer Name extends string }
  ? string extends Name
    ? never
    : Id extends Name
      ? Known
      : never
  : never;

/** An end's message types: read from a reference, or looked up by id (unknown when the id is not known yet). */
type TypesOf<E, Known> = E extends string
  ? [Named<E, Known>] extends [never]
    ? { in: unknown; out: unknown }
    : TypesOf<Named<E, Known>, never>
  : E extends { readonly __types?: { in: infer In; out: infer Out } }
    ? { in: In; out: Out }
    : { in: unknown; out: unknown };

type OutOf<E, Known> = TypesOf<E, Known>['out'];
type InOf<E, Known> = TypesOf<E, Known>['in'];

/** What an end yields as workflow outputs: an id adds nothing (its reference is counted where it is passed). */
type OutputOf<E> = E extends string
  ? never
  : E extends { readonly __types?: { output: infer Output } }
    ? Output
    : unknown;

/** What an end designated by `outputFrom` yields: by reference, or looked up by id (`unknown` if not known). */
type DesignatedOutputOf<E, Known> = E extends string
  ? [Named<E, Known>] extends [never]
    ? unknown
    : OutputOf<Named<E, Known>>
  : OutputOf<E>;

/** The id of an end, as a literal when the type system knows it. */
type IdOf<E> = E extends string ? E : E extends { readonly id: infer Id extends string } ? Id : string;

/** The known ends after registering `Ends` (ends given by id add nothing). */
type WithEnds<Known, Ends> = Known | Exclude<Ends, string>;

type IsUnknown<T> = unknown extends T ? true : false;

declare const edgeTypeMismatch: unique symbol;

/**
 * What an edge end becomes, in a parameter position, when the messages the source sends are not assignable
 * to the messages the target takes: the compiler's error then names both executors and both types.
 *
 * @example
 * // split sends string, count takes number:
 * builder.addEdge(mod.executor('split'), mod.executor('count'));
 * // error TS2345: Argument of type 'ExecutorRef<number, never, unknown, "count">' is not assignable to parameter
 * //   of type 'ExecutorRef<number, never, unknown, "count"> & EdgeTypeMismatch<"split", string, "count", number>'.
 */
export interface EdgeTypeMismatch<From extends string, Sends, To extends string, Takes> {
  readonly [edgeTypeMismatch]: { readonly from: From; readonly sends: Sends; readonly to: To; readonly takes: Takes };
}

/**
 * The mismatch of an edge that would deliver `Sends` to an executor that takes `Takes`, or `never` when it
 * fits. A sender of `unknown` (an untyped reference, or an id not seen yet) is not checked. A sender of a
 * union fits when one of its members does: such a sender routes its kinds of message to different targets
 * (`send(message, { to })`, a fan-out's `select`, conditions), which the compiler cannot follow.
 */
type Mismatch<From extends string, Sends, To extends string, Takes> =
  IsUnknown<Sends> extends true
    ? never
    : [Sends] extends [Takes]
      ? never
      : true extends (Sends extends Takes ? true : false)
        ? never
        : EdgeTypeMismatch<From, Sends, To, Takes>;

/**
 * The same for a fan-in, whose target receives one list of every source's messages: the list must fit as a
 * whole. Any untyped source makes the list untyped (not checked).
 */
type ListMismatch<From extends string, Sends, To extends string, Takes> =
  IsUnknown<Sends> extends true
    ? never
    : [Sends[]] extends [Takes]
      ? never
      : EdgeTypeMismatch<From, Sends[], To, Takes>;

/** The mismatches of edges from `From` to each of `To` (a union of ends). */
type EdgeMismatch<From, To, Known> = To extends unknown
  ? Mismatch<IdOf<From>, OutOf<From, Known>, IdOf<To>, InOf<To, Known>>
  : never;

/** The mismatch of a fan-in (an untyped source makes the list untyped: `unknown` absorbs the union). */
type FanInMismatch<From extends readonly unknown[], To, Known> = ListMismatch<
  IdOf<From[number]>,
  OutOf<From[number], Known>,
  IdOf<To>,
  InOf<To, Known>
>;

/** What a checked parameter adds to its type: nothing when the edge fits, else its mismatch. */
type Refuse<M> = [M] extends [never] ? unknown : M;
/** The same for a list parameter: a list of the mismatches. */
type RefuseEach<M> = [M] extends [never] ? unknown : readonly M[];

/** A case of {@link WorkflowBuilder.addSwitch}: the first case whose `when` is true wins. */
export interface SwitchCase<M, To extends EndPoint = EndPoint> {
  readonly when: (message: M) => boolean;
  readonly to: To;
}

/**
 * Builds a workflow graph.
 *
 * Edges are checked by the compiler: each method compiles only when the messages its source sends are
 * assignable to what its target takes, and a mismatch names both (see {@link EdgeTypeMismatch}). Ends given
 * by id are checked once a reference with that literal id has been passed earlier in the chain; untyped
 * references (`unknown` messages) are not checked. The builder's type also gathers the outputs its
 * executors yield, so `run(...).result()` gives `outputs` of their union. The types accumulate along a chain
 * of calls: keep the chain (or reassign, `builder = builder.addEdge(...)`) to keep them.
 *
 * @example
 * const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
 * const workflow = await new WorkflowBuilder(mod.executor('split'))
 *   .addFanOut('split', [mod.executor('left'), mod.executor('right')])
 *   .addFanIn(['left', 'right'], mod.executor('join'))
 *   .build({ threads: 2 });
 */
export class WorkflowBuilder<Input = unknown, Output = unknown, Known extends KnownEnds = never> {
  private readonly executors = new Map<string, ExecutorLocation>();
  private readonly subWorkflows = new Map<string, Graph>();
  private readonly edges: EdgeGroup[] = [];
  private readonly edgeKeys = new Set<string>();
  private start: string | undefined;
  private outputIds: string[] | undefined;
  /**
   * Type-level only (never set at run time): the builder's input, outputs and known ends. The methods read `Known` through their
   * `this` parameter, and it is held contravariantly: a builder that knows more ids stands in for one that
   * knows fewer, so `WorkflowBuilder<In>` annotations and `builder = builder.addEdge(…)` type-check.
   */
  declare readonly __types?: {
    readonly input: Input;
    readonly output: Output;
    readonly known: (known: Known) => void;
  };

  constructor(start?: ExecutorRef<Input, unknown, Output> & ([Known] extends [never] ? unknown : Known)) {
    if (start !== undefined) this.setStart(start);
  }

  /** Registers an executor (edges register theirs too). The same id twice must be the same code. */
  addExecutor<K extends KnownEnds, const E extends ExecutorRef>(
    this: WorkflowBuilder<Input, Output, K>,
    ref: E,
  ): WorkflowBuilder<Input, Output | OutputOf<E>, WithEnds<K, E>> {
    this.register(ref);
    return this as never;
  }

  /** Sets the start executor: `run(input)` delivers `input` to it in superstep 1 (guarantee 2). */
  setStart<K extends KnownEnds, const S extends EndPoint>(
    this: WorkflowBuilder<Input, Output, K>,
    start: S,
  ): WorkflowBuilder<InOf<S, K>, Output | OutputOf<S>, WithEnds<K, S>> {
    this.start = this.register(start);
    return this as never;
  }

  /**
   * A direct edge; with `condition`, only messages it accepts pass (a throwing condition counts as false).
   * Compiles only when `from` sends messages `to` takes (see {@link WorkflowBuilder}).
   *
   * @example
   * builder.addEdge(mod.executor('parse'), mod.executor('count'), { condition: (words) => words.length > 0 });
   */
  // eslint-disable-next-line @typescript-eslint/max-params -- `this:` only types the builder; callers pass 3 arguments
  addEdge<K extends KnownEnds, const F extends EndPoint, const T extends EndPoint>(
    this: WorkflowBuilder<Input, Output, K>,
    from: F,
    to: T & Refuse<EdgeMismatch<F, T, K>>,
    options?: { readonly condition?: (message: OutOf<F, K>) => boolean },
  ): WorkflowBuilder<Input, Output | OutputOf<F | T>, WithEnds<K, F | T>> {
    const { condition } = optionsObject(options);
    optionalFunction(condition, 'options.condition');
    return this.addGroup({
      kind: 'direct',
      from: this.register(from),
      to: this.register(to),
      condition: condition as Condition | undefined,
    }) as never;
  }

  /**
   * A fan-out: each message goes to every target, or to those `select` returns (by executor id). Compiles
   * only when every target takes the messages `from` sends.
   *
   * @example
   * builder.addFanOut(mod.executor('split'), [mod.executor('left'), mod.executor('right')]);
   */
  // eslint-disable-next-line @typescript-eslint/max-params -- `this:` only types the builder; callers pass 3 arguments
  addFanOut<K extends KnownEnds, const F extends EndPoint, const T extends readonly EndPoint[]>(
    this: WorkflowBuilder<Input, Output, K>,
    from: F,
    to: T & RefuseEach<EdgeMismatch<F, T[number], K>>,
    options?: { readonly select?: (message: OutOf<F, K>, targets: readonly string[]) => readonly string[] },
  ): WorkflowBuilder<Input, Output | OutputOf<F | T[number]>, WithEnds<K, F | T[number]>> {
    const { select } = optionsObject(options);
    optionalFunction(select, 'options.select');
    this.requireTwo('fan-out', requireArray(to, 'to').length);
    return this.addGroup({
      kind: 'fan-out',
      from: this.register(from),
      to: to.map((end) => this.register(end)),
      select: select as Selector | undefined,
    }) as never;
  }

  /**
   * A switch: the first case whose predicate is true receives the message, else `default` (if any).
   * Compiles only when every case's target, and the default, take the messages `from` sends.
   *
   * @example
   * builder.addSwitch(mod.executor('triage'), [{ when: (t) => t.urgent, to: mod.executor('pager') }], 'backlog');
   */
  // eslint-disable-next-line @typescript-eslint/max-params -- `this:` only types the builder; callers pass 3 arguments
  addSwitch<
    K extends KnownEnds,
    const F extends EndPoint,
    const T extends readonly EndPoint[],
    const D extends EndPoint = never,
  >(
    this: WorkflowBuilder<Input, Output, K>,
    from: F,
    cases: { readonly [I in keyof T]: SwitchCase<OutOf<F, K>, T[I] & Refuse<EdgeMismatch<F, T[I], K>>> },
    fallback?: D & Refuse<EdgeMismatch<F, D, K>>,
  ): WorkflowBuilder<Input, Output | OutputOf<F | T[number] | D>, WithEnds<K, F | T[number] | D>> {
    requireArray(cases, 'cases').forEach((c, index) => {
      optionsObject(c as SwitchCase<unknown> | undefined, `cases[${index}]`);
      if (typeof c.when !== 'function') {
        throw new SuperstepError('INVALID_OPTION', `cases[${index}].when must be a function`, {
          details: { option: `cases[${index}].when` },
        });
      }
    });
    if (cases.length === 0 && fallback === undefined) {
      throw new SuperstepError('GRAPH_FAN_TOO_FEW', 'a switch needs at least one case or a default', {
        details: { kind: 'switch' },
      });
    }
    return this.addGroup({
      kind: 'switch',
      from: this.register(from),
      cases: cases.map((c: SwitchCase<never>) => ({
        when: c.when,
        to: this.register(c.to),
      })),
      default: fallback === undefined ? undefined : this.register(fallback),
    }) as never;
  }

  /**
   * A fan-in (join): the target runs once with one list holding every source's messages, when each
   * source has contributed at least one — even across supersteps (guarantee 9). Compiles only when the target
   * takes a list of the sources' messages.
   *
   * @example
   * builder.addFanIn([mod.executor('left'), mod.executor('right')], mod.executor('join'));
   */
  addFanIn<K extends KnownEnds, const F extends readonly EndPoint[], const T extends EndPoint>(
    this: WorkflowBuilder<Input, Output, K>,
    from: F,
    to: T & Refuse<FanInMismatch<F, T, K>>,
  ): WorkflowBuilder<Input, Output | OutputOf<F[number] | T>, WithEnds<K, F[number] | T>> {
    this.requireTwo('fan-in', requireArray(from, 'from').length);
    return this.addGroup({
      kind: 'fan-in',
      from: from.map((end) => this.register(end)),
      to: this.register(to),
    }) as never;
  }

  /**
   * Names the executors whose `yieldOutput` values are the workflow's outputs (guarantee 59): only theirs become
   * `output` events and entries of `result().outputs`; every other executor's become `output.intermediate` events
   * (streamed, not in the result). Without this call every executor's yields are outputs. Call it again to
   * replace the list. Each end must be registered by the time the graph is built (`GRAPH_UNKNOWN_EXECUTOR`).
   * The returned builder's output type is the union of these executors' outputs; call it last, as edges added
   * after it add their executors' outputs to the type again.
   *
   * @example
   * const workflow = await new WorkflowBuilder(mod.executor('draft'))
   *   .addEdge('draft', mod.executor('review'))
   *   .outputFrom('review') // draft's yields are intermediate
   *   .build();
   */
  outputFrom<K extends KnownEnds, const E extends readonly EndPoint[]>(
    this: WorkflowBuilder<Input, Output, K>,
    ...ends: E
  ): WorkflowBuilder<Input, DesignatedOutputOf<E[number], K>, WithEnds<K, E[number]>> {
    this.outputIds = ends.map((end) => this.register(end));
    return this as never;
  }

  /** Validates the graph (guarantee 11) without starting anything. */
  toGraph(): Graph {
    const graph = finishGraph({
      start: this.start,
      executors: new Map(this.executors),
      edges: this.edges,
      subWorkflows: new Map(this.subWorkflows),
    });
    return withOutputFrom(graph, this.outputIds);
  }

  /** The graph as Mermaid flowchart source (validates it first, like {@link toGraph}). */
  toMermaid(): string {
    return toMermaid(this.toGraph());
  }

  /**
   * Validates the graph, starts (or joins) a pool and loads every executor in the workers; a module or
   * export that cannot be loaded rejects here with `EXECUTOR_LOAD_FAILED` (guarantee 13).
   */
  async build(options: WorkflowOptions = {}): Promise<Workflow<Input, Output>> {
    return await buildWorkflow<Input, Output>(this.toGraph(), options);
  }

  private register(end: (ExecutorLocation & { readonly subWorkflow?: Graph }) | string): string {
    if (typeof end === 'string') {
      if (end.length > 0) return end;
      throw invalidEnd('an empty string');
    }
    const given: unknown = end;
    if (typeof given !== 'object' || given === null || typeof (given as { id?: unknown }).id !== 'string') {
      throw invalidEnd(given === null ? 'null' : typeof given);
    }
    const known = this.executors.get(end.id);
    if (known === undefined) {
      this.executors.set(end.id, { id: end.id, module: end.module, exportName: end.exportName });
      if (end.subWorkflow !== undefined) this.subWorkflows.set(end.id, end.subWorkflow);
    } else if (end.subWorkflow !== undefined && this.subWorkflows.get(end.id) !== end.subWorkflow) {
      throw new SuperstepError('GRAPH_DUPLICATE_EXECUTOR', `executor id "${end.id}" is already registered`, {
        details: { executorId: end.id },
      });
    } else if (known.module !== end.module || known.exportName !== end.exportName) {
      throw new SuperstepError(
        'GRAPH_DUPLICATE_EXECUTOR',
        `executor id "${end.id}" is already registered for ${known.module}#${known.exportName}`,
        { details: { executorId: end.id } },
      );
    }
    return end.id;
  }

  private requireTwo(kind: 'fan-in' | 'fan-out', ends: number): void {
    if (ends < 2) {
      throw new SuperstepError('GRAPH_FAN_TOO_FEW', `a ${kind} needs at least 2 ends, got ${ends}`, {
        details: { kind, ends },
      });
    }
  }

  private addGroup(edge: EdgeGroup): this {
    const key = edgeKey(edge);
    if (this.edgeKeys.has(key)) {
      throw new SuperstepError('GRAPH_DUPLICATE_EDGE', `duplicate edge ${key}`, { details: { edge: key } });
    }
    this.edgeKeys.add(key);
    this.edges.push(edge);
    return this;
  }
}

function invalidEnd(got: string): SuperstepError {
  return new SuperstepError(
    'INVALID_EXECUTOR_REF',
    `an edge end must be an executor id or a reference from executorModule().executor(), got ${got}`,
    { details: {} },
  );
}
