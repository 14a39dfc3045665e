/**
 * `superstep-overhead` (docs/benchmarks.md): A actors in a ring, each forwarding one tiny message per superstep for S
 * supersteps, no work in handlers — the cost of the superstep machinery itself, in µs per superstep, next
 * to a hand-written floor (see floor.ts) run in the same process.
 *
 * `spin-floor` is the same floor with its workers polling for the next batch for {@link SPIN_MICROS} after
 * each reply instead of sleeping: no thread wake-up on the way in, so it shows how close to the physical
 * limit of this machine a superstep gets (the runtime does not spin; docs/design.md says why).
 *
 * Shape of one run (both systems): superstep 1 a seed sends S, which a fan-out delivers to every actor;
 * supersteps 2…S+1 each actor receives one message and sends `remaining - 1` to the next actor until 1.
 * So a run is S+1 supersteps, and the metric is run time ÷ supersteps.
 *
 * The `langgraph` peer runs the same shape (A no-op nodes in a ring, each invoked once per step; see
 * ../langgraph.ts for why this is the faithful equivalent). It is 1–2 orders of magnitude slower per
 * step, so it runs fewer steps ({@link langGraphSteps}) to keep the scenario in budget; its rows carry
 * their own `S`.
 */
import { createPool } from '@superstep/runtime';
import { FloorLoop } from '../floor.ts';
import { buildLangGraphRing } from '../langgraph.ts';
import { buildRing } from '../overhead-ring.ts';
import {
  measureInterleaved,
  ratio,
  row,
  single,
  timed,
  type Contender,
  type ResultRow,
  type Scenario,
} from '../harness.ts';

const SIZES = [2, 64] as const;

/** How long the spin floor's workers poll for the next batch after a reply. */
const SPIN_MICROS = 100;

/**
 * LangGraph's step count at each size. Measured on 2 cores (load ~3): ~1.2–1.7 ms per step at A = 2 and
 * ~40 ms at A = 64, plus ~30–50 ms per `invoke`. Enough steps that the fixed cost stays a small share of
 * the per-step figure (as superstep's run start does over its S), few enough to stay in budget.
 */
function langGraphSteps(actors: number, quick: boolean): number {
  if (actors <= 2) return quick ? 50 : 300;
  return quick ? 4 : 20;
}

export const superstepOverhead: Scenario = {
  id: 'superstep-overhead',
  title:
    'A actors (2 and 64) forwarding one tiny message per superstep: µs per superstep vs a raw worker_threads floor and langgraph',
  async run({ quick, threads, progress }) {
    const steps = quick ? 300 : 1000;
    const repetitions = quick ? { warmup: 1, reps: 7 } : { warmup: 2, reps: 11 };
    const results: ResultRow[] = [];
    /** Start-up and build rows, listed after the measured ones. */
    const setup: ResultRow[] = [];
    const ratios: Record<string, number> = {};

    const pool = await timed(() => createPool({ threads }));
    let floor: FloorLoop | undefined;
    let spinFloor: FloorLoop | undefined;
    try {
      const floorStart = await timed(() => FloorLoop.start(threads));
      floor = floorStart.value;
      const floorLoop = floor;
      spinFloor = await FloorLoop.start(threads, SPIN_MICROS);
      const spinLoop = spinFloor;
      setup.push(single('superstep', 'startupMs', pool.ms), single('floor', 'startupMs', floorStart.ms));
      progress(`started · superstep pool ${pool.ms.toFixed(0)} ms · floor workers ${floorStart.ms.toFixed(0)} ms`);

      let worst = 0;
      let langGraphWorst = Number.POSITIVE_INFINITY;
      for (const actors of SIZES) {
        const params = { A: actors, S: steps };
        const built = await timed(() => buildRing(pool.value, actors));
        const workflow = built.value;
        setup.push(single('superstep', 'buildMs', built.ms, params));
        const langGraphParams = { A: actors, S: langGraphSteps(actors, quick) };
        const langGraphBuilt = await timed(() => buildLangGraphRing(actors, langGraphParams.S));
        const langGraph = langGraphBuilt.value;
        setup.push(single('langgraph', 'buildMs', langGraphBuilt.ms, langGraphParams));
        try {
          const contenders: Contender[] = [
            {
              name: 'superstep',
              async once() {
                const { ms, value } = await timed(() => workflow.run(steps, { maxSupersteps: steps + 10 }).result());
                if (value.supersteps !== steps + 1) {
                  throw new Error(`superstep ran ${value.supersteps} supersteps, expected ${steps + 1}`);
                }
                return (ms * 1000) / value.supersteps;
              },
            },
            {
              name: 'floor',
              async once() {
                const { ms, value } = await timed(() => floorLoop.run(actors, steps));
                if (value !== steps + 1) throw new Error(`floor ran ${value} steps, expected ${steps + 1}`);
                return (ms * 1000) / value;
              },
            },
            {
              name: 'spin-floor',
              async once() {
                const { ms, value } = await timed(() => spinLoop.run(actors, steps));
                if (value !== steps + 1) throw new Error(`spin floor ran ${value} steps, expected ${steps + 1}`);
                return (ms * 1000) / value;
              },
            },
            {
              name: 'langgraph',
              async once() {
                const { ms, value } = await timed(() => langGraph.run());
                const expected = actors * langGraphParams.S;
                if (value !== expected) throw new Error(`langgraph ran ${value} node calls, expected ${expected}`);
                return (ms * 1000) / langGraphParams.S;
              },
            },
          ];
          const samples = await measureInterleaved(contenders, repetitions, (line) => {
            progress(`A=${actors} ${line}`);
          });
          const rows = new Map<string, ResultRow>();
          for (const [name, values] of samples) {
            rows.set(name, row(name, 'usPerSuperstep', values, name === 'langgraph' ? langGraphParams : params));
          }
          results.push(...rows.values());
          const value = ratio(rows.get('superstep'), rows.get('floor'));
          if (value !== undefined) {
            ratios[`superstep/floor@A=${actors}`] = value;
            worst = Math.max(worst, value);
          }
          const spinRatio = ratio(rows.get('superstep'), rows.get('spin-floor'));
          if (spinRatio !== undefined) ratios[`superstep/spin-floor@A=${actors}`] = spinRatio;
          const langGraphRatio = ratio(rows.get('langgraph'), rows.get('superstep'));
          if (langGraphRatio !== undefined) {
            ratios[`langgraph/superstep@A=${actors}`] = langGraphRatio;
            langGraphWorst = Math.min(langGraphWorst, langGraphRatio);
          }
        } finally {
          await workflow.close();
        }
      }
      // The plain key is the size least favourable to superstep (docs/benchmarks.md).
      if (worst > 0) ratios['superstep/floor'] = worst;
      if (Number.isFinite(langGraphWorst)) ratios['langgraph/superstep'] = langGraphWorst;
      return {
        params: {
          A: [...SIZES],
          S: steps,
          spinMicros: SPIN_MICROS,
          langgraphS: SIZES.map((actors) => langGraphSteps(actors, quick)),
        },
        results: [...results, ...setup],
        ratios,
      };
    } finally {
      await floor?.close();
      await spinFloor?.close();
      await pool.value.close();
    }
  },
};
