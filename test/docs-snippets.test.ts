/**
 * Every TypeScript and JavaScript block in README.md and docs/*.md is checked, so the docs cannot drift from
 * the API. The conventions for fragments (`<!-- snippet: context=… -->`, `declarations`, `file=`, `run`,
 * `skip (reason)`) are described in docs-snippets/snippets.ts.
 *
 * - Type check: all blocks in one TypeScript program, with the workspace's compiler options, against the
 *   workspace packages. A fragment gets its context's names imported on the line before it.
 * - Plain JavaScript on Node 20: each block, its types stripped, must parse as an ES module in Node itself
 *   (`node --check`). `await using` does not (it is a SyntaxError on Node 20), so a block using it must sit
 *   next to a block that closes with `try { … } finally { await ….close(); }`.
 * - Blocks marked `run` are complete programs: they run in a child process and must exit with code 0, which
 *   also shows they close what they open.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { readDocs, type ParsedDoc, type Snippet } from './docs-snippets/snippets.ts';

const TEST_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(TEST_DIR);
const SNIPPETS_DIR = path.join(TEST_DIR, 'docs-snippets');
/** Where the blocks live as far as the compiler knows: in memory only, under the test package. */
const VIRTUAL_DIR = path.join(SNIPPETS_DIR, '.virtual');
/** Bounds a child process that hangs (a program that never closes its workflow); never a timing assertion. */
const CHILD_FALLBACK_MS = 60_000;

const docs = readDocs(ROOT);
const snippets = [...docs.values()].flatMap((doc) => doc.snippets);
const checked = snippets.filter((snippet) => snippet.skip === undefined);
const scratch = mkdtempSync(path.join(tmpdir(), 'superstep-snippets-'));
// Programs run from the scratch folder resolve `@superstep/*` and `tsx` as the test package does.
symlinkSync(path.join(TEST_DIR, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ type: 'module' }));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function where(snippet: Snippet, offset = 0): string {
  return `${snippet.doc}:${snippet.line + offset}`;
}

/** True if the code declares with `await using` (comments and strings do not count). */
function usesAwaitUsing(code: string): boolean {
  const visit = (node: ts.Node): boolean =>
    (ts.isVariableDeclarationList(node) &&
      (node.flags & ts.NodeFlags.BlockScoped) === (ts.NodeFlags.AwaitUsing as number)) ||
    ts.forEachChild(node, visit) === true;
  return visit(ts.createSourceFile('block.ts', code, ts.ScriptTarget.ESNext));
}

// -------------------------------------------------------------------------------------------------------
// Names: what a context offers, and what a block declares itself (a block's own declaration wins).

interface ContextExports {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

function contextExports(name: string): ContextExports {
  const file = path.join(SNIPPETS_DIR, 'contexts', `${name}.ts`);
  const source = ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.ESNext);
  const values = new Set<string>();
  const types = new Set<string>();
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        (statement.isTypeOnly || element.isTypeOnly ? types : values).add(element.name.text);
      }
    } else if (!exported(statement)) {
      continue;
    } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      types.add(statement.name.text);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      values.add(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name, values);
    }
  }
  return { values: [...values], types: [...types] };
}

function bindingNames(name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) {
    into.add(name.text);
    return;
  }
  for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name, into);
}

function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ESNext);
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings))
        for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name, names);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

// -------------------------------------------------------------------------------------------------------
// The type check: one program, every block a file of its document's folder.

interface VirtualFile {
  readonly snippet: Snippet | undefined;
  readonly text: string;
}

function fileName(snippet: Snippet): string {
  return snippet.file ?? `line-${snippet.line}.${snippet.language === 'ts' ? 'ts' : 'mjs'}`;
}

function docFolder(doc: string): string {
  return path.join(VIRTUAL_DIR, doc.replace(/[/.]/g, '-'));
}

/** Line 1 of every virtual file is the prelude; the block starts on line 2. */
function prelude(snippet: Snippet): string {
  const contexts = path.relative(docFolder(snippet.doc), path.join(SNIPPETS_DIR, 'contexts')).split(path.sep).join('/');
  if (snippet.declarations) {
    const { types } = contextExports('declarations');
    return `import type { ${types.join(', ')} } from '${contexts}/declarations.ts'; declare namespace Snippet {`;
  }
  if (snippet.context === undefined) return '';
  const own = declaredNames(snippet.code);
  const { values, types } = contextExports(snippet.context);
  const from = `'${contexts}/${snippet.context}.ts'`;
  const valueNames = values.filter((name) => !own.has(name));
  const typeNames = snippet.language === 'ts' ? types.filter((name) => !own.has(name)) : [];
  return [
    valueNames.length > 0 ? `import { ${valueNames.join(', ')} } from ${from};` : '',
    typeNames.length > 0 ? `import type { ${typeNames.join(', ')} } from ${from};` : '',
  ].join(' ');
}

function virtualFiles(): Map<string, VirtualFile> {
  const files = new Map<string, VirtualFile>();
  for (const [doc, parsed] of docs) {
    const folder = docFolder(doc);
    for (const snippet of parsed.snippets) {
      if (snippet.skip !== undefined) continue;
      const text = `${prelude(snippet)}\n${snippet.code}${snippet.declarations ? '}\n' : ''}`;
      const file = path.join(folder, fileName(snippet));
      if (files.has(file)) throw new Error(`${where(snippet)}: a second block named ${fileName(snippet)}`);
      files.set(file, { snippet, text });
    }
    // A document that shows no executors module of its own gets the docs' executors under that name.
    const standIn = path.join(folder, 'executors.ts');
    if (!files.has(standIn)) files.set(standIn, { snippet: undefined, text: `export * from '../../executors.ts';\n` });
  }
  return files;
}

