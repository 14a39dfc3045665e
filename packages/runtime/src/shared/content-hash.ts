/**
 * The content address of a snapshot: SHA-256, lower-case hex. One definition for both sides, because a
 * host hashes the snapshots it encodes (in parallel, off the main thread) when the run checkpoints, and
 * the main thread hashes whatever arrives without one.
 */
import { createHash } from 'node:crypto';

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
