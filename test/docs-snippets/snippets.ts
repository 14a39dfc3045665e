/**
 * Reads the code blocks of the repository's Markdown (README.md, docs/*.md) so a test can check them.
 *
 * A block tagged `ts`, `typescript`, `js`, `javascript` or `mjs` is checked. By default it must be a whole
 * module on its own. A block that is a fragment says so in an HTML comment just before its fence (Prettier leaves a blank line between them):
 *
 * - `<!-- snippet: context=workflow -->`: the names declared by `test/docs-snippets/contexts/workflow.ts`
 *   (`workflow`, `mod`, `input`, `store`, every export of `@superstep/runtime`…) are in scope. Contexts:
 *   `workflow` (main-thread code) and `executors` (code in an executor module).
 * - `<!-- snippet: declarations -->`: signatures as the API reference shows them (`function f(): T;`), checked
 *   as ambient declarations against the public types.
 * - `file=executors.ts`: the block is that file of the document, so other blocks of the same document can
 *   import `./executors.js`. A document without one gets a stand-in exporting the executors the docs use.
 * - `run`: the block is a complete program; the test runs it (with the document's other `file=` blocks).
 * - `skip (reason)`: not checked; the reason is required.
 *
 * Directives combine: `<!-- snippet: context=executors file=executors.ts -->`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export type SnippetLanguage = 'ts' | 'js';

export interface Snippet {
  /** The Markdown file, relative to the repository root. */
  readonly doc: string;
  /** 1-based line of the first line of code (the line after the opening fence). */
  readonly line: number;
  readonly language: SnippetLanguage;
  /** The code, with the fence's indentation removed. */
  readonly code: string;
  readonly context: string | undefined;
  readonly file: string | undefined;
  readonly declarations: boolean;
  readonly run: boolean;
  /** Set for `skip (reason)`. */
  readonly skip: string | undefined;
  /** Index among all the document's fenced blocks, whatever their language. */
  readonly blockIndex: number;
}

/** Every fenced block of one document, checked or not (neighbours matter for the `await using` rule). */
export interface FencedBlock {
  readonly info: string;
  readonly code: string;
  readonly line: number;
}

const LANGUAGES: Readonly<Record<string, SnippetLanguage>> = {
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
};

const FENCE = /^(\s*)(`{3,})(.*)$/;
const DIRECTIVE = /^\s*<!--\s*snippet:(.*?)-->\s*$/;

/** The Markdown files whose snippets are checked, relative to `root`. */
export function markdownFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export interface ParsedDoc {
  readonly blocks: readonly FencedBlock[];
  readonly snippets: readonly Snippet[];
}

/** Splits one Markdown document into its fenced blocks and the checked snippets among them. */
export function parseDoc(doc: string, text: string): ParsedDoc {
  const lines = text.split('\n');
  const blocks: FencedBlock[] = [];
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/`/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (j === lines.length) throw new Error(`${doc}:${i + 1}: a code fence that is never closed`);
    const code = body.join('\n') + '\n';
    const blockIndex = blocks.length;
    blocks.push({ info: info.trim(), code, line: i + 2 });
    const language = LANGUAGES[info.trim().split(/\s+/)[0] ?? ''];
    if (language !== undefined) {
      // Prettier puts a blank line between the comment and the fence.
      const previous = (lines[i - 1] ?? '').trim() === '' ? (lines[i - 2] ?? '') : (lines[i - 1] ?? '');
      snippets.push({ doc, line: i + 2, language, code, blockIndex, ...directives(doc, i + 1, previous) });
    }
    i = j;
  }
  return { blocks, snippets };
}

function directives(
  doc: string,
  fenceLine: number,
  previous: string,
): Omit<Snippet, 'doc' | 'line' | 'language' | 'code' | 'blockIndex'> {
  const parsed = {
    context: undefined as string | undefined,
    file: undefined as string | undefined,
    declarations: false,
    run: false,
    skip: undefined as string | undefined,
  };
  const match = DIRECTIVE.exec(previous);
  if (match === null) return parsed;
  const text = (match[1] ?? '').trim();
  const skip = /^skip\s*\((.+)\)$/.exec(text);
  if (skip !== null) return { ...parsed, skip: skip[1]?.trim() };
  for (const word of text.split(/\s+/)) {
    const [key, value] = word.split('=');
    if (key === 'context' && value !== undefined) parsed.context = value;
    else if (key === 'file' && value !== undefined) parsed.file = value;
    else if (key === 'declarations' && value === undefined) parsed.declarations = true;
    else if (key === 'run' && value === undefined) parsed.run = true;
    else throw new Error(`${doc}:${fenceLine}: unknown snippet directive "${word}" (or a skip without a reason)`);
  }
  return parsed;
}

/** Every document's blocks and snippets. */
export function readDocs(root: string): Map<string, ParsedDoc> {
  return new Map(markdownFiles(root).map((doc) => [doc, parseDoc(doc, readFileSync(path.join(root, doc), 'utf8'))]));
}
