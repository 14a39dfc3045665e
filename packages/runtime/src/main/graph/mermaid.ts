/**
 * Draws a workflow graph as a Mermaid flowchart (https://mermaid.js.org), for docs and reviews. Main
 * thread only (it reads the built `Graph`); pure otherwise.
 *
 * How each part is drawn:
 * - an executor: a box labelled with its id (and `id: export` when the export name differs); the start
 *   executor has a thick border (class `start`);
 * - a direct edge: `a --> b`; with a condition: a dashed arrow labelled `condition`;
 * - a fan-out: a hexagon junction `fan-out` (`fan-out: select` with a selector) with an arrow to each target;
 * - a switch: a diamond junction `switch` with arrows labelled `case 1`, `case 2`, … and `default`;
 * - a fan-in: a circle junction `fan-in` that every source points to and a thick arrow to the target (which
 *   receives one list);
 * - a sub-workflow node: a subgraph holding the child's graph, drawn the same way; edges to and from the
 *   node attach to the subgraph.
 *
 * Node ids in the output are generated (`n0`, `s0_n1`, …), so executor ids with any characters are safe;
 * labels are quoted and escaped.
 */
import type { Graph } from './graph.ts';

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /** Flowchart direction. Default `'TD'` (top down). */
  readonly direction?: 'TD' | 'LR' | 'BT' | 'RL';
}

/** A label in double quotes, with what would end or break it escaped as Mermaid entities. */
function label(text: string): string {
  return `"${text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
}

class Writer {
  readonly lines: string[] = [];
  private junctions = 0;

  constructor(private readonly indent: string) {}

  line(depth: number, text: string): void {
    this.lines.push(`${this.indent.repeat(depth)}${text}`);
  }

  junction(prefix: string): string {
    return `${prefix}j${this.junctions++}`;
  }
}

/**
 * Renders `graph` (a built workflow's `graph`, or `builder.toGraph()`) as Mermaid flowchart source.
 * `workflow.toMermaid()` and `builder.toMermaid()` call this.
 *
 * @example
 * const graph = new WorkflowBuilder(mod.executor('split'))
 *   .addEdge('split', mod.executor('count'))
 *   .toGraph();
 * console.log(toMermaid(graph));
 * // flowchart TD
 * //   n0["split"]
 * //   n1["count"]
 * //   n0 --> n1
 * //   classDef start stroke-width:3px
 * //   class n0 start
 */
export function toMermaid(graph: Graph, options: MermaidOptions = {}): string {
  const writer = new Writer('  ');
  writer.line(0, `flowchart ${options.direction ?? 'TD'}`);
  const starts: string[] = [];
  drawGraph(graph, { prefix: '', depth: 1, writer, starts });
  writer.line(1, 'classDef start stroke-width:3px');
  writer.line(1, `class ${starts.join(',')} start`);
  return `${writer.lines.join('\n')}\n`;
}

/** Where one level of a graph is drawn. */
interface Level {
  /** Keeps node ids of nested levels apart. */
  readonly prefix: string;
  /** Indentation, for the nesting of subgraphs. */
  readonly depth: number;
  readonly writer: Writer;
  /** Each level's start node, collected for the `start` class. */
  readonly starts: string[];
}

/** Draws one level of `graph`, sub-workflows as nested subgraphs. */
function drawGraph(graph: Graph, level: Level): void {
  const { prefix, depth, writer, starts } = level;
  const nodeIds = new Map<string, string>();
  [...graph.executors.keys()].forEach((id, index) => nodeIds.set(id, `${prefix}n${index}`));
  const node = (id: string): string => nodeIds.get(id) ?? `${prefix}unknown`;

  // A sub-workflow is a subgraph, and a subgraph cannot carry a class: its child's start is marked instead.
  if (!graph.subWorkflows.has(graph.start)) starts.push(node(graph.start));

  for (const [id, location] of graph.executors) {
    const child = graph.subWorkflows.get(id);
    if (child !== undefined) {
      writer.line(depth, `subgraph ${node(id)} [${label(`${id} (sub-workflow)`)}]`);
      drawGraph(child, { prefix: `${node(id)}_`, depth: depth + 1, writer, starts });
      writer.line(depth, 'end');
    } else {
      const text = location.exportName === id ? id : `${id}: ${location.exportName}`;
      writer.line(depth, `${node(id)}[${label(text)}]`);
    }
  }

  for (const edge of graph.edges) {
    switch (edge.kind) {
      case 'direct':
        writer.line(
          depth,
          edge.condition === undefined
            ? `${node(edge.from)} --> ${node(edge.to)}`
            : `${node(edge.from)} -.->|${label('condition')}| ${node(edge.to)}`,
        );
        break;
      case 'fan-out': {
        const junction = writer.junction(prefix);
        writer.line(depth, `${junction}{{${label(edge.select === undefined ? 'fan-out' : 'fan-out: select')}}}`);
        writer.line(depth, `${node(edge.from)} --> ${junction}`);
        for (const to of edge.to) writer.line(depth, `${junction} --> ${node(to)}`);
        break;
      }
      case 'switch': {
        const junction = writer.junction(prefix);
        writer.line(depth, `${junction}{${label('switch')}}`);
        writer.line(depth, `${node(edge.from)} --> ${junction}`);
        edge.cases.forEach((c, index) => {
          writer.line(depth, `${junction} -->|${label(`case ${index + 1}`)}| ${node(c.to)}`);
        });
        if (edge.default !== undefined) {
          writer.line(depth, `${junction} -->|${label('default')}| ${node(edge.default)}`);
        }
        break;
      }
      case 'fan-in': {
        const junction = writer.junction(prefix);
        writer.line(depth, `${junction}((${label('fan-in')}))`);
        for (const from of edge.from) writer.line(depth, `${node(from)} --> ${junction}`);
        writer.line(depth, `${junction} ==> ${node(edge.to)}`);
        break;
      }
    }
  }
}
