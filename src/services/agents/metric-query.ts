import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import { deals } from '../../db/schema';
import { hiddenCount } from '../consent/hidden';
import type { ServiceContext } from '../context';
import type { DealStage } from '../crm/deals';
import { OPEN_STAGE_LIST } from './facts';
import type { Kpi, Period } from './metric-periods';

/** The storage side of metric explanations: the KPI terms in SQL and the aggregate reads (no narrative, no arithmetic on drivers). */

const OPEN = sql`d.stage in ${OPEN_STAGE_LIST}`;
const WON = sql`d.stage = 'closed_won'`;
const CLOSED = sql`d.stage in ('closed_won', 'closed_lost')`;
const CYCLE_DAYS = sql`greatest(0, d.close_date - (d.created_at at time zone 'UTC')::date)`;

/** Each KPI as per-deal numerator and denominator (aggregates are sums of them), and which deals count. */
const TERMS: Record<Kpi, { n: SQL; d: SQL; counts: SQL }> = {
  open_pipeline: { n: sql`d.amount_cents::float8`, d: sql`1::float8`, counts: OPEN },
  weighted_pipeline: { n: sql`d.amount_cents * d.probability / 100.0`, d: sql`1::float8`, counts: OPEN },
  win_rate: { n: sql`(case when ${WON} then 1 else 0 end)::float8`, d: sql`1::float8`, counts: CLOSED },
  average_deal_size: { n: sql`d.amount_cents::float8`, d: sql`1::float8`, counts: WON },
  cycle_time: { n: sql`${CYCLE_DAYS}::float8`, d: sql`1::float8`, counts: WON },
};

/** One group of deals counted by the KPI in one period: sums of its numerator and denominator terms. */
export interface GroupRow extends Record<string, unknown> {
  period: 'current' | 'previous';
  stage: DealStage;
  owner_id: string | null;
  owner_name: string | null;
  industry: string | null;
  n: number;
  d: number;
}

export interface EffectRow extends Record<string, unknown> {
  id: string;
  name: string;
  stage: DealStage;
  amount_cents: number;
  period: 'current' | 'previous';
  effect: number | null;
}

const windows = (period: Period, comparedTo: Period) => {
  const inCurrent = sql`d.close_date between ${period.from}::date and ${period.to}::date`;
  const inPrevious = sql`d.close_date between ${comparedTo.from}::date and ${comparedTo.to}::date`;
  return { inCurrent, periodOf: sql`case when ${inCurrent} then 'current' else 'previous' end`, inEither: sql`(${inCurrent} or ${inPrevious})` };
};

/** The KPI's terms summed per period, stage, owner and industry over the consented deals closing in either period. */
export async function kpiGroups(ctx: ServiceContext, kpi: Kpi, period: Period, comparedTo: Period): Promise<GroupRow[]> {
  const terms = TERMS[kpi];
  const { periodOf, inEither } = windows(period, comparedTo);
  return ctx.database.rows<GroupRow>(
    ctx.tx,
    sql`select ${periodOf} as period, d.stage, d.owner_id, u.display_name as owner_name, a.industry,
          coalesce(sum(${terms.n}), 0)::float8 as n, coalesce(sum(${terms.d}), 0)::float8 as d
        from deals d
        join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        left join users u on u.id = d.owner_id
        where d.tenant_id = ${ctx.principal.tenantId} and ${inEither} and ${terms.counts}
        group by 1, 2, 3, 4, 5`,
  );
}

/** Deals closing in either period that consent hides (counted, never read). */
export function hiddenInPeriods(ctx: ServiceContext, period: Period, comparedTo: Period): Promise<number> {
  const closing = (p: Period) => sql`${deals.closeDate} between ${p.from}::date and ${p.to}::date`;
  return hiddenCount(ctx, { from: deals, where: and(eq(deals.tenantId, ctx.principal.tenantId), or(closing(period), closing(comparedTo))) });
}

/**
 * The five deals with the largest effect on the KPI's change: a deal's own term for a sum KPI; for a
 * ratio, its numerator minus the previous ratio times its denominator, over the period's denominator
 * (`base` = previous ratio, `current`/`previous` = the periods' denominators).
 */
export async function largestEffects(
  ctx: ServiceContext,
  kpi: Kpi,
  period: Period,
  comparedTo: Period,
  ratio: { base: number; current: number; previous: number } | null,
): Promise<EffectRow[]> {
  const terms = TERMS[kpi];
  const { inCurrent, periodOf, inEither } = windows(period, comparedTo);
  const effect = ratio
    ? sql`case when ${inCurrent} then (${terms.n} - ${ratio.base}::float8 * ${terms.d}) / nullif(${ratio.current}::float8, 0) else -(${terms.n} - ${ratio.base}::float8 * ${terms.d}) / nullif(${ratio.previous}::float8, 0) end`
    : sql`case when ${inCurrent} then ${terms.n} else -(${terms.n}) end`;
  return ctx.database.rows<EffectRow>(
    ctx.tx,
    sql`select d.id, d.name, d.stage, d.amount_cents::float8 as amount_cents, ${periodOf} as period, (${effect})::float8 as effect
        from deals d
        where d.tenant_id = ${ctx.principal.tenantId} and ${inEither} and ${terms.counts}
        order by abs(${effect}) desc nulls last, d.id
        limit 5`,
  );
}
