import { describe, expect, it } from 'vitest';
import { moduleKind } from './module-kind.ts';

/** A file system of the given `file:` URLs. */
const files =
  (...present: string[]) =>
  (url: URL): boolean =>
    present.includes(url.href);

describe('executor module specifiers: what build() and a host make of them', () => {
  it('a relative string or a bare file path is refused with a hint to pass a URL', () => {
    for (const specifier of ['./executors.js', '../lib/executors.js', '.', '/srv/app/executors.js', 'C:\\app\\x.js']) {
      const kind = moduleKind(specifier, files());
      expect(kind.kind, specifier).toBe('invalid');
      expect(kind.kind === 'invalid' && kind.reason).toMatch(/URL/);
    }
  });

  it('a package specifier is left to the importer', () => {
    expect(moduleKind('some-package/executors', files())).toEqual({ kind: 'javascript' });
    expect(moduleKind('@scope/pkg', files())).toEqual({ kind: 'javascript' });
  });

  it('a JavaScript file that exists needs no loader, even with a .ts file beside it', () => {
    const js = 'file:///app/dist/executors.js';
    expect(moduleKind(js, files(js, 'file:///app/dist/executors.ts'))).toEqual({ kind: 'javascript' });
  });

  it('a .js/.mjs/.cjs name whose file is missing but whose TypeScript sibling exists is TypeScript source', () => {
    for (const [name, source] of [
      ['executors.js', 'executors.ts'],
      ['executors.mjs', 'executors.mts'],
      ['executors.cjs', 'executors.cts'],
    ] as const) {
      expect(moduleKind(`file:///app/src/${name}`, files(`file:///app/src/${source}`))).toEqual({
        kind: 'typescript',
        file: `file:///app/src/${source}`,
      });
    }
  });

  it('a .ts file is TypeScript when it exists and missing when it does not', () => {
    const ts = 'file:///app/src/executors.ts';
    expect(moduleKind(ts, files(ts))).toEqual({ kind: 'typescript', file: ts });
    expect(moduleKind(ts, files())).toEqual({ kind: 'missing', file: ts });
  });

  it('a file URL naming nothing under either extension is missing; a query or hash does not change the file', () => {
    expect(moduleKind('file:///app/nothing.js', files())).toEqual({ kind: 'missing', file: 'file:///app/nothing.js' });
    const source = 'file:///app/src/executors.ts';
    expect(moduleKind('file:///app/src/executors.js?v=2#x', files(source))).toEqual({
      kind: 'typescript',
      file: source,
    });
  });
});
