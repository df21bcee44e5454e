import { and, eq, gte, sql } from 'drizzle-orm';
import { usageLedger } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import { toCents } from '../audit/call';
import type { ServiceContext } from '../context';

/** The start of today (UTC) as the database sees it, the day a daily cap counts. */
const startOfUtcDay = sql`(date_trunc('day', now() at time zone 'utc') at time zone 'utc')`;

/** What the tenant was charged today (UTC) for one federated tool, in micro-cents (ledger rows name the tool, on every path). */
export async function spentToday(ctx: ServiceContext, federatedName: string): Promise<number> {
  const [row] = await ctx.tx
    .select({ spent: sql<string>`coalesce(sum(${usageLedger.costMicrocents}), 0)` })
    .from(usageLedger)
    .where(and(eq(usageLedger.tenantId, ctx.principal.tenantId), eq(usageLedger.operation, federatedName), gte(usageLedger.at, startOfUtcDay)));
  return Number(row?.spent ?? 0);
}

/**
 * Refuses a call with COST_CAP_EXCEEDED when today's (UTC) charges for the tool plus its estimated
 * cost would pass its daily cap (`capMicrocents`; null: no cap). Runs before the upstream is called.
 * Calls in flight are not counted until they commit, so concurrent calls may together pass the cap
 * by at most their own estimates.
 */
export async function assertWithinCostCap(ctx: ServiceContext, federatedName: string, capMicrocents: number | null, estMicrocents: number): Promise<void> {
  if (capMicrocents === null) return;
  const spent = await spentToday(ctx, federatedName);
  if (spent + estMicrocents <= capMicrocents) return;
  throw new PactError(
    ErrorCode.CostCapExceeded,
    `${federatedName} has reached its daily cost cap: ${toCents(spent)} of ${toCents(capMicrocents)} cents spent today (UTC), and a call costs ${toCents(estMicrocents)}. It resets at midnight UTC.`,
    { cap_cents: toCents(capMicrocents), spent_cents: toCents(spent), est_cost_cents: toCents(estMicrocents) },
  );
}
