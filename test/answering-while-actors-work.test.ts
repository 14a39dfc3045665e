/**
 * Issue acceptance for guarantees 17/18: a request is answered while three other actors are still in the middle
 * of CPU work in the same run; the answer is handled in the next superstep and no earlier work runs twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowBuilder, createPool, executorModule, type ActorPool, type WorkflowEvent } from '@superstep/runtime';

const basic = executorModule<typeof import('./fixtures/basic.ts')>(new URL('./fixtures/basic.ts', import.meta.url));
const hitl = executorModule<typeof import('./fixtures/hitl.ts')>(new URL('./fixtures/hitl.ts', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'superstep-respond-'));
let pool: ActorPool;
beforeAll(async () => {
  pool = await createPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('guarantees 17/18: answering while other actors work', () => {
  it('guarantee 18: an answer given while three actors are mid-CPU-work is handled in the next superstep; no work runs twice', async () => {
    const grinders = ['g1', 'g2', 'g3'].map((id) => hitl.executor('grinder', { id }));
    const builder = new WorkflowBuilder(basic.executor('forward', { id: 'start' })).addFanOut('start', [
      hitl.executor('approver'),
      ...grinders,
    ]);
    // Each grinder sends its next round to itself.
    for (const grinder of grinders) builder.addEdge(grinder, grinder);
    await using workflow = await builder.build({ pool });
    // Every target gets the same input: the approver reads `item`, the grinders `ms`, `rounds` and
    // `holdUntil`: in superstep 3 they spin until the test has answered and written the file.
    const release = join(scratch, 'answered');
    const run = workflow.run({ item: 'report', ms: 20, rounds: 4, holdUntil: { superstep: 3, file: release } });
    const events: WorkflowEvent[] = [];
    let answeredAt = 0;
    let requestSuperstep = 0;
    for await (const event of run) {
      events.push(event);
      if (event.type === 'request') {
        requestSuperstep = event.superstep;
        await run.respond(event.requestId, { approved: true });
        answeredAt = Date.now();
        writeFileSync(release, 'go');
      }
    }
    const result = await run.result();

    // The request was made in superstep 2 and answered while superstep 3 ran: the grinders' superstep-3
    // work (spinning until the file written after the answer) ended after the answer was accepted.
    expect(requestSuperstep).toBe(2);
    const ground = events.flatMap((event) =>
      event.type === 'custom' && event.name === 'ground'
        ? [{ executorId: event.executorId, ...(event.data as { superstep: number; endedAt: number }) }]
        : [],
    );
    const step3 = ground.filter((g) => g.superstep === 3);
    expect(step3).toHaveLength(3);
    for (const work of step3) expect(work.endedAt).toBeGreaterThanOrEqual(answeredAt);

    // Handled in the next superstep after the answer: 4.
    expect(result.outputs).toContainEqual({ item: 'report', approved: true, superstep: 4 });
    // No work ran twice: each grinder worked exactly once in each of supersteps 2–5.
    for (const id of ['g1', 'g2', 'g3']) {
      expect(ground.filter((g) => g.executorId === id).map((g) => g.superstep)).toEqual([2, 3, 4, 5]);
    }
    expect(ground).toHaveLength(12);
  });
});
