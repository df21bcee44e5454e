import { sql, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import type { DealStage } from '../crm/deals';
import { OPEN_STAGE_LIST, type DealFacts } from './facts';
import { addDays, daysBetween, money, plural, stageName } from './format';

/**
 * Deal risk, one definition for deal-risk, the briefing, account research and ask_workspace: an open
 * deal is at risk when its close date passed (slipped), when nothing was logged on it for 30 days,
 * or when it closes within 14 days at a low probability. Deals at risk are ranked by the value at
 * risk (the deal's amount), and every reason states the fact behind it.
 */

export const STALE_DAYS = 30;
export const SOON_DAYS = 14;
export const LOW_PROBABILITY = 25;

/** A deal as the briefing and risk lists show it (its own GraphQL type, so read:accounts is enough). */
export type BriefingDeal = Omit<DealFacts, 'industry' | 'ownerName'>;

export interface DealRisk {
  deal: BriefingDeal;
  /** Why the deal is at risk, each with its fact ("its close date 2026-08-01 passed 107 days ago"); empty when it is not. */
  reasons: string[];
  level: 'high' | 'medium' | 'low';
  lastActivity: string | null;
  /** The close date passed (the deal slipped). */
  overdue: boolean;
  /** Nothing logged on the deal for 30 days. */
  stale: boolean;
}

/** Midnight UTC of a date (YYYY-MM-DD), as a timestamptz parameter. */
export const midnight = (date: string) => sql`${`${date}T00:00:00Z`}::timestamptz`;

/** Which open deals to assess. */
export interface RiskScope {
  ownerId?: string | null;
  dealId?: string;
  accountId?: string;
  stages?: readonly DealStage[];
  closeFrom?: string;
  closeTo?: string;
  minCents?: number | null;
  maxCents?: number | null;
  industries?: readonly string[];
  /** Only these signals count ("overdue" questions); all by default. */
  only?: 'overdue' | 'stale';
}

type RiskRow = {
  id: string;
  name: string;
  stage: DealStage;
  amount_cents: number;
  probability: number;
  close_date: string | null;
  account_name: string;
  last_activity: string | null;
  overdue: boolean;
  stale: boolean;
  soon_low: boolean;
  at_risk: number;
};

export const toDeal = (r: { id: string; name: string; stage: DealStage; amount_cents: number; probability: number; close_date: string | null; account_name: string }): BriefingDeal => ({
  id: r.id,
  name: r.name,
  stage: r.stage,
  amountCents: Number(r.amount_cents),
  probability: r.probability,
  closeDate: r.close_date,
  accountName: r.account_name,
});

function toRisk(r: RiskRow, asOf: string): DealRisk {
  const deal = toDeal(r);
  const last = r.last_activity;
  const reasons: string[] = [];
  if (r.overdue && deal.closeDate) reasons.push(`its close date ${deal.closeDate} passed ${plural(daysBetween(deal.closeDate, asOf), 'day')} ago and it is still in ${stageName(deal.stage)}`);
  if (r.stale) reasons.push(last ? `no activity since ${last} (${plural(daysBetween(last, asOf), 'day')})` : 'no activity logged on it');
  if (r.soon_low && deal.closeDate) reasons.push(`it closes in ${plural(daysBetween(asOf, deal.closeDate), 'day')} (${deal.closeDate}) at ${deal.probability}% probability`);
  return { deal, reasons, level: reasons.length >= 2 || r.overdue ? 'high' : reasons.length === 1 ? 'medium' : 'low', lastActivity: last, overdue: r.overdue, stale: r.stale };
}

/**
 * Open consented deals in scope with their risk as of a date, largest value at risk first (one deal
 * with `dealId`, at risk or not). `total` counts the deals at risk in scope and `valueCents` their
 * value. The last activity is read per deal on the (tenant, deal) index.
 */
export async function dealRisks(ctx: ServiceContext, asOf: string, scope: RiskScope, limit: number): Promise<{ risks: DealRisk[]; total: number; valueCents: number }> {
  const t = ctx.principal.tenantId;
  const filters: SQL[] = [
    scope.ownerId ? sql`and d.owner_id = ${scope.ownerId}` : sql``,
    scope.dealId ? sql`and d.id = ${scope.dealId}` : sql``,
    scope.accountId ? sql`and d.account_id = ${scope.accountId}` : sql``,
    scope.stages && scope.stages.length > 0 ? sql`and d.stage::text in (${sql.join(scope.stages.map((s) => sql`${s}`), sql`, `)})` : sql``,
    scope.closeFrom ? sql`and d.close_date >= ${scope.closeFrom}::date` : sql``,
    scope.closeTo ? sql`and d.close_date <= ${scope.closeTo}::date` : sql``,
    scope.minCents != null ? sql`and d.amount_cents >= ${scope.minCents}` : sql``,
    scope.maxCents != null ? sql`and d.amount_cents <= ${scope.maxCents}` : sql``,
    scope.industries && scope.industries.length > 0 ? sql`and a.industry in (${sql.join(scope.industries.map((i) => sql`${i}`), sql`, `)})` : sql``,
  ];
  const signal = scope.only === 'overdue' ? sql`overdue::int` : scope.only === 'stale' ? sql`stale::int` : sql`overdue::int + stale::int + soon_low::int`;
  const rows = await ctx.database.rows<RiskRow & { total: number; value_cents: number }>(
    ctx.tx,
    sql`with scoped as (
          select d.id, d.name, d.stage, d.amount_cents, d.probability, d.close_date::text as close_date, a.name as account_name,
            (select max(x.occurred_at) from activities x where x.tenant_id = d.tenant_id and x.deal_id = d.id and x.occurred_at < ${midnight(addDays(asOf, 1))}) as last_at
          from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
          where d.tenant_id = ${t}
            and d.stage in ${OPEN_STAGE_LIST}
            ${sql.join(filters, sql` `)}
        ), flagged as (
          select *, to_char(last_at at time zone 'UTC', 'YYYY-MM-DD') as last_activity,
            coalesce(close_date::date < ${asOf}::date, false) as overdue,
            (last_at is null or last_at < ${midnight(addDays(asOf, -STALE_DAYS))}) as stale,
            coalesce(close_date::date between ${asOf}::date and ${asOf}::date + ${SOON_DAYS}::int and probability <= ${LOW_PROBABILITY}, false) as soon_low
          from scoped
        ), scored as (
          select *, ${signal} as at_risk from flagged
        )
        select *, (count(*) filter (where at_risk > 0) over ())::int as total,
          (coalesce(sum(amount_cents) filter (where at_risk > 0) over (), 0))::float8 as value_cents
        from scored
        where ${scope.dealId ? sql`true` : sql`at_risk > 0`}
        order by amount_cents desc, id
        limit ${limit}`,
  );
  return { risks: rows.map((r) => toRisk(r, asOf)), total: rows[0]?.total ?? 0, valueCents: Number(rows[0]?.value_cents ?? 0) };
}

/** A risk in an answer: the deal, its citation, value and each reason with its fact. */
export const riskFacts = (r: DealRisk): string => `${money(r.deal.amountCents)} at risk: ${r.reasons.join('; ')}`;

/** An account with open deals and no activity logged in the last 30 days. */
export interface StaleAccount {
  id: string;
  name: string;
  lastActivity: string | null;
  openDeals: number;
  openValueCents: number;
}

/**
 * Accounts with open consented deals in scope (the owner's, or one account) and nothing logged on
 * them for 30 days as of `asOf`, largest open value first; `total` counts them all.
 */
export async function staleAccounts(
  ctx: ServiceContext,
  asOf: string,
  scope: { ownerId?: string | null; accountId?: string },
  limit: number,
): Promise<{ accounts: StaleAccount[]; total: number }> {
  const rows = await ctx.database.rows<{ id: string; name: string; last_activity: string | null; open_deals: number; open_value: number; total: number }>(
    ctx.tx,
    sql`with open_accounts as (
          select d.account_id, count(*)::int as open_deals, sum(d.amount_cents)::float8 as open_value
          from deals d
          where d.tenant_id = ${ctx.principal.tenantId} and d.stage in ${OPEN_STAGE_LIST}
            ${scope.ownerId ? sql`and d.owner_id = ${scope.ownerId}` : sql``}
            ${scope.accountId ? sql`and d.account_id = ${scope.accountId}` : sql``}
          group by d.account_id
        ), touched as (
          select o.*, a.name,
            (select max(x.occurred_at) from activities x where x.tenant_id = a.tenant_id and x.account_id = a.id and x.occurred_at < ${midnight(addDays(asOf, 1))}) as last_at
          from open_accounts o join accounts a on a.tenant_id = ${ctx.principal.tenantId} and a.id = o.account_id
        )
        select account_id as id, name, to_char(last_at at time zone 'UTC', 'YYYY-MM-DD') as last_activity, open_deals, open_value,
          (count(*) over ())::int as total
        from touched
        where last_at is null or last_at < ${midnight(addDays(asOf, -STALE_DAYS))}
        order by open_value desc, account_id
        limit ${limit}`,
  );
  return {
    accounts: rows.map((r) => ({ id: r.id, name: r.name, lastActivity: r.last_activity, openDeals: r.open_deals, openValueCents: Number(r.open_value) })),
    total: rows[0]?.total ?? 0,
  };
}

/** "no activity since 2026-09-01 (76 days)" or "no activity logged". */
export const quietSince = (last: string | null, asOf: string): string => (last ? `no activity since ${last} (${plural(daysBetween(last, asOf), 'day')})` : 'no activity logged');
