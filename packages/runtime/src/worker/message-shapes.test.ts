/**
 * The two messages every superstep carries are written with shapes every side of the data plane knows
 * (`MESSAGE_SHAPES` in shared/codec.ts): the objects the runtime builds must have exactly those keys, in
 * that order, and no other buffer may change how a message reads.
 */
import { describe, expect, it } from 'vitest';
import { MESSAGE_SHAPES, decode, encode, encodeMessage } from '../shared/codec.ts';
import { SuperstepError } from '../shared/errors.ts';
import { LinkBatches } from '../shared/host-set.ts';
import type { StepBatch } from '../shared/protocol.ts';
import { StepOutput, stepReply } from './step-output.ts';

function batch(): StepBatch {
  return new LinkBatches(() => undefined).next({
    op: 'step',
    instance: 'wf1-0b247100',
    run: 1,
    superstep: 16,
    continuation: false,
    shared: [],
    deliveries: [['a1', ['a0', 26]]],
    keySnapshots: false,
    timed: false,
  });
}

describe('message shapes', () => {
  it('a batch (LinkBatches.next) and a reply (stepReply) have exactly the known shapes, key for key in order', () => {
    expect(Object.keys(batch())).toEqual(MESSAGE_SHAPES[0]);
    expect(Object.keys(stepReply(batch(), new StepOutput(false), []))).toEqual(MESSAGE_SHAPES[1]);
  });

  it('encodeMessage writes a batch and a reply without their keys, and decode gives them back equal', () => {
    for (const message of [batch(), stepReply(batch(), new StepOutput(true), [])]) {
      const bytes = encodeMessage(message);
      expect(decode(bytes)).toEqual(message);
      const keys = Object.keys(message).join('').length;
      expect(bytes.byteLength).toBeLessThan(encode(message).byteLength - keys);
    }
  });

  it('a message carrying hundreds of payload shapes round-trips: only the envelope uses a known shape', () => {
    const payloads = Array.from({ length: 300 }, (_, index) => ({
      [`k${index}`]: index,
      inner: { [`n${index}`]: [index] },
    }));
    const message = { ...batch(), deliveries: [['a1', payloads.flatMap((payload) => ['a0', payload])]] };
    expect(decode(encodeMessage(message))).toEqual(message);
  });

  it('a self-contained buffer that defines records under the known ids, read whole or failing half-way, does not change how the next message reads', () => {
    // encode() numbers its own records from the first id, the one the batch's shape has in messages.
    const own = encode([{ x: 1, y: 2 }, { z: 3 }, new Map([[1, { w: 4 }]])]);
    const message = encodeMessage(batch());
    expect(decode(own)).toEqual([{ x: 1, y: 2 }, { z: 3 }, new Map([[1, { w: 4 }]])]);
    expect(decode(message)).toEqual(batch());
    const cut = own.subarray(0, own.byteLength - 3);
    expect(() => decode(cut)).toThrow(SuperstepError);
    expect(decode(message)).toEqual(batch());
  });
});
