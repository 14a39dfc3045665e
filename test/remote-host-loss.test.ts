/**
 * Remote actor hosts that fail (docs/distributed.md, "Failure model"): a host process SIGKILLed in the
 * middle of a superstep, or paused (SIGSTOP) long enough to be declared lost and then resumed. The run
 * completes on the host that is left with the uninterrupted run's outputs, and every actor's ledger shows
 * each message committed exactly once — so no effect was applied twice, and a paused host's late replies
 * changed nothing.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHosts, type NatsHostSet } from '@superstep/runtime/nats';
import { killChildren } from './child-process.ts';
import { HANG_ENV, SLOW_ENV, type Final, type Job, type KillPlan } from './fixtures/ledger.ts';
import { ofType } from './helpers.ts';
import { canonical, expectedLedgers, ledgerGraph, ledgersOf } from './ledger-graph.ts';
import { natsAnswers, NATS_URL, startHost, TEST_ROOT, uniqueBucket, type HostChild } from './nats-hosts.ts';
import type { RunHandle, WorkflowEvent } from '@superstep/runtime';

const up = await natsAnswers();
if (!up) console.warn('NATS is not answering at 127.0.0.1:4222: the remote host loss tests are skipped');

const ROUNDS = 3;
const LOST_AFTER_MS = 1000;
let reference: Final[];
const sets: NatsHostSet[] = [];

/** Two fresh host processes in a bucket of their own; `env` goes to the first only. */
async function twoHosts(env: NodeJS.ProcessEnv): Promise<{ victim: HostChild; hosts: NatsHostSet }> {
  const bucket = uniqueBucket('host_loss');
  const [victim] = await Promise.all([
    startHost({ bucket, hostId: 'victim', env }),
    startHost({ bucket, hostId: 'survivor' }),
  ]);
  const hosts = await connectHosts({
    servers: NATS_URL,
    bucket,
    moduleRoot: TEST_ROOT,
    minHosts: 2,
    lostAfterMs: LOST_AFTER_MS,
  });
  sets.push(hosts);
  return { victim, hosts };
}

/** Runs to the end, calling `at` once when superstep `superstep` starts. */
async function runWith(
  run: RunHandle,
  superstep: number,
  at: () => void,
): Promise<{ outputs: Final[]; events: WorkflowEvent[] }> {
  const events: WorkflowEvent[] = [];
  for await (const event of run) {
    events.push(event);
    if (event.type === 'superstep.started' && event.superstep === superstep) at();
  }
  const result = await run.result();
  return { outputs: canonical(result.outputs), events };
}

describe.skipIf(!up)('remote actor hosts that are lost', () => {
  beforeAll(async () => {
    await using local = await ledgerGraph().build({ threads: 2 });
    reference = canonical((await local.run({ rounds: ROUNDS } satisfies Job).result()).outputs);
  });

  afterEach(async () => {
    await Promise.all(sets.splice(0).map((set) => set.close()));
    killChildren();
  });

  // Actors alternate over the two slots (source, mix on one host; audit on the victim; the lanes on both):
  // the victim holds handlers in supersteps 2 and 5 (lanes), 3 (audit beside mix) and 9 (the last).
  it.each([2, 3, 5, 9])(
    'completes on the remaining host with the uninterrupted outputs when a host is SIGKILLed in superstep %i',
    async (superstep) => {
      const { victim, hosts } = await twoHosts({ [HANG_ENV]: String(superstep) });
      await using workflow = await ledgerGraph().build({ pool: hosts });
      const { outputs, events } = await runWith(workflow.run({ rounds: ROUNDS } satisfies Job), superstep, () => {
        setTimeout(() => {
          victim.kill('SIGKILL');
        }, 100);
      });
      expect(outputs).toEqual(reference);
      expect(ledgersOf(outputs)).toEqual(expectedLedgers(ROUNDS));
      const usage = hosts.usage();
      expect(usage.find((host) => host.hostId === 'victim')?.alive).toBe(false);
      // The victim hung in that superstep: it was lost in it, and that superstep was replayed.
      const restarted = ofType(events, 'worker.restarted');
      expect(restarted.length).toBeGreaterThan(0);
      for (const event of restarted) expect(event.superstep).toBe(superstep);
    },
    60_000,
  );

  it('declares a paused host lost, replays elsewhere, and ignores its late replies once it resumes', async () => {
    // The victim's handlers of superstep 5 take 2.5 s: it is paused while it holds them.
    const { victim, hosts } = await twoHosts({ [SLOW_ENV]: `5:${String(2 * LOST_AFTER_MS + 500)}` });
    await using workflow = await ledgerGraph().build({ pool: hosts });
    const { outputs, events } = await runWith(workflow.run({ rounds: ROUNDS } satisfies Job), 5, () => {
      setTimeout(() => {
        victim.kill('SIGSTOP');
      }, 100);
    });
    expect(outputs).toEqual(reference);
    expect(ofType(events, 'worker.restarted').length).toBeGreaterThan(0);
    // Resumed, it finishes the stale batches and answers them, and heartbeats again: none of it is heard.
    victim.kill('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 3 * LOST_AFTER_MS));
    expect(hosts.usage().find((host) => host.hostId === 'victim')?.alive).toBe(false);
    await workflow.reset();
    const again = canonical((await workflow.run({ rounds: ROUNDS } satisfies Job).result()).outputs);
    expect(again).toEqual(reference);
    expect(ledgersOf(again)).toEqual(expectedLedgers(ROUNDS));
  }, 60_000);

  it('replays the superstep on a new lane when a thread of a host dies in a handler (process.exit), with the uninterrupted outputs', async () => {
    const { hosts } = await twoHosts({});
    const marker = join(mkdtempSync(join(tmpdir(), 'superstep-remote-thread-')), 'killed');
    await using workflow = await ledgerGraph().build({ pool: hosts });
    const kill: KillPlan = { actor: 'lane-1', superstep: 5, phase: 'after', how: 'exit', marker };
    const { outputs, events } = await runWith(workflow.run({ rounds: ROUNDS, kill } satisfies Job), 0, () => undefined);
    expect(existsSync(marker)).toBe(true);
    expect(outputs).toEqual(reference);
    expect(ledgersOf(outputs)).toEqual(expectedLedgers(ROUNDS));
    expect(ofType(events, 'worker.restarted').map((event) => event.superstep)).toContain(5);
  }, 60_000);
});
