/**
 * Every benchmark scenario, in run order. Adding a scenario = one file in `scenarios/` exporting a
 * `Scenario` (see harness.ts) and one line here. Ids are fixed (docs/benchmarks.md#scenarios).
 */
import type { Scenario } from './harness.ts';
import { checkpointOverhead } from './scenarios/checkpoint-overhead.ts';
import { eventLoopLag } from './scenarios/event-loop-lag.ts';
import { fanoutCpu } from './scenarios/fanout-cpu.ts';
import { mapReduceCorpus } from './scenarios/map-reduce-corpus.ts';
import { messageThroughput } from './scenarios/message-throughput.ts';
import { remoteOverhead } from './scenarios/remote-overhead.ts';
import { respondLatency } from './scenarios/respond-latency.ts';
import { restore } from './scenarios/restore.ts';
import { superstepOverhead } from './scenarios/superstep-overhead.ts';
import { tracingOverhead } from './scenarios/tracing-overhead.ts';
import { workerStartup } from './scenarios/worker-startup.ts';

export const SCENARIOS: readonly Scenario[] = [
  fanoutCpu,
  mapReduceCorpus,
  superstepOverhead,
  tracingOverhead,
  messageThroughput,
  eventLoopLag,
  respondLatency,
  checkpointOverhead,
  restore,
  workerStartup,
  remoteOverhead,
];
