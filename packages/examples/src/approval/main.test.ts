/**
 * The approval example for real: worker threads, a zod-validated request, answered by `onRequest`
 * (the `--yes` path, in-process), through `handle.respond` from the test, and on a real stdin.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '@superstep/runtime';
import { expectedDigest, type ApprovalOutput, type Question, type Work } from './executors.ts';
import { CRUNCHERS, buildApprovalWorkflow, runApproval, summarize } from './main.ts';

const ROUNDS = 6;
const ITERATIONS = 200_000;
const expectedResults = Object.fromEntries(CRUNCHERS.map((id) => [id, expectedDigest(id, ROUNDS, ITERATIONS)]));

describe('approval example', () => {
  it('--yes: onRequest approves while the crunchers work; every result is in', async () => {
    const asked: Question[] = [];
    const lines: string[] = [];
    const summary = await runApproval({
      rounds: ROUNDS,
      iterations: ITERATIONS,
      threads: 2,
      answer: (question) => {
        asked.push(question);
        return { approved: true, note: 'approved automatically (--yes)' };
      },
      log: (line) => lines.push(line),
    });
    expect(asked).toEqual([
      { text: 'Publish "the quarterly numbers" once the numbers are in?', title: 'the quarterly numbers' },
    ]);
    expect(summary).toMatchObject({ approved: true, note: 'approved automatically (--yes)', results: expectedResults });
    // plan (1), then the rounds (2 … ROUNDS + 1). Asked in superstep 2, the answer is handled in the
    // superstep after onRequest's answer was accepted: while the crunchers were still at it.
    expect(summary.supersteps).toBe(ROUNDS + 1);
    expect(summary.decidedInSuperstep).toBeGreaterThanOrEqual(3);
    expect(summary.decidedInSuperstep).toBeLessThanOrEqual(ROUNDS + 1);
    expect(lines).toContain(`  crunch-a: round ${ROUNDS}/${ROUNDS} (superstep ${ROUNDS + 1})`);
  });

  it('answered through handle.respond: the crunchers go on while the question waits; bad answers change nothing', async () => {
    await using workflow = await buildApprovalWorkflow({ threads: 2 });
    const work: Work = { title: 'Q3', rounds: ROUNDS, iterations: ITERATIONS, round: 1 };
    const run = workflow.run(work);
    let request: RequestEvent | undefined;
    let answered = false;
    const progressWhilePending: string[] = [];
    const refusals: unknown[] = [];
    for await (const event of run) {
      if (event.type === 'request') request = event;
      if (event.type !== 'custom' || request === undefined || answered) continue;
      progressWhilePending.push(`${event.executorId}@${event.superstep}`);
      // Answer only once the crunchers have worked two more supersteps with the question open.
      if (event.executorId !== 'crunch-a' || event.superstep !== request.superstep + 2) continue;
      answered = true;
      const { requestId } = request;
      refusals.push(await run.respond(requestId, { approved: 'yes' }).catch((error: unknown) => error));
      refusals.push(await run.respond('no-such-request', { approved: true }).catch((error: unknown) => error));
      // Two answers at once: exactly one is taken.
      const [first, second] = await Promise.allSettled([
        run.respond(requestId, { approved: false, note: 'not this quarter' }),
        run.respond(requestId, { approved: true }),
      ]);
      expect(first).toEqual({ status: 'fulfilled', value: undefined });
      refusals.push(second.status === 'rejected' ? second.reason : 'accepted twice');
    }
    expect(answered).toBe(true);
    expect(progressWhilePending).toEqual(expect.arrayContaining(['crunch-a@3', 'crunch-b@3', 'crunch-a@4']));
    expect(refusals).toEqual([
      expect.objectContaining({ code: 'RESPONSE_INVALID' }),
      expect.objectContaining({ code: 'REQUEST_UNKNOWN' }),
      expect.objectContaining({ code: 'REQUEST_ALREADY_ANSWERED' }),
    ]);
    const { outputs, supersteps, status } = await run.result();
    expect(status).toBe('idle');
    const summary = summarize(outputs as ApprovalOutput[], supersteps);
    expect(summary).toMatchObject({ approved: false, note: 'not this quarter', results: expectedResults });
    // Asked in superstep 2, answered after superstep 4's progress: handled in 5 or later, never earlier.
    expect(summary.decidedInSuperstep).toBeGreaterThanOrEqual(5);
  });

  it('interactive: the question is read from stdin', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', main, '--rounds', String(ROUNDS), '--iterations', String(ITERATIONS), '--threads', '2'],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const lines: string[] = [];
      // 'close', not 'exit': by then every line of stdout has been read.
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        if (line.startsWith('? Type y or n')) child.stdin.end('n needs another look\n');
      });
      expect(await exited).toBe(0);
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^NOT APPROVED \(needs another look\) — answer handled in superstep \d+ of \d+$/),
        ]),
      );
      for (const [id, digest] of Object.entries(expectedResults)) {
        expect(lines).toContain(`${id}: ${digest} (kept back)`);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
