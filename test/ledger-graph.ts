/**
 * The crash-injection workflow's graph (executors in fixtures/ledger.ts) and what an uninterrupted run of
 * it must leave in every actor's ledger. Shared by test/crash-injection.test.ts and the child process it
 * kills (children/ledger-process.ts).
 */
import { WorkflowBuilder, executorModule } from '@superstep/runtime';
import { LANES, type Final } from './fixtures/ledger.ts';

const ledger = executorModule<typeof import('./fixtures/ledger.ts')>(new URL('./fixtures/ledger.ts', import.meta.url));

/** source ─fan-out▶ lanes ─fan-in▶ mix ─▶ source; lanes ─▶ audit. */
export function ledgerGraph(): WorkflowBuilder {
  let builder = new WorkflowBuilder(ledger.executor('source'))
    .addFanOut(
      'source',
      LANES.map((id) => ledger.executor('lane', { id })),
    )
    .addFanIn([...LANES], ledger.executor('mix'))
    .addEdge('mix', 'source');
  for (const id of LANES) builder = builder.addEdge(id, ledger.executor('audit'));
  return builder;
}

/** Supersteps of a run of `rounds` rounds. */
export const superstepsOf = (rounds: number): number => 3 * rounds;

/** Every (actor, superstep) that handles a message in a run of `rounds` rounds: where a kill can strike. */
export function schedule(rounds: number): { actor: string; superstep: number }[] {
  const slots: { actor: string; superstep: number }[] = [];
  for (let r = 1; r <= rounds; r++) {
    slots.push({ actor: 'source', superstep: 3 * r - 2 });
    for (const id of LANES) slots.push({ actor: id, superstep: 3 * r - 1 });
    slots.push({ actor: 'mix', superstep: 3 * r }, { actor: 'audit', superstep: 3 * r });
  }
  return slots;
}

/** Each actor's ledger after `rounds` rounds: every message committed once, in the superstep it was due. */
export function expectedLedgers(rounds: number): Record<string, string[]> {
  const range = Array.from({ length: rounds }, (_, k) => k + 1);
  const laneIds = (r: number): string[] => LANES.map((id) => `${id}:${r}`);
  const ledgers: Record<string, string[]> = {
    source: range.map((r) => `${3 * r - 2}:${r === 1 ? 'input' : `mix:${r - 1}`}`),
    mix: range.map((r) => `${3 * r}:${laneIds(r).join('+')}`),
    audit: range.flatMap((r) => laneIds(r).map((id) => `${3 * r}:${id}`)).sort(),
  };
  for (const id of LANES) ledgers[id] = range.map((r) => `${3 * r - 1}:source:${r}`);
  return ledgers;
}

/** The final outputs in a canonical order (by actor; audit's ledger sorted: its arrival order varies). */
export function canonical(outputs: readonly unknown[]): Final[] {
  return (outputs as Final[])
    .map((final) => (final.actor === 'audit' ? { ...final, ledger: [...final.ledger].sort() } : final))
    .sort((a, b) => a.actor.localeCompare(b.actor));
}

/** The ledgers in canonical outputs, by actor. */
export function ledgersOf(finals: readonly Final[]): Record<string, string[]> {
  return Object.fromEntries(finals.map((final) => [final.actor, [...final.ledger]]));
}
