/**
 * The blob key of each snapshot the runtime holds.
 *
 * Snapshot bytes the coordinator holds are never written after they are made. So a key, once given,
 * stays true for as long as the object lives — a host that keyed a snapshot while encoding it hands the
 * key over with the bytes, and an unchanged actor keeps its bytes object from one barrier to the next, so
 * each snapshot is keyed once and every checkpoint names it by the same key.
 */
import { newBlobKey } from '../../shared/blob-key.ts';

const keys = new WeakMap<Uint8Array, string>();

/** The blob key of `bytes` (see shared/blob-key.ts), made on first use. */
export function snapshotKey(bytes: Uint8Array): string {
  let key = keys.get(bytes);
  if (key === undefined) keys.set(bytes, (key = newBlobKey(bytes)));
  return key;
}

/** Records a key given elsewhere (by the host that encoded the bytes, or checked on restore). */
export function rememberSnapshotKey(bytes: Uint8Array, key: string): void {
  keys.set(bytes, key);
}
