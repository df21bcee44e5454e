export interface Order {
  id: string;
  placed_at: string;
  total_cents: number;
  status: 'placed' | 'shipped' | 'delivered' | 'refunded';
}

/** Fake order data: replace with a call to your own system. */
const ORDERS: Record<string, Order[]> = {
  'ada@example.com': [
    { id: 'ord_1003', placed_at: '2026-11-28', total_cents: 12_900, status: 'shipped' },
    { id: 'ord_1001', placed_at: '2026-10-02', total_cents: 4_500, status: 'delivered' },
  ],
  'grace@example.com': [{ id: 'ord_1002', placed_at: '2026-11-03', total_cents: 89_000, status: 'refunded' }],
  'withdrawn@example.com': [{ id: 'ord_0999', placed_at: '2026-01-15', total_cents: 1_000, status: 'delivered' }],
};

export function lookupOrders(email: string, limit: number) {
  const orders = (ORDERS[email.trim().toLowerCase()] ?? []).slice(0, limit);
  return { email, orders, returned: orders.length };
}
