import { describe, expect, it } from 'vitest';
import { runOrders } from './main.ts';
import { TAX, generateOrders, risks, statistics } from './orders.ts';

describe('order pipeline (map, filter, dedupe, router, join, fanInRecord, collect)', () => {
  it('de-duplicates, filters, enriches, routes by priority and joins both analyses', async () => {
    const orders = generateOrders(60);
    const report = await runOrders(60, { threads: 2 });

    // dedupe + filter: every distinct order with an amount, once.
    const expected = new Map(orders.filter((order) => order.amount > 0).map((order) => [order.id, order]));
    const handled = [...report.paged, ...report.ledger];
    expect(handled.map((order) => order.id).sort()).toEqual([...expected.keys()].sort());
    // map: the gross amount.
    for (const order of handled) {
      expect(order.gross).toBe(Math.round(order.amount * (1 + TAX[order.region]) * 100) / 100);
    }
    // router: high priority to the pager, the rest to the ledger.
    expect(report.paged.every((order) => order.priority === 'high')).toBe(true);
    expect(report.ledger.every((order) => order.priority === 'normal')).toBe(true);
    expect(report.paged.length).toBeGreaterThan(0);
    // join and fanInRecord: both analyses of the whole batch (duplicates included), keyed by source.
    expect(report.overview).toMatchObject({
      values: { stats: statistics(orders), risk: risks(orders) },
      partial: false,
    });
    expect(report.record).toEqual({ stats: statistics(orders), risk: risks(orders) });
  });
});
