/**
 * Every benchmark scenario, in run order. Adding a scenario = one file in `scenarios/` exporting a
 * `Scenario` (see harness.ts) and one line here. Ids are fixed by BENCH.md.
 */
import type { Scenario } from './harness.ts';
import { fanoutCpu } from './scenarios/fanout-cpu.ts';
import { superstepOverhead } from './scenarios/superstep-overhead.ts';

export const SCENARIOS: readonly Scenario[] = [fanoutCpu, superstepOverhead];
