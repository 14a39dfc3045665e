/**
 * Blob keys (guarantees 28, 42): unique per snapshot, well-formed for every store, and a check that catches
 * changed bytes — by the CRC-32 in the key for format 2, by SHA-256 for format-1 keys.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobKeyMatches, newBlobKey } from './blob-key.ts';

describe('blob keys', () => {
  it('are 64 lowercase hex characters, different for every snapshot even when the bytes are equal', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const keys = Array.from({ length: 1000 }, () => newBlobKey(bytes));
    for (const key of keys) {
      // What every store accepts as a blob key (checkpoint-validation.ts).
      expect(key).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('match the bytes they were made for, and not those bytes with any one byte changed, cut or extended', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, delta) => {
          const key = newBlobKey(bytes);
          expect(blobKeyMatches(key, bytes, 2)).toBe(true);
          const changed = Uint8Array.from(bytes);
          const index = at % bytes.length;
          changed[index] = ((changed[index] ?? 0) + delta) % 256;
          expect(blobKeyMatches(key, changed, 2)).toBe(false);
          expect(blobKeyMatches(key, bytes.subarray(0, bytes.length - 1), 2)).toBe(false);
          expect(blobKeyMatches(key, Uint8Array.from([...bytes, 0]), 2)).toBe(false);
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('of format 1 are the SHA-256 of the bytes, and checked as such', () => {
    const bytes = new TextEncoder().encode('a snapshot');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(blobKeyMatches(sha256, bytes, 1)).toBe(true);
    expect(blobKeyMatches(sha256, new TextEncoder().encode('a snapshoT'), 1)).toBe(false);
    // A format-2 key is not a SHA-256: read as format 1, it does not match.
    expect(blobKeyMatches(newBlobKey(bytes), bytes, 1)).toBe(false);
  });
});
