/** The in-process lease: one hold per name, tokens that grow, release that frees only its own hold. */
import { describe, expect, it } from 'vitest';
import { isSuperstepError } from '../../shared/errors.ts';
import { createLocalLease } from './instance-lease.ts';

describe('local lease', () => {
  it('holds a name for one holder; WORKFLOW_BUSY for the next until release, then a higher token', async () => {
    const lease = createLocalLease();
    const first = await lease.acquire('orders');
    const refused = await lease.acquire('orders').catch((error: unknown) => error);
    expect(isSuperstepError(refused, 'WORKFLOW_BUSY')).toBe(true);
    expect(refused).toMatchObject({ details: { instance: 'orders', token: first.token } });
    const other = await lease.acquire('invoices');
    await first.release();
    const second = await lease.acquire('orders');
    expect(second.token).toBeGreaterThan(other.token);
    // A stale release (the first hold's, again) does not free the second hold.
    await first.release();
    await expect(lease.acquire('orders')).rejects.toMatchObject({ code: 'WORKFLOW_BUSY' });
    await Promise.all([second.release(), other.release(), lease.close()]);
  });

  it('refuses an empty instance name with INVALID_OPTION', async () => {
    await expect(createLocalLease().acquire('')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
