/**
 * The small message of `message-throughput`, identical on both systems. Pure: imported by the superstep
 * executors and by the floor's worker.
 */

export interface ThroughputMessage {
  readonly seq: number;
  readonly value: number;
}

/** Message number `seq` of a run (it goes to sink `seq % sinks`). */
export function throughputMessage(seq: number): ThroughputMessage {
  return { seq, value: Math.imul(seq, 0x9e3779b1) >>> 16 };
}
