// @ts-check
/**
 * `superstep/no-import-cycle`: a module must not import (directly or through others) a module that imports
 * it back — and, unlike `import-x/no-cycle`, type-only imports count. Types are erased at run time, but a
 * cycle through them still ties modules together: neither can be read, moved or split without the other
 * (docs/design.md, "The shape"). `import-x/no-cycle` skips `import type` with no option to do otherwise,
 * so this rule replaces it.
 *
 * Only relative specifiers are followed (a workspace package is imported through its entry points and
 * never imports its importer back). Imported files are read from disk and parsed with TypeScript's
 * import scanner once per lint run; the file being linted is read from its syntax tree.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** File → the files its relative imports resolve to (every kind: value, type, re-export, `import()`). */
const importsByFile = new Map();

/**
 * @param {string} from
 * @param {string} specifier
 * @returns {string | undefined}
 */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`];
  return candidates.find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
}

/**
 * @param {string} file
 * @returns {string[]}
 */
function importsOf(file) {
  let found = importsByFile.get(file);
  if (found === undefined) {
    const scanned = /\.(ts|mts|cts|js|mjs|cjs)$/.test(file)
      ? ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles
      : [];
    found = scanned.flatMap(({ fileName }) => resolveSpecifier(file, fileName) ?? []);
    importsByFile.set(file, found);
  }
  return found;
}

/**
 * The shortest import route from `start` back to `target` (both included), if there is one.
 *
 * @param {string} start
 * @param {string} target
 * @returns {string[] | undefined}
 */
function routeBack(start, target) {
  /** @type {Map<string, string | null>} */
  const previous = new Map([[start, null]]);
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const file = queue[at];
    if (file === undefined) break;
    for (const next of importsOf(file)) {
      if (next === target) {
        const route = [target];
        for (let step = /** @type {string | null | undefined} */ (file); step != null; step = previous.get(step)) {
          route.unshift(step);
        }
        return route;
      }
      if (!previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between modules, type-only imports included.' },
    schema: [],
    messages: { cycle: 'Import cycle (type-only imports count): {{route}}' },
  },
  create(context) {
    const filename = context.physicalFilename;
    const root = context.cwd;
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const imported = resolveSpecifier(filename, source);
      if (imported === undefined || imported === filename) return;
      const route = routeBack(imported, filename);
      if (route === undefined) return;
      const shown = [filename, ...route].map((file) => path.relative(root, file)).join(' → ');
      context.report({ node, messageId: 'cycle', data: { route: shown } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
      /** `typeof import('./x.ts')` in a type. */
      /** @param {any} node */
      TSImportType: (node) => check(node, node.argument?.literal?.value ?? node.argument?.value),
    };
  },
};

export default { rules: { 'no-import-cycle': rule } };
