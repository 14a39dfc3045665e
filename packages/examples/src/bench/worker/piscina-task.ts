/** The piscina task of fanout-cpu: the same CPU work as the superstep executor, one task per call. */
import { isMainThread, threadId } from 'node:worker_threads';
import { cpuWork } from '../cpu-work.ts';

if (isMainThread) throw new Error('bench/worker/piscina-task.ts runs only inside a piscina worker');

export interface PiscinaWorkTask {
  readonly iterations: number;
  readonly seed: number;
}

export default function piscinaTask(task: PiscinaWorkTask): number {
  return cpuWork(task.iterations, task.seed);
}

/** The worker's thread id: start-up runs it until every thread has answered. */
export function whoAmI(): number {
  return threadId;
}
