/**
 * The distributed example for real: `main.ts` in a child process starts two `superstep-host` processes,
 * renders on them over the local NATS server and checks the image against the in-process run. Skipped,
 * with a message, when NATS is not answering.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { natsAnswers } from '../bench/remote-hosts.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** Where `tsx` resolves from (the examples package). */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

const up = await natsAnswers();
if (!up) console.warn('NATS is not answering at 127.0.0.1:4222: the distributed example test is skipped');

describe.skipIf(!up)('distributed example', () => {
  it('renders on two host processes, says who did how much, and finds the image identical to the in-process one', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--width', '320', '--height', '240'], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Bounds a broken run (never a timing assertion): SIGTERM makes the example stop its hosts first.
    const fallback = setTimeout(() => child.kill('SIGTERM'), 90_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(fallback);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('identical result: yes');
    expect(stdout.match(/^ {2}\S+-h[12]: \d+ batches, \d+ messages$/gm)).toHaveLength(2);
  }, 120_000);
});
