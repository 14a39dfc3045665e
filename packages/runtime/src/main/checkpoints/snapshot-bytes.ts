/**
 * An actor's snapshot as the main thread holds it: its msgpack bytes and their blob key.
 *
 * Snapshot bytes the coordinator holds are never written after they are made, so a key, once known, stays
 * true for as long as the snapshot lives. It travels with the bytes: a host that keyed a snapshot while
 * encoding it hands the key over with them, a restore knows each key from the checkpoint it checked, and
 * otherwise the key is made on first use. An unchanged actor keeps its snapshot from one barrier to the
 * next, so each snapshot is keyed once and every checkpoint names it by the same key.
 */
import { newBlobKey } from '../../shared/blob-key.ts';

export class Snapshot {
  private knownKey: string | undefined;

  /** `key`: the bytes' blob key if it is known already (see shared/blob-key.ts). */
  constructor(
    readonly bytes: Uint8Array,
    key?: string | null,
  ) {
    this.knownKey = key ?? undefined;
  }

  /** The blob key of the bytes, made on first use. */
  get key(): string {
    return (this.knownKey ??= newBlobKey(this.bytes));
  }
}
