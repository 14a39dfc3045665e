import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from './catalog.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const scripts = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
/** Only keeps a broken script from hanging the suite; never a timing assertion. */
const FALLBACK_MS = 60_000;

/** Runs a package script's command (`tsx src/…`) with extra arguments, as `pnpm run` would. */
function runScript(
  name: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, ...rest] = (scripts[name] ?? '').split(' ');
  expect(command).toBe('tsx');
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  return new Promise((resolve) => {
    execFile(
      tsx,
      [...rest, ...args],
      { cwd: PACKAGE_DIR, timeout: FALLBACK_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
  });
}

const runnable = Object.keys(scripts).filter(
  (name) => name === 'main' || name === 'bench' || name.startsWith('example:'),
);

describe('example scripts', () => {
  it('the catalog names exactly the runnable scripts of package.json', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...runnable].sort());
  });

  it('`examples` lists every script with its description', async () => {
    const { code, stdout } = await runScript('examples', []);
    expect(code).toBe(0);
    const lines = stdout.split('\n').map((line) => line.trim().split(/\s{2,}/));
    for (const [script, description] of Object.entries(EXAMPLES)) expect(lines).toContainEqual([script, description]);
  });

  it.each(runnable)('%s --help prints its description and options, and exits 0', async (script) => {
    const { code, stdout } = await runScript(script, ['--', '--help']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(EXAMPLES[script as keyof typeof EXAMPLES]);
    expect(stdout).toMatch(/--help/);
  });
});
