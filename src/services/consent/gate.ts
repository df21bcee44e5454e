import { and, count, eq, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { consentCounts } from '../../db/schema';
import type { ServiceContext } from '../context';

/** The lists the consent gate reports on; each table carries a trigger-maintained `consent_hidden` flag. */
export type GatedList = 'accounts' | 'contacts' | 'deals';

type GatedTable = PgTable & { consentHidden: PgColumn; tenantId: PgColumn };

/** The record passes the consent gate. */
export const consentVisible = (table: GatedTable): SQL => eq(table.consentHidden, false);

/**
 * How many records matching `where` consent hid, across the whole result. Without filters this is
 * the tenant's maintained total (constant time); with filters it counts the hidden matches only.
 */
export async function consentHiddenCount(
  ctx: ServiceContext,
  list: GatedList,
  table: GatedTable,
  where: SQL | undefined,
  filtered: boolean,
): Promise<number> {
  if (!filtered) {
    const [row] = await ctx.tx
      .select({ n: consentCounts.hidden })
      .from(consentCounts)
      .where(and(eq(consentCounts.tenantId, ctx.principal.tenantId), eq(consentCounts.list, list)));
    return Math.max(0, row?.n ?? 0);
  }
  const [row] = await ctx.tx
    .select({ n: count() })
    .from(table)
    .where(and(where, eq(table.consentHidden, true)));
  return row?.n ?? 0;
}