function compilerOptions(): ts.CompilerOptions {
  const configFile = path.join(ROOT, 'tsconfig.base.json');
  const config = ts.readConfigFile(configFile, (file) => ts.sys.readFile(file));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configFile);
  // JavaScript blocks are type-checked too.
  return { ...parsed.options, allowJs: true, checkJs: true, noEmit: true };
}

function typeCheck(files: Map<string, VirtualFile>): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  // The real host, for every file that is not a block (bound: the host's methods are called detached).
  const real = {
    fileExists: host.fileExists.bind(host),
    readFile: host.readFile.bind(host),
    directoryExists: host.directoryExists?.bind(host),
    getSourceFile: host.getSourceFile.bind(host),
  };
  host.fileExists = (file) => files.has(file) || real.fileExists(file);
  host.readFile = (file) => files.get(file)?.text ?? real.readFile(file);
  host.directoryExists = (dir) => dir.startsWith(VIRTUAL_DIR) || (real.directoryExists?.(dir) ?? true);
  host.getSourceFile = (file, language, onError, create) => {
    const virtual = files.get(file);
    if (virtual === undefined) return real.getSourceFile(file, language, onError, create);
    return ts.createSourceFile(file, virtual.text, language);
  };
  // Hand-written declaration files of the packages (module shims) are part of the workspace's program too.
  const shims = ts.sys.readDirectory(path.join(ROOT, 'packages'), ['.d.ts'], ['**/node_modules'], ['*/src/**/*']);
  const program = ts.createProgram({ rootNames: [...files.keys(), ...shims], options, host });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    if (file === undefined || diagnostic.start === undefined) return message;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const snippet = files.get(file.fileName)?.snippet;
    if (snippet === undefined) return `${path.relative(ROOT, file.fileName)}:${line + 1}: ${message}`;
    return `${where(snippet, line - 1)}: TS${diagnostic.code} ${message}`;
  });
}

// -------------------------------------------------------------------------------------------------------
// Child processes.

interface ChildExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function node(args: readonly string[], cwd = scratch): Promise<ChildExit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, timeout: CHILD_FALLBACK_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `jobs` at most two at a time (the machines have two cores). */
async function twoAtATime<T, R>(items: readonly T[], job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index] as T);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function stripTypes(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
  }).outputText;
}

function neighbours(doc: ParsedDoc, snippet: Snippet) {
  return [doc.blocks[snippet.blockIndex - 1], doc.blocks[snippet.blockIndex + 1]].filter(
    (block) => block !== undefined,
  );
}

// -------------------------------------------------------------------------------------------------------

describe('documentation snippets', () => {
  it('finds the blocks, and skips few of them, each with a reason', () => {
    expect(checked.length).toBeGreaterThan(50);
    const skipped = snippets.filter((snippet) => snippet.skip !== undefined);
    expect(skipped.length).toBeLessThanOrEqual(3);
    for (const snippet of skipped) expect(snippet.skip, where(snippet)).toMatch(/\w{3,}/);
  });

  it('type-checks every TypeScript and JavaScript block against the workspace packages', () => {
    expect(typeCheck(virtualFiles())).toEqual([]);
  });

  it('parses every block as an ES module in plain JavaScript on this Node, types stripped', async () => {
    const programs = checked.filter((snippet) => !snippet.declarations && !usesAwaitUsing(snippet.code));
    const failures = await twoAtATime(programs, async (snippet) => {
      const file = path.join(scratch, `check-${snippet.doc.replace(/[/.]/g, '-')}-${snippet.line}.mjs`);
      writeFileSync(file, snippet.language === 'ts' ? stripTypes(snippet.code) : snippet.code);
      const { code, stderr } = await node(['--check', file]);
      return code === 0 ? undefined : `${where(snippet)}: ${stderr.split('\n').slice(0, 5).join('\n')}`;
    });
    expect(failures.filter((failure) => failure !== undefined)).toEqual([]);
  });

  it('shows the try/finally form next to every block that uses `await using` (a SyntaxError on Node 20)', () => {
    const missing = [...docs.values()].flatMap((doc) =>
      doc.snippets
        .filter((snippet) => usesAwaitUsing(snippet.code))
        .filter(
          (snippet) =>
            !neighbours(doc, snippet).some(
              (block) =>
                /\bfinally\b/.test(block.code) && block.code.includes('.close()') && !usesAwaitUsing(block.code),
            ),
        )
        .map((snippet) => where(snippet)),
    );
    expect(missing).toEqual([]);
  });

  const runnable = checked.filter((snippet) => snippet.run);
  it('has complete programs to run', () => {
    expect(runnable.length).toBeGreaterThan(0);
  });
  it.each(runnable.map((snippet) => [where(snippet), snippet] as const))(
    'runs %s to a clean exit',
    async (_, snippet) => {
      const parsed = docs.get(snippet.doc);
      const folder = mkdtempSync(path.join(scratch, 'run-'));
      for (const file of parsed?.snippets.filter((other) => other.file !== undefined) ?? []) {
        writeFileSync(path.join(folder, fileName(file)), file.code);
      }
      const main = path.join(folder, fileName(snippet));
      writeFileSync(main, snippet.code);
      const { code, stderr } = await node(['--import', 'tsx', main]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    },
  );
});
