/**
 * The order pipeline, built from library executors (worker-safe: imports only the executor entries).
 *
 *   intake ─┬─▶ unique (dedupe) ─▶ valid (filter) ─▶ enrich (map) ─▶ desk (router) ─┬─▶ pager  (collect)
 *           │                                                                       └─▶ ledger (collect)
 *           ├─▶ stats (map) ─┬─▶ overview (join)          both see stats and risk: a join keyed by source,
 *           └─▶ risk  (map) ─┴─▶ record   (fanInRecord)   and a fan-in record
 */
import { collect, dedupe, fanInRecord, filter, join, map, router } from '@superstep/executors';
import { defineExecutor } from '@superstep/runtime/executor';
import { TAX, risks, statistics, type EnrichedOrder, type Order } from './orders.ts';

/** Sends each order down the pipeline, and the whole batch to the two analyses. */
export const intake = defineExecutor<readonly Order[], Order | readonly Order[]>({
  handle(orders, ctx) {
    for (const order of orders) ctx.send(order, { to: 'unique' });
    ctx.send(orders, { to: 'stats' });
    ctx.send(orders, { to: 'risk' });
  },
});

/** A retried delivery is handled once. */
export const unique = dedupe({ key: (order: Order) => order.id });
/** Orders without an amount go no further. */
export const valid = filter((order: Order) => order.amount > 0);
/** Adds the gross amount (stateless: spread over the threads). */
export const enrich = map((order: Order): EnrichedOrder => ({
  ...order,
  gross: Math.round(order.amount * (1 + TAX[order.region]) * 100) / 100,
}));
/** High-priority orders page someone; the rest go to the ledger. */
export const desk = router<EnrichedOrder>({ by: 'priority', routes: { high: 'pager' }, default: 'ledger' });
export const pager = collect<EnrichedOrder>();
export const ledger = collect<EnrichedOrder>();

export const stats = map((orders: readonly Order[]) => statistics(orders));
export const risk = map((orders: readonly Order[]) => risks(orders));
/** The two analyses, keyed by source. */
export const overview = join({ sources: ['stats', 'risk'], emit: 'output' });
/** The same two, as a fan-in record. */
export const record = fanInRecord({ emit: 'output' });
