/**
 * The fixed CPU work of `fanout-cpu`: deterministic integer arithmetic (xorshift32), identical on every
 * system and thread. Pure: imported by the main thread, the superstep executors and the piscina task.
 */

/** Runs `iterations` rounds of xorshift32 from `seed` and returns a checksum (so the work cannot be skipped). */
export function cpuWork(iterations: number, seed: number): number {
  let x = seed | 0 || 1;
  let sum = 0;
  for (let index = 0; index < iterations; index++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    sum = (sum + (x & 0xffff)) | 0;
  }
  return sum >>> 0;
}

/** The seed of task `index` (0-based), so every system computes the same checksums. */
export function taskSeed(index: number): number {
  return 0x9e3779b9 ^ (index + 1);
}

/** How long `cpuWork(iterations)` takes on this thread, in ms. */
function timeWork(iterations: number, seed: number): number {
  const start = performance.now();
  cpuWork(iterations, seed);
  return performance.now() - start;
}

/**
 * Finds the iteration count for which one task takes about `targetMs` on this thread: warm the JIT, grow
 * the count until a run lasts ≥ 2 × `targetMs`, scale linearly by the fastest of three runs at that count
 * (the one least disturbed by other processes), then report the median of three runs of the result.
 */
export function calibrate(targetMs: number): { iterations: number; measuredMs: number } {
  for (let index = 0; index < 5; index++) cpuWork(200_000, index + 1);
  let iterations = 100_000;
  while (timeWork(iterations, 1) < 2 * targetMs) iterations *= 2;
  const fastest = Math.min(timeWork(iterations, 2), timeWork(iterations, 3), timeWork(iterations, 4));
  const calibrated = Math.max(1, Math.round((iterations * targetMs) / fastest));
  const [, median = Number.NaN] = [5, 6, 7].map((seed) => timeWork(calibrated, seed)).sort((a, b) => a - b);
  return { iterations: calibrated, measuredMs: median };
}
