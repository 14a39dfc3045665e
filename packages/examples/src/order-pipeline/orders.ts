/** The order pipeline's data: deterministic orders, some delivered twice, some invalid. Pure. */

export interface Order {
  readonly id: string;
  readonly region: 'eu' | 'us' | 'apac';
  readonly priority: 'high' | 'normal';
  readonly amount: number;
}

export interface EnrichedOrder extends Order {
  /** Amount with the region's tax. */
  readonly gross: number;
}

export const TAX: Readonly<Record<Order['region'], number>> = { eu: 0.2, us: 0.07, apac: 0.1 };

/** `count` orders from a fixed seed; every tenth is delivered twice, every thirteenth has amount 0. */
export function generateOrders(count: number, seed = 7): Order[] {
  const regions = ['eu', 'us', 'apac'] as const;
  const orders: Order[] = [];
  let state = seed;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  for (let index = 0; index < count; index++) {
    const order: Order = {
      id: `o${index}`,
      region: regions[next() % 3] ?? 'eu',
      priority: next() % 5 === 0 ? 'high' : 'normal',
      amount: index % 13 === 0 ? 0 : (next() % 50_000) / 100,
    };
    orders.push(order);
    if (index % 10 === 0) orders.push(order); // a retried delivery
  }
  return orders;
}

/** Figures over a whole batch. */
export function statistics(orders: readonly Order[]): {
  orders: number;
  total: number;
  regions: Record<string, number>;
} {
  const regions: Record<string, number> = {};
  let total = 0;
  for (const order of orders) {
    regions[order.region] = (regions[order.region] ?? 0) + 1;
    total += order.amount;
  }
  return { orders: orders.length, total: Math.round(total * 100) / 100, regions };
}

/** Ids of suspicious orders: unusually large, or seen more than once. */
export function risks(orders: readonly Order[]): string[] {
  const seen = new Set<string>();
  const flagged = new Set<string>();
  for (const order of orders) {
    if (order.amount > 450 || seen.has(order.id)) flagged.add(order.id);
    seen.add(order.id);
  }
  return [...flagged].sort();
}
