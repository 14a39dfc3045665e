/**
 * What the hand-written floor transfers with a buffer it posts: as the runtime does (docs/design.md#small-posts),
 * the buffer itself only from 4 KB up, since a small one is cheaper to copy than to transfer.
 */
export function floorTransferList(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteLength >= 4096 ? [bytes.buffer as ArrayBuffer] : [];
}
