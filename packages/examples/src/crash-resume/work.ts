/**
 * The crash-resume example's CPU work, pure and deterministic, so the workflow's result can also be
 * computed sequentially on the main thread ({@link simulate}) and compared.
 */

/** What one run computes: `rounds` rounds of `lanes` parallel hash chains, `iterations` steps each. */
export interface Job {
  readonly rounds: number;
  readonly lanes: number;
  readonly iterations: number;
}

/** Lanes of the workflow. Part of the graph's shape: a checkpoint restores only into as many lanes. */
export const LANES = 4;

/** The lane executors' ids: `lane-0`, `lane-1`, … */
export const laneIds = (lanes: number): string[] => Array.from({ length: lanes }, (_, index) => `lane-${index}`);

/** A 32-bit hash chain: `iterations` rounds of xorshift-multiply mixing (CPU-bound, no allocation). */
export function grind(start: number, iterations: number): number {
  let x = start >>> 0 || 0x9e3779b9;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x = Math.imul(x, 0x2545f491) >>> 0;
  }
  return x >>> 0;
}

/** Each lane's own starting point. */
export function laneSeed(laneId: string): number {
  let x = 2166136261;
  for (const char of laneId) x = Math.imul(x ^ char.charCodeAt(0), 16777619) >>> 0;
  return x;
}

/** Combines one round's lane values (in lane order) into the round's digest. */
export function combine(previous: number, values: readonly number[]): number {
  let x = previous;
  for (const value of values) x = Math.imul(x ^ value, 0x01000193) >>> 0;
  return x >>> 0;
}

/** The salt of round 1; later rounds are salted with the previous round's digest. */
export const FIRST_SALT = 0x9e3779b9;

export const hex = (value: number): string => value.toString(16).padStart(8, '0');

/** The workflow's final result, computed sequentially (for checking). */
export function simulate(job: Job): { digest: string; rounds: number } {
  const acc = new Map(laneIds(job.lanes).map((id) => [id, 0]));
  let digest = 0;
  let salt = FIRST_SALT;
  for (let round = 1; round <= job.rounds; round++) {
    const values = laneIds(job.lanes).map((id) => {
      const value = grind((acc.get(id) ?? 0) ^ salt ^ laneSeed(id), job.iterations);
      acc.set(id, value);
      return value;
    });
    digest = combine(digest, values);
    salt = digest;
  }
  return { digest: hex(digest), rounds: job.rounds };
}
