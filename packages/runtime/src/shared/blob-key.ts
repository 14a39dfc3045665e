/**
 * Blob keys: how a checkpoint names an actor snapshot. A key is 64 lowercase hex characters — the first
 * 8 the CRC-32 of its bytes, the other 56 unique to the snapshot (a random prefix per thread, then a
 * counter). The CRC comes first because it is evenly spread: the file store shards blobs by a key's first
 * two digits. One definition for both sides: a host keys the snapshots it encodes when the run checkpoints
 * (in parallel, off the main thread), and the main thread keys whatever arrives without one.
 *
 * Why not a content hash (checkpoint format 1 used SHA-256): an unchanged actor keeps its bytes object
 * from one barrier to the next, so it keeps its key either way, and that is all incremental checkpoints
 * need (guarantee 28). What a content hash added — one blob for equal states of different snapshots — is rare,
 * and hashing every changed snapshot was the largest cost of a checkpoint (about 10 µs per 16 KB, against
 * 3.4 µs for CRC-32). A unique key also cannot be made to collide by choosing a state. The CRC still
 * catches bytes damaged in a store: restore refuses a blob whose CRC does not match its key (guarantee 42).
 */
import * as crypto from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Hex digits of a key: the CRC-32 first, then the part unique to the snapshot (prefix and counter). */
const CRC_DIGITS = 8;
const UNIQUE_DIGITS = 56;
const COUNTER_DIGITS = 16;

/** 160 random bits per thread: keys made by different threads or processes do not meet. */
let prefix = crypto.randomBytes((UNIQUE_DIGITS - COUNTER_DIGITS) / 2).toString('hex');
let counter = 0;

/** A new key for `bytes`, which must never be written afterwards. */
export function newBlobKey(bytes: Uint8Array): string {
  if (counter === Number.MAX_SAFE_INTEGER) {
    prefix = crypto.randomBytes((UNIQUE_DIGITS - COUNTER_DIGITS) / 2).toString('hex');
    counter = 0;
  }
  const unique = (counter++).toString(16).padStart(COUNTER_DIGITS, '0');
  return crc32(bytes).toString(16).padStart(CRC_DIGITS, '0') + prefix + unique;
}

/**
 * Whether `bytes` are what `key` names, as checkpoint format `formatVersion` keys blobs: format 2 checks
 * the CRC-32 in the key, format 1 the SHA-256 the key was.
 */
export function blobKeyMatches(key: string, bytes: Uint8Array, formatVersion: number): boolean {
  if (formatVersion === 1) return crypto.createHash('sha256').update(bytes).digest('hex') === key;
  return Number.parseInt(key.slice(0, CRC_DIGITS), 16) === crc32(bytes);
}
