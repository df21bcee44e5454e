import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { usageLedger } from '../../db/schema';
import { ErrorCode, badInput } from '../../lib/errors';
import type { ServiceContext } from '../context';

/** The longest period one usage report covers. */
export const MAX_USAGE_DAYS = 92;

export interface UsageRow {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** The GraphQL operation or MCP tool name. */
  operation: string;
  path: string;
  calls: number;
  costCents: number;
}

export interface UsageReport {
  from: string;
  to: string;
  totalCalls: number;
  totalCents: number;
  /** One row per day with calls (UTC), oldest first. */
  days: { day: string; calls: number; costCents: number }[];
  /** One row per operation or tool, most expensive first. */
  tools: { operation: string; calls: number; costCents: number }[];
  /** One row per day, operation and path. */
  rows: UsageRow[];
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

/** Usage and cost from the ledger (what each call was charged), by day and by tool, for `from`–`to` (UTC days, inclusive). */
export async function usageReport(ctx: ServiceContext, range: { from?: string | null; to?: string | null }): Promise<UsageReport> {
  const to = range.to ? new Date(`${range.to}T00:00:00Z`) : new Date(`${isoDay(new Date())}T00:00:00Z`);
  const from = range.from ? new Date(`${range.from}T00:00:00Z`) : new Date(to.getTime() - 29 * DAY_MS);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badInput(ErrorCode.BadUserInput, '`from` and `to` must be dates (YYYY-MM-DD).');
  if (from > to) throw badInput(ErrorCode.BadUserInput, '`from` must not be after `to`.');
  if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_USAGE_DAYS) {
    throw badInput(ErrorCode.BadUserInput, `A usage report covers at most ${MAX_USAGE_DAYS} days.`, { max: MAX_USAGE_DAYS });
  }
  const day = sql<string>`to_char(${usageLedger.at} at time zone 'UTC', 'YYYY-MM-DD')`;
  const grouped = await ctx.tx
    .select({
      day,
      operation: usageLedger.operation,
      path: usageLedger.path,
      calls: sql<number>`count(*)::int`,
      micro: sql<string>`sum(${usageLedger.costMicrocents})::text`,
    })
    .from(usageLedger)
    .where(and(eq(usageLedger.tenantId, ctx.principal.tenantId), gte(usageLedger.at, from), lt(usageLedger.at, new Date(to.getTime() + DAY_MS))))
    .groupBy(day, usageLedger.operation, usageLedger.path)
    .orderBy(day, usageLedger.operation, usageLedger.path);
  const rows: UsageRow[] = grouped.map((r) => ({ day: r.day, operation: r.operation, path: r.path, calls: Number(r.calls), costCents: Number(r.micro) / 1_000_000 }));
  const days = new Map<string, { day: string; calls: number; costCents: number }>();
  const tools = new Map<string, { operation: string; calls: number; costCents: number }>();
  for (const r of rows) {
    const d = days.get(r.day) ?? { day: r.day, calls: 0, costCents: 0 };
    d.calls += r.calls;
    d.costCents += r.costCents;
    days.set(r.day, d);
    const t = tools.get(r.operation) ?? { operation: r.operation, calls: 0, costCents: 0 };
    t.calls += r.calls;
    t.costCents += r.costCents;
    tools.set(r.operation, t);
  }
  return {
    from: isoDay(from),
    to: isoDay(to),
    totalCalls: rows.reduce((n, r) => n + r.calls, 0),
    totalCents: rows.reduce((n, r) => n + r.costCents, 0),
    days: [...days.values()],
    tools: [...tools.values()].sort((a, b) => b.costCents - a.costCents || b.calls - a.calls),
    rows,
  };
}
