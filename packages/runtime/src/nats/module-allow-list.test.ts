import { describe, expect, it } from 'vitest';
import { SuperstepError } from '../shared/errors.ts';
import { allowedSpecifier, moduleAllowList } from './module-allow-list.ts';
import { aliasOf, parseAlias } from './subjects.ts';

const allow = moduleAllowList('/srv/app', ['@acme/executors', 'left-pad']);
const codeOf = (thunk: () => unknown): string | undefined => {
  try {
    thunk();
    return undefined;
  } catch (error) {
    return error instanceof SuperstepError ? error.code : 'not a SuperstepError';
  }
};

describe('what a host imports', () => {
  it('resolves a path under its root, and packages on its list with their subpaths', () => {
    expect(allowedSpecifier('./dist/executors.js', allow)).toBe('file:///srv/app/dist/executors.js');
    expect(allowedSpecifier('@acme/executors', allow)).toBe('@acme/executors');
    expect(allowedSpecifier('@acme/executors/extra', allow)).toBe('@acme/executors/extra');
    expect(allowedSpecifier('left-pad', allow)).toBe('left-pad');
  });

  it('refuses a path that would leave its root with INVALID_EXECUTOR_REF', () => {
    for (const module of ['./../etc/passwd', './dist/../../x.js', './/abs.js', './a\\b.js']) {
      expect(codeOf(() => allowedSpecifier(module, allow))).toBe('INVALID_EXECUTOR_REF');
    }
  });

  it('refuses everything else with MODULE_NOT_ALLOWED before importing anything', () => {
    for (const module of [
      'node:child_process',
      'child_process',
      'file:///etc/passwd',
      '/etc/passwd',
      'data:text/javascript,process.exit(1)',
      'https://example.com/x.js',
      '@acme/other',
      '@acme/executors/../../x',
      '../x.js',
      '',
      42,
    ]) {
      expect(codeOf(() => allowedSpecifier(module, allow))).toBe('MODULE_NOT_ALLOWED');
    }
  });

  it('refuses root paths on a host started without a root', () => {
    const packagesOnly = moduleAllowList(undefined, ['@acme/executors']);
    expect(codeOf(() => allowedSpecifier('./dist/executors.js', packagesOnly))).toBe('MODULE_NOT_ALLOWED');
  });

  it('takes only package names as packages', () => {
    expect(codeOf(() => moduleAllowList(undefined, ['@acme/executors/sub']))).toBe('INVALID_OPTION');
    expect(codeOf(() => moduleAllowList(undefined, ['../x']))).toBe('INVALID_OPTION');
  });
});

describe('instance names on a host', () => {
  it('name the lane and the instance, and nothing else parses as one', () => {
    const lane = { session: 'sAbc_1', slot: 3, generation: 2 };
    expect(parseAlias(aliasOf(lane, 'wf1-ab:c'))).toEqual({ ...lane, instance: 'wf1-ab:c' });
    for (const name of ['wf1', 's.1:x', 's.01.0:x', 's.1.0', 'bad token.1.0:x', 42])
      expect(parseAlias(name)).toBeUndefined();
  });
});
