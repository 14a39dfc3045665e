/**
 * Reads the Mermaid diagram a doc shows for an example, so the examples' tests can check it is what
 * `toMermaid()` draws today. A diagram is marked in the markdown with `<!-- toMermaid: name -->` followed by a
 * ```mermaid block.
 */
import { readFile } from 'node:fs/promises';

const DOCS = new URL('../../../../docs/', import.meta.url);

/** The mermaid source under `<!-- toMermaid: name -->` in `docs/<file>`, with a final newline. */
export async function documentedDiagram(file: string, name: string): Promise<string | undefined> {
  const markdown = await readFile(new URL(file, DOCS), 'utf8');
  const marker = `<!-- toMermaid: ${name} -->`;
  const at = markdown.indexOf(marker);
  if (at < 0) return undefined;
  const match = /```mermaid\n([\s\S]*?)```/.exec(markdown.slice(at + marker.length));
  return match?.[1];
}
