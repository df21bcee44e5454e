import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { demoDataAnchors } from '../../db/schema';

/** One seeded tenant whose dates were moved forward. */
export interface AgedTenant {
  tenantId: string;
  /** Days the tenant's dates moved (the days elapsed since its anchor). */
  days: number;
}

const daysFrom = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/**
 * Keeps seeded demo tenants in the present: for each tenant in demo_data_anchors whose anchor day is
 * before `today`, moves its deals' close dates and timestamps and its activities' timestamps forward
 * by the days elapsed, then anchors it on `today`. Ids, users, consent records and audit rows are
 * untouched; records added by hand in a seeded tenant move with the rest. A clock set back (anchor in
 * the future) moves nothing. Runs at start, in one system transaction: one statement per table and
 * tenant, so its cost does not depend on the questions asked later.
 */
export async function ageDemoData(database: Database, today: string): Promise<AgedTenant[]> {
  return database.withSystem(async (tx) => {
    const anchors = await tx.select().from(demoDataAnchors);
    const aged: AgedTenant[] = [];
    for (const anchor of anchors) {
      const days = daysFrom(anchor.anchoredOn, today);
      if (days <= 0) continue;
      const t = anchor.tenantId;
      const shift = sql`make_interval(days => ${days}::int)`;
      await tx.execute(
        sql`update deals set close_date = close_date + ${days}::int, created_at = created_at + ${shift}, updated_at = updated_at + ${shift} where tenant_id = ${t}`,
      );
      await tx.execute(sql`update activities set occurred_at = occurred_at + ${shift}, created_at = created_at + ${shift} where tenant_id = ${t}`);
      await tx.update(demoDataAnchors).set({ anchoredOn: today }).where(eq(demoDataAnchors.tenantId, t));
      aged.push({ tenantId: t, days });
    }
    return aged;
  });
}
