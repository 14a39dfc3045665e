/**
 * The builder: wires executor references with edges (SPEC 9) and validates (SPEC 11). Errors that one
 * call can already see are thrown by that call; whole-graph checks run in `build()`.
 */
import { SuperstepError } from '../shared/errors.ts';
import { optionalFunction, optionsObject, requireArray } from '../shared/options.ts';
import type { ExecutorLocation } from '../shared/protocol.ts';
import { edgeKey, finishGraph, type Condition, type EdgeGroup, type Graph, type Selector } from './graph.ts';
import type { ExecutorRef } from './executor-ref.ts';
import { toMermaid } from './mermaid.ts';
import { Workflow, type WorkflowOptions } from './workflow.ts';

/** An edge end: a reference, or the id of an executor registered elsewhere in the builder. */
export type EndPoint<In = unknown, Out = unknown> = ExecutorRef<In, Out> | string;

type OutOf<E> = E extends ExecutorRef<unknown, infer Out> ? Out : unknown;
type InOf<E> = E extends ExecutorRef<infer In> ? In : unknown;

/** A case of {@link WorkflowBuilder.addSwitch}: the first case whose `when` is true wins. */
export interface SwitchCase<M> {
  readonly when: (message: M) => boolean;
  readonly to: EndPoint;
}

/**
 * Builds a workflow graph.
 *
 * @example
 * const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
 * const workflow = await new WorkflowBuilder(mod.executor('split'))
 *   .addFanOut('split', [mod.executor('left'), mod.executor('right')])
 *   .addFanIn(['left', 'right'], mod.executor('join'))
 *   .build({ threads: 2 });
 */
export class WorkflowBuilder<Input = unknown> {
  private readonly executors = new Map<string, ExecutorLocation>();
  private readonly subWorkflows = new Map<string, Graph>();
  private readonly edges: EdgeGroup[] = [];
  private readonly edgeKeys = new Set<string>();
  private start: string | undefined;

  constructor(start?: ExecutorRef<Input>) {
    if (start !== undefined) this.setStart(start);
  }

  /** Registers an executor (edges register theirs too). The same id twice must be the same code. */
  addExecutor(ref: ExecutorRef): this {
    this.register(ref);
    return this;
  }

  /** Sets the start executor: `run(input)` delivers `input` to it in superstep 1 (SPEC 2). */
  setStart(start: EndPoint<Input>): this {
    this.start = this.register(start);
    return this;
  }

  /** A direct edge; with `condition`, only messages it accepts pass (a throwing condition counts as false). */
  addEdge<F extends EndPoint>(
    from: F,
    to: EndPoint,
    options?: { readonly condition?: (message: OutOf<F>) => boolean },
  ): this {
    const { condition } = optionsObject(options);
    optionalFunction(condition, 'options.condition');
    return this.addGroup({
      kind: 'direct',
      from: this.register(from),
      to: this.register(to),
      condition: condition as Condition | undefined,
    });
  }

  /**
   * A fan-out: each message goes to every target, or to those `select` returns (by executor id).
   */
  addFanOut<F extends EndPoint>(
    from: F,
    to: readonly EndPoint[],
    options?: { readonly select?: (message: OutOf<F>, targets: readonly string[]) => readonly string[] },
  ): this {
    const { select } = optionsObject(options);
    optionalFunction(select, 'options.select');
    this.requireTwo('fan-out', requireArray(to, 'to').length);
    return this.addGroup({
      kind: 'fan-out',
      from: this.register(from),
      to: to.map((end) => this.register(end)),
      select: select as Selector | undefined,
    });
  }

  /** A switch: the first case whose predicate is true receives the message, else `default` (if any). */
  addSwitch<F extends EndPoint>(from: F, cases: readonly SwitchCase<OutOf<F>>[], fallback?: EndPoint): this {
    requireArray(cases, 'cases').forEach((c, index) => {
      optionsObject(c as SwitchCase<OutOf<F>> | undefined, `cases[${index}]`);
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
      cases: cases.map((c) => ({ when: c.when, to: this.register(c.to) })),
      default: fallback === undefined ? undefined : this.register(fallback),
    });
  }

  /**
   * A fan-in (join): the target runs once with one list holding every source's messages, when each
   * source has contributed at least one — even across supersteps (SPEC 9).
   */
  addFanIn(from: readonly EndPoint[], to: EndPoint): this {
    this.requireTwo('fan-in', requireArray(from, 'from').length);
    return this.addGroup({ kind: 'fan-in', from: from.map((end) => this.register(end)), to: this.register(to) });
  }

  /** Validates the graph (SPEC 11) without starting anything. */
  toGraph(): Graph {
    return finishGraph(this.start, new Map(this.executors), this.edges, new Map(this.subWorkflows));
  }

  /** The graph as Mermaid flowchart source (validates it first, like {@link toGraph}). */
  toMermaid(): string {
    return toMermaid(this.toGraph());
  }

  /**
   * Validates the graph, starts (or joins) a pool and loads every executor in the workers; a module or
   * export that cannot be loaded rejects here with `EXECUTOR_LOAD_FAILED` (SPEC 13).
   */
  async build(options: WorkflowOptions = {}): Promise<Workflow<Input>> {
    return await Workflow.create<Input>(this.toGraph(), options);
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

export type { InOf as MessageIn, OutOf as MessageOut };
