import { describe, expect, it } from 'vitest';
import { relativeToRoot, resolveUnderRoot } from './module-root.ts';

describe('executor locations relative to a declared root', () => {
  const here = 'file:///srv/app/';
  const there = 'file:///opt/host/app/';

  it('a file: URL under the root becomes a relative path, and that path resolves under another copy of the root', () => {
    const relative = relativeToRoot('file:///srv/app/dist/my%20executors.js', here);
    expect(relative).toBe('dist/my executors.js');
    expect(resolveUnderRoot(relative ?? '', there)).toBe('file:///opt/host/app/dist/my%20executors.js');
    // A root given without its trailing slash means the same directory.
    expect(relativeToRoot('file:///srv/app/x.js', 'file:///srv/app')).toBe('x.js');
  });

  it('package names and files outside the root have no root-relative form', () => {
    expect(relativeToRoot('@acme/executors', here)).toBeUndefined();
    expect(relativeToRoot('file:///srv/application/x.js', here)).toBeUndefined();
    expect(relativeToRoot('file:///srv/other/x.js', here)).toBeUndefined();
    expect(relativeToRoot('file:///srv/app/x.js?v=1', here)).toBeUndefined();
  });

  it.each(['../etc/passwd', 'a/../../b.js', '/etc/passwd', './a.js', 'a//b.js', 'a\\..\\b.js', '', 'a/%2e%2e/b.js'])(
    'a path that could leave the root is refused with INVALID_EXECUTOR_REF, or stays inside: %j',
    (relative) => {
      let resolved: string | undefined;
      try {
        resolved = resolveUnderRoot(relative, there);
      } catch (error) {
        expect(error).toMatchObject({ code: 'INVALID_EXECUTOR_REF' });
        return;
      }
      expect(resolved.startsWith(there)).toBe(true);
      expect(new URL(resolved).pathname.split('/')).not.toContain('..');
    },
  );

  it('a root that is not a file: URL is refused with INVALID_OPTION', () => {
    let caught: unknown;
    try {
      resolveUnderRoot('a.js', 'https://example.com/');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'INVALID_OPTION' });
  });
});
