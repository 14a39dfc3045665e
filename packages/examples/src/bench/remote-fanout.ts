/**
 * `fanout-cpu`'s `superstep-remote` system: the same split → work → collect workflow with its actors on 2
 * `superstep-host` processes over NATS, as many threads in all as the other systems get. On one machine it
 * cannot beat the in-process pool — the processes share the same cores — so about 1× is the expected
 * ratio; what it shows is what the NATS hops cost a CPU-bound fan-out.
 */
import { WorkflowBuilder, executorModule } from '@superstep/runtime';
import type { FanoutJob } from './executors.ts';
import { timed } from './harness.ts';
import { natsAnswers, startRemoteHosts } from './remote-hosts.ts';
import type { FanoutSystem } from './fanout-system.ts';

const mod = executorModule<typeof import('./executors.js')>(new URL('./executors.js', import.meta.url));
const HOSTS = 2;

export const superstepRemote: FanoutSystem = {
  name: 'superstep-remote',
  available: natsAnswers,
  async start(work, threads) {
    const hosts = await timed(() => startRemoteHosts(HOSTS, Math.max(1, Math.floor(threads / HOSTS))));
    try {
      const built = await timed(() =>
        new WorkflowBuilder(mod.executor('fanoutSplit'))
          .addEdge('fanoutSplit', mod.executor('fanoutWork'))
          .addEdge('fanoutWork', mod.executor('fanoutCollect'))
          .build({ pool: hosts.value.set }),
      );
      const job: FanoutJob = { tasks: work.tasks, iterations: work.iterations };
      return {
        setup: [
          { metric: 'startupMs', ms: hosts.ms },
          { metric: 'buildMs', ms: built.ms },
        ],
        async run() {
          const result = await built.value.run(job).result();
          return result.outputs[0] as number;
        },
        async close() {
          await built.value.close();
          await hosts.value.close();
        },
      };
    } catch (error) {
      await hosts.value.close();
      throw error;
    }
  },
};
