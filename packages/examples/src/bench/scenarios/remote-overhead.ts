/**
 * `remote-overhead` (docs/benchmarks.md): `superstep-overhead`'s ring (A = 2 and 64 actors, one tiny message
 * per actor per superstep) with the actors on 2 `superstep-host` processes over the local NATS server, next
 * to a hand-written floor (nats-floor.ts: one NATS request-reply per host per step, in the harness) and the
 * same ring in process on as many threads. Ratios: `superstep/floor` (remote superstep over the floor) and
 * `remote/in-process`. Skipped, and says so, when NATS is not answering.
 */
import { createPool } from '@superstep/runtime';
import { NatsFloorLoop } from '../nats-floor.ts';
import { buildRing } from '../overhead-ring.ts';
import { NATS_SERVERS, natsAnswers, startRemoteHosts } from '../remote-hosts.ts';
import {
  measureInterleaved,
  ratio,
  row,
  single,
  timed,
  type Contender,
  type ResultRow,
  type Scenario,
  type ScenarioOutcome,
} from '../harness.ts';

const SIZES = [2, 64] as const;
const HOSTS = 2;

/** A contender running the ring on `workflow`: µs per superstep. */
function ringContender(name: string, workflow: Awaited<ReturnType<typeof buildRing>>, steps: number): Contender {
  return {
    name,
    async once() {
      const { ms, value } = await timed(() => workflow.run(steps, { maxSupersteps: steps + 10 }).result());
      if (value.supersteps !== steps + 1) throw new Error(`${name} ran ${value.supersteps} supersteps`);
      return (ms * 1000) / value.supersteps;
    },
  };
}

export const remoteOverhead: Scenario = {
  id: 'remote-overhead',
  title:
    'superstep-overhead with the actors on 2 host processes over NATS: vs a NATS request-reply floor and in process',
  async run({ quick, progress }): Promise<ScenarioOutcome> {
    if (!(await natsAnswers())) {
      progress(`skipped: NATS is not answering at ${NATS_SERVERS}`);
      return { params: { skipped: 'NATS not answering' }, results: [], ratios: {} };
    }
    const steps = quick ? 200 : 1000;
    const repetitions = quick ? { warmup: 1, reps: 5 } : { warmup: 2, reps: 11 };
    const results: ResultRow[] = [];
    const ratios: Record<string, number> = {};
    const remote = await timed(() => startRemoteHosts(HOSTS, 1));
    const local = await timed(() => createPool({ threads: HOSTS }));
    const floor = await timed(() => NatsFloorLoop.start(HOSTS, NATS_SERVERS));
    const setup = [
      single('superstep', 'startupMs', remote.ms),
      single('superstep-inproc', 'startupMs', local.ms),
      single('floor', 'startupMs', floor.ms),
    ];
    progress(`started · ${HOSTS} host processes ${remote.ms.toFixed(0)} ms · floor ${floor.ms.toFixed(0)} ms`);
    try {
      let worst = 0;
      let worstRemote = 0;
      for (const actors of SIZES) {
        const params = { A: actors, S: steps };
        await using remoteRing = await buildRing(remote.value.set, actors);
        await using localRing = await buildRing(local.value, actors);
        const contenders: Contender[] = [
          ringContender('superstep', remoteRing, steps),
          ringContender('superstep-inproc', localRing, steps),
          {
            name: 'floor',
            async once() {
              const { ms, value } = await timed(() => floor.value.run(actors, steps));
              return (ms * 1000) / value;
            },
          },
        ];
        const samples = await measureInterleaved(contenders, repetitions, (line) => {
          progress(`A=${actors} ${line}`);
        });
        const rows = new Map<string, ResultRow>();
        for (const [name, values] of samples) rows.set(name, row(name, 'usPerSuperstep', values, params));
        results.push(...rows.values());
        const overFloor = ratio(rows.get('superstep'), rows.get('floor'));
        const overLocal = ratio(rows.get('superstep'), rows.get('superstep-inproc'));
        if (overFloor !== undefined) ratios[`superstep/floor@A=${actors}`] = overFloor;
        if (overLocal !== undefined) ratios[`remote/in-process@A=${actors}`] = overLocal;
        worst = Math.max(worst, overFloor ?? 0);
        worstRemote = Math.max(worstRemote, overLocal ?? 0);
      }
      // The plain keys are the size least favourable to superstep (docs/benchmarks.md).
      if (worst > 0) ratios['superstep/floor'] = worst;
      if (worstRemote > 0) ratios['remote/in-process'] = worstRemote;
      return {
        params: { A: [...SIZES], S: steps, hosts: HOSTS, threadsPerHost: 1 },
        results: [...results, ...setup],
        ratios,
      };
    } finally {
      await floor.value.close();
      await local.value.close();
      await remote.value.close();
    }
  },
};
