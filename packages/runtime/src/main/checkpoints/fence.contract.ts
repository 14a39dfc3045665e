/**
 * The fencing contract (guarantee 52) every store with `advanceFence` passes: the store records the highest
 * fencing token per leased instance and refuses a commit with a lower one (`LEASE_LOST`), in the same
 * atomic step as the checkpoint, so a holder paused past its lease writes nothing after the next holder
 * started. A store's test file calls {@link describeFencingContract} with a factory of fresh, empty stores.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointFence, CheckpointStore, CheckpointWrite } from './checkpoint-store.ts';
import { checkpoint, expectCode } from './checkpoint-store.contract.ts';

/** A body-only checkpoint of instance `wf`, written under `fence`. */
function fenced(id: string, fence?: CheckpointFence): CheckpointWrite {
  const write = checkpoint(id, { body: new TextEncoder().encode(id) });
  return fence === undefined ? write : { ...write, fence };
}

/**
 * Registers the fencing suite for one store implementation.
 *
 * @example
 * describeFencingContract('memory', () => Promise.resolve(createMemoryStore()));
 */
export function describeFencingContract(name: string, open: () => Promise<CheckpointStore>): void {
  describe(`checkpoint store fencing: ${name}`, () => {
    let store: CheckpointStore;
    let advance: (fence: CheckpointFence) => Promise<void>;

    beforeEach(async () => {
      store = await open();
      if (store.advanceFence === undefined) throw new Error(`the ${name} store has no advanceFence`);
      advance = (fence) => store.advanceFence?.(fence) ?? Promise.reject(new Error('no advanceFence'));
    });

    afterEach(async () => {
      await store.close();
    });

    it('commits a fenced save, then refuses a save with a lower token (LEASE_LOST) and stores nothing of it', async () => {
      await store.save(fenced('new-holder', { instance: 'orders', token: 7 }));
      await store.save(fenced('same-holder', { instance: 'orders', token: 7 }));
      await expectCode(store.save(fenced('stale-holder', { instance: 'orders', token: 5 })), 'LEASE_LOST');
      expect(await store.load('stale-holder')).toBeUndefined();
      expect((await store.list()).map((meta) => meta.id)).toEqual(['new-holder', 'same-holder']);
    });

    it('a new holder’s advanceFence shuts out the old holder before the new one has saved anything', async () => {
      await store.save(fenced('old-1', { instance: 'orders', token: 3 }));
      await advance({ instance: 'orders', token: 9 });
      const refused = store.save(fenced('old-2', { instance: 'orders', token: 3 }));
      await expectCode(refused, 'LEASE_LOST');
      await expect(refused).rejects.toMatchObject({ details: { instance: 'orders', token: 3, storedToken: 9 } });
      await expectCode(advance({ instance: 'orders', token: 4 }), 'LEASE_LOST');
      await store.save(fenced('new-1', { instance: 'orders', token: 9 }));
      expect((await store.list()).map((meta) => meta.id)).toEqual(['old-1', 'new-1']);
    });

    it('keeps one token per instance; saves without a fence are not checked', async () => {
      await advance({ instance: 'orders', token: 10 });
      await store.save(fenced('invoices-1', { instance: 'invoices', token: 2 }));
      await store.save(fenced('unfenced'));
      expect((await store.list()).map((meta) => meta.id)).toEqual(['invoices-1', 'unfenced']);
    });

    it('refuses malformed fences with INVALID_OPTION', async () => {
      await expectCode(store.save(fenced('a', { instance: '', token: 1 })), 'INVALID_OPTION');
      await expectCode(store.save(fenced('b', { instance: 'orders', token: 1.5 })), 'INVALID_OPTION');
      await expectCode(advance({ instance: 'orders', token: -1 }), 'INVALID_OPTION');
      await expectCode(advance(null as unknown as CheckpointFence), 'INVALID_OPTION');
      expect(await store.list()).toEqual([]);
    });
  });
}
