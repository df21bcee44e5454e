import { and, count, desc, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { accounts, deals } from '../../db/schema';
import { record, type ServiceContext } from '../context';
import { hiddenCount, listHidden } from '../consent/hidden';
import { ErrorCode, badInput } from '../../lib/errors';
import { consentNote } from './paging';
import { optionalId } from '../input';
import { DEAL_STAGES, OPEN_STAGES, type DealStage } from './deals';

export interface StageHealth {
  stage: DealStage;
  count: number;
  valueCents: number;
  weightedValueCents: number;
}

export interface TopDeal {
  id: string;
  name: string;
  stage: DealStage;
  amountCents: number;
  probability: number;
  accountName: string;
}

export interface PipelineHealth {
  openValueCents: number;
  weightedValueCents: number;
  openDeals: number;
  wonDeals: number;
  lostDeals: number;
  /** Won ÷ (won + lost), 0 when nothing has closed. */
  winRate: number;
  byStage: StageHealth[];
  topDeals: TopDeal[];
  consentFiltered: number;
  note: string;
}

const TOP_DEALS = 5;

/** Pipeline aggregates over consented deals only; says how many deals consent excluded. */
export async function pipelineHealth(ctx: ServiceContext, filter: { ownerId?: string | null | undefined }): Promise<PipelineHealth> {
  const ownerId = optionalId(filter.ownerId, 'ownerId');
  const where = and(eq(deals.tenantId, ctx.principal.tenantId), ownerId ? eq(deals.ownerId, ownerId) : undefined);
  const stageRows = await ctx.tx
    .select({
      stage: deals.stage,
      count: count(),
      valueCents: sql<string>`coalesce(sum(${deals.amountCents}), 0)`,
      weightedValueCents: sql<string>`coalesce(round(sum(${deals.amountCents} * ${deals.probability}) / 100.0), 0)`,
    })
    .from(deals)
    .where(where)
    .groupBy(deals.stage);
  const hidden = await listHidden(ctx, deals, where, Boolean(ownerId));
  const top = await ctx.tx
    .select({
      id: deals.id,
      name: deals.name,
      stage: deals.stage,
      amountCents: deals.amountCents,
      probability: deals.probability,
      accountName: accounts.name,
    })
    .from(deals)
    .innerJoin(accounts, eq(accounts.id, deals.accountId))
    .where(and(where, inArray(deals.stage, [...OPEN_STAGES])))
    .orderBy(desc(deals.amountCents), deals.id)
    .limit(TOP_DEALS);

  const byStage: StageHealth[] = DEAL_STAGES.map((stage) => {
    const row = stageRows.find((r) => r.stage === stage);
    return {
      stage,
      count: row?.count ?? 0,
      valueCents: Number(row?.valueCents ?? 0),
      weightedValueCents: Number(row?.weightedValueCents ?? 0),
    };
  });
  const open = byStage.filter((s) => OPEN_STAGES.includes(s.stage));
  const won = byStage.find((s) => s.stage === 'closed_won')?.count ?? 0;
  const lost = byStage.find((s) => s.stage === 'closed_lost')?.count ?? 0;
  const consentFiltered = hidden;
  record(ctx, byStage.reduce((sum, s) => sum + s.count, 0), consentFiltered);
  return {
    openValueCents: open.reduce((sum, s) => sum + s.valueCents, 0),
    weightedValueCents: open.reduce((sum, s) => sum + s.weightedValueCents, 0),
    openDeals: open.reduce((sum, s) => sum + s.count, 0),
    wonDeals: won,
    lostDeals: lost,
    winRate: won + lost === 0 ? 0 : Math.round((won / (won + lost)) * 10_000) / 10_000,
    byStage,
    topDeals: top,
    consentFiltered,
    note: consentNote(consentFiltered),
  };
}

/** Deals closed in one calendar month (by close date): how many were won and lost, and their value. */
export interface OutcomeMonth {
  /** YYYY-MM. */
  month: string;
  won: number;
  lost: number;
  wonValueCents: number;
  lostValueCents: number;
}

export interface DealOutcomes {
  months: OutcomeMonth[];
  consentFiltered: number;
  note: string;
}

/**
 * Won and lost deals per month of their close date, over every consented closed deal (optionally
 * closed from / before a day), oldest month first; says how many closed deals consent excluded.
 */
export async function dealOutcomes(ctx: ServiceContext, filter: { from?: string | null; to?: string | null }): Promise<DealOutcomes> {
  if (filter.from && filter.to && filter.from > filter.to) throw badInput(ErrorCode.BadUserInput, '`from` must not be after `to`.', { field: 'from' });
  const where = and(
    eq(deals.tenantId, ctx.principal.tenantId),
    inArray(deals.stage, ['closed_won', 'closed_lost']),
    isNotNull(deals.closeDate),
    filter.from ? gte(deals.closeDate, filter.from) : undefined,
    filter.to ? lte(deals.closeDate, filter.to) : undefined,
  );
  const month = sql<string>`to_char(${deals.closeDate}, 'YYYY-MM')`;
  const won = sql`${deals.stage} = 'closed_won'`;
  const rows = await ctx.tx
    .select({
      month,
      won: sql<number>`(count(*) filter (where ${won}))::int`,
      lost: sql<number>`(count(*) filter (where not ${won}))::int`,
      wonValueCents: sql<string>`coalesce(sum(${deals.amountCents}) filter (where ${won}), 0)`,
      lostValueCents: sql<string>`coalesce(sum(${deals.amountCents}) filter (where not ${won}), 0)`,
    })
    .from(deals)
    .where(where)
    .groupBy(month)
    .orderBy(month);
  const consentFiltered = await hiddenCount(ctx, { from: deals, where });
  const months = rows.map((r) => ({ ...r, wonValueCents: Number(r.wonValueCents), lostValueCents: Number(r.lostValueCents) }));
  record(ctx, months.reduce((sum, m) => sum + m.won + m.lost, 0), consentFiltered);
  return { months, consentFiltered, note: consentNote(consentFiltered) };
}
