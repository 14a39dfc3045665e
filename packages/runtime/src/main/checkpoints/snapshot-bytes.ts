/**
 * What the runtime knows about bytes it made: their content hash, and that they are immutable.
 *
 * Snapshot bytes the coordinator holds, and checkpoint bodies the checkpointer encodes, are never written
 * after they are made. So a hash, once known, stays true for as long as the object lives — a host that
 * hashed a snapshot while encoding it hands the hash over with the bytes, and an unchanged actor keeps its
 * bytes object from one barrier to the next, so each snapshot is hashed once. And a store may keep such
 * bytes without its defensive copy: they cannot alias live state that changes (SPEC 26 allows "immutable
 * bytes"). Bytes from anywhere else (a caller of `store.save`) are unknown here and still copied.
 */
import { contentHash } from '../../shared/content-hash.ts';

const hashes = new WeakMap<Uint8Array, string>();
const immutable = new WeakSet<Uint8Array>();

/** The SHA-256 hex of `bytes`, computed on first use. */
export function snapshotHash(bytes: Uint8Array): string {
  let hash = hashes.get(bytes);
  if (hash === undefined) hashes.set(bytes, (hash = contentHash(bytes)));
  return hash;
}

/** Records a hash computed elsewhere (by the host that encoded the bytes, or checked on restore). */
export function rememberSnapshotHash(bytes: Uint8Array, hash: string): void {
  hashes.set(bytes, hash);
}

/** Declares bytes the runtime made and will never write again. Returns them. */
export function markImmutable<T extends Uint8Array>(bytes: T): T {
  immutable.add(bytes);
  return bytes;
}

export function isImmutable(bytes: Uint8Array): boolean {
  return immutable.has(bytes);
}
