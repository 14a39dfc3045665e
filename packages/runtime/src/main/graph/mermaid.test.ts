import { describe, expect, it } from 'vitest';
import { executor, subWorkflow } from './executor-ref.ts';
import { toMermaid } from './mermaid.ts';
import { WorkflowBuilder } from './workflow-builder.ts';

const ref = (id: string, exportName = id) => executor(id, { module: 'file:///executors.ts', export: exportName });

describe('toMermaid', () => {
  it('draws executors, direct edges and marks the start', () => {
    const text = new WorkflowBuilder(ref('split'))
      .addEdge('split', ref('count'))
      .addEdge('count', ref('total'))
      .toMermaid();
    expect(text).toBe(
      [
        'flowchart TD',
        '  n0["split"]',
        '  n1["count"]',
        '  n2["total"]',
        '  n0 --> n1',
        '  n1 --> n2',
        '  classDef start stroke-width:3px',
        '  class n0 start',
        '',
      ].join('\n'),
    );
  });

  it('marks a conditional edge, shows export names that differ from the id, and takes a direction', () => {
    const graph = new WorkflowBuilder(ref('a')).addEdge('a', ref('b', 'worker'), { condition: () => true }).toGraph();
    const text = toMermaid(graph, { direction: 'LR' });
    expect(text).toContain('flowchart LR\n');
    expect(text).toContain('  n1["b: worker"]\n');
    expect(text).toContain('  n0 -.->|"condition"| n1\n');
  });

  it('draws a fan-out (and its selector), a switch with its cases and default, and a fan-in junction', () => {
    const text = new WorkflowBuilder(ref('plan'))
      .addFanOut('plan', [ref('left'), ref('right')], { select: (_m, targets) => targets })
      .addFanIn(['left', 'right'], ref('join'))
      .addSwitch(
        'join',
        [
          { when: () => true, to: ref('small') },
          { when: () => false, to: ref('large') },
        ],
        ref('other'),
      )
      .addFanOut('other', [ref('x'), ref('y')])
      .toMermaid();
    const lines = text.split('\n').map((line) => line.trim());
    // fan-out with a selector: junction j0
    expect(lines).toContain('j0{{"fan-out: select"}}');
    expect(lines).toEqual(expect.arrayContaining(['n0 --> j0', 'j0 --> n1', 'j0 --> n2']));
    // fan-in: every source into the junction, one thick arrow out
    expect(lines).toEqual(expect.arrayContaining(['j1(("fan-in"))', 'n1 --> j1', 'n2 --> j1', 'j1 ==> n3']));
    // switch: cases in order, then the default
    expect(lines).toEqual(
      expect.arrayContaining([
        'j2{"switch"}',
        'n3 --> j2',
        'j2 -->|"case 1"| n4',
        'j2 -->|"case 2"| n5',
        'j2 -->|"default"| n6',
      ]),
    );
    // a fan-out without a selector
    expect(lines).toEqual(expect.arrayContaining(['j3{{"fan-out"}}', 'n6 --> j3', 'j3 --> n7', 'j3 --> n8']));
  });

  it('draws sub-workflows as subgraphs, nested, with their own start marked and edges attached to the subgraph', () => {
    const inner = new WorkflowBuilder(ref('ask')).addEdge('ask', ref('decide'));
    const middle = new WorkflowBuilder(ref('prepare')).addEdge('prepare', subWorkflow('approval', inner));
    const text = new WorkflowBuilder(ref('draft'))
      .addEdge('draft', subWorkflow('review', middle))
      .addEdge('review', ref('publish'))
      .toMermaid();
    expect(text).toBe(
      [
        'flowchart TD',
        '  n0["draft"]',
        '  subgraph n1 ["review (sub-workflow)"]',
        '    n1_n0["prepare"]',
        '    subgraph n1_n1 ["approval (sub-workflow)"]',
        '      n1_n1_n0["ask"]',
        '      n1_n1_n1["decide"]',
        '      n1_n1_n0 --> n1_n1_n1',
        '    end',
        '    n1_n0 --> n1_n1',
        '  end',
        '  n2["publish"]',
        '  n0 --> n1',
        '  n1 --> n2',
        '  classDef start stroke-width:3px',
        '  class n0,n1_n0,n1_n1_n0 start',
        '',
      ].join('\n'),
    );
  });

  it('escapes labels: ids with quotes, brackets and arrows cannot break the chart', () => {
    const text = new WorkflowBuilder(ref('say "hi" <b>')).addEdge('say "hi" <b>', ref('a-->b')).toMermaid();
    expect(text).toContain('n0["say #quot;hi#quot; #lt;b#gt;"]');
    expect(text).toContain('n1["a--#gt;b"]');
    expect(text).toContain('n0 --> n1');
  });

  it('validates the graph first, as build() does', () => {
    let error: unknown;
    try {
      new WorkflowBuilder().toMermaid();
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'GRAPH_MISSING_START' });
  });
});
