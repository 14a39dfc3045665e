/**
 * Load: 200 workflow instances share one two-thread pool and run at the same time. Each is the ledger
 * workflow (fixtures/ledger.ts: six stateful actors, a fan-out, a fan-in, 3 supersteps per round) with its
 * own number of rounds; every one must end exactly as the same workflow run alone does — no instance
 * sees another's state, messages or outputs. Public API only, real worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type ActorPool, type Workflow } from '@superstep/runtime';
import type { Final, Job } from './fixtures/ledger.ts';
import { canonical, expectedLedgers, ledgerGraph, ledgersOf, superstepsOf } from './ledger-graph.ts';

const INSTANCES = 200;
const roundsOf = (n: number): number => 1 + (n % 3);

let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('load', () => {
  it(`${INSTANCES} instances on one pool, built and run concurrently, each yield what it yields alone`, async () => {
    // What each number of rounds yields when its instance has the pool to itself.
    const alone = new Map<number, Final[]>();
    for (const rounds of [1, 2, 3]) {
      await using workflow = await ledgerGraph().build({ pool });
      const outputs = canonical((await workflow.run({ rounds } satisfies Job).result()).outputs);
      expect(ledgersOf(outputs)).toEqual(expectedLedgers(rounds));
      alone.set(rounds, outputs);
    }

    const workflows: Workflow[] = await Promise.all(
      Array.from({ length: INSTANCES }, () => ledgerGraph().build({ pool })),
    );
    try {
      const results = await Promise.all(
        workflows.map((workflow, n) => workflow.run({ rounds: roundsOf(n) } satisfies Job).result()),
      );
      results.forEach((result, n) => {
        const rounds = roundsOf(n);
        expect(result.status, `instance ${n}`).toBe('idle');
        expect(result.supersteps, `instance ${n}`).toBe(superstepsOf(rounds));
        expect(canonical(result.outputs), `instance ${n}`).toEqual(alone.get(rounds));
      });
      // A second wave on the same instances: their state carried on, each on its own.
      const again = await Promise.all(workflows.map((workflow) => workflow.run({ rounds: 1 } satisfies Job).result()));
      again.forEach((result, n) => {
        const source = canonical(result.outputs).find((final) => final.actor === 'source');
        expect(source?.ledger, `instance ${n}`).toHaveLength(roundsOf(n) + 1);
      });
    } finally {
      await Promise.all(workflows.map((workflow) => workflow.close()));
    }
  });
});
