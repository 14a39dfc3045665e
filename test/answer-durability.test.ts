/**
 * Guarantee 55 (docs/guarantees.md#g55) across a real process death: a process answers one of two
 * requests, freezes right after `respond()` resolved (before the next barrier), and is SIGKILLed; a fresh
 * process on the same SQLite file calls `resumeLatest()`, is asked only the other question, and ends
 * with the outputs of an uninterrupted run. Real processes, real worker threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killChildren, startScript } from './child-process.ts';

const CHILD = new URL('./children/answer-then-die.ts', import.meta.url);
const scratch = mkdtempSync(join(tmpdir(), 'superstep-answers-'));

afterEach(() => {
  killChildren();
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * The `output` lines of a child, parsed and sorted by asker, without the superstep that handled the
 * answer: that depends on when the second answer came in, in any run.
 */
function outputs(lines: readonly string[]): unknown[] {
  return lines
    .filter((line) => line.startsWith('output '))
    .map((line) => JSON.parse(line.slice('output '.length)) as { executorId: string; superstep?: number })
    .map(({ superstep: _superstep, ...rest }) => rest)
    .sort((a, b) => a.executorId.localeCompare(b.executorId));
}

const asked = (lines: readonly string[]): string[] => lines.filter((line) => line.startsWith('asked '));

describe('guarantee 55: an accepted answer survives SIGKILL', () => {
  it('a process killed after one of two answers was accepted, before the next barrier, is not asked that question again', async () => {
    // Uninterrupted: both questions asked once, both answered.
    const clean = startScript(CHILD, ['--db', join(scratch, 'clean.db')]);
    expect(await clean.exited).toMatchObject({ code: 0, signal: null });
    expect(clean.lines[0]).toBe('started');
    expect(asked(clean.lines)).toEqual(['asked ask-a', 'asked ask-b']);
    const expected = outputs(clean.lines);
    expect(expected).toMatchObject([
      { executorId: 'ask-a', approved: false, asked: 1 },
      { executorId: 'ask-b', approved: true, asked: 1 },
    ]);

    // Killed right after ask-a's answer was accepted.
    const db = join(scratch, 'killed.db');
    const doomed = startScript(CHILD, ['--db', db, '--die-after-first-answer']);
    await doomed.waitFor(/^frozen$/);
    doomed.kill('SIGKILL');
    expect(await doomed.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(doomed.lines).toContain('accepted ask-a');
    expect(outputs(doomed.lines)).toEqual([]);

    // A fresh process: resumes from the answer's checkpoint, asks only ask-b, and ends as the clean run did.
    const fresh = startScript(CHILD, ['--db', db]);
    expect(await fresh.exited).toMatchObject({ code: 0, signal: null });
    expect(fresh.lines[0]).toBe('resumed response 2');
    expect(asked(fresh.lines)).toEqual(['asked ask-b']);
    expect(outputs(fresh.lines)).toEqual(expected);
    expect(fresh.lines.at(-1)).toBe('done');

    // Finished: a further start has nothing to resume.
    const again = startScript(CHILD, ['--db', db]);
    expect(await again.exited).toMatchObject({ code: 0, signal: null });
    expect(again.lines[0]).toBe('started');
  }, 120_000);
});
