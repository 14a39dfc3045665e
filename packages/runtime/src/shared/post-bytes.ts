/**
 * Posting codec bytes to another thread: transferred when large, copied when small. A transfer detaches the
 * buffer on one side and wraps its memory again on the other, which costs more than copying a few hundred
 * bytes. Measured as round trips of one message each way between two threads on 2 cores (medians of ten
 * rounds of 2,000): 140 bytes (a small batch or reply) 66 µs copied against 74–79 µs transferred, 4 KB even,
 * 16 KB 87 µs copied against 82 µs transferred.
 */

/** From this size up, a buffer is transferred rather than copied. */
export const TRANSFER_FROM_BYTES = 4096;

/** The one method of a port (or worker) that {@link postBytes} needs. */
export interface BytesPort {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
}

/**
 * Posts `bytes`, which must own their whole buffer (as `encode()` makes them): a view into a larger buffer
 * would copy, or detach, all of it.
 */
export function postBytes(port: BytesPort, bytes: Uint8Array): void {
  if (bytes.byteLength >= TRANSFER_FROM_BYTES) port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  else port.postMessage(bytes);
}
