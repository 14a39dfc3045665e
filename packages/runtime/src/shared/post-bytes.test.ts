import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TRANSFER_FROM_BYTES, postBytes } from './post-bytes.ts';

describe('postBytes', () => {
  it('copies a buffer under the threshold and transfers one at or over it; the receiver gets the same bytes either way', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      for (const size of [140, TRANSFER_FROM_BYTES - 1, TRANSFER_FROM_BYTES, 64 * 1024]) {
        const bytes = Uint8Array.from({ length: size }, (_, index) => index % 251);
        const expected = bytes.slice();
        const received = once(port2, 'message');
        postBytes(port1, bytes);
        // A transferred buffer is detached on the sending side; a copied one is untouched.
        expect(bytes.byteLength, `size ${size}`).toBe(size < TRANSFER_FROM_BYTES ? size : 0);
        const [got] = (await received) as [Uint8Array];
        expect(got).toEqual(expected);
      }
    } finally {
      port1.close();
      port2.close();
    }
  });
});
