import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import { ErrorCode, badInput } from '../../lib/errors';
import { deals } from '../../db/schema';
import { hiddenCount } from '../consent/hidden';
import { record, type ServiceContext } from '../context';
import { consentNote } from '../crm/paging';
import type { DealStage } from '../crm/deals';
import { OPEN_STAGE_LIST } from './facts';
import { addDays, daysBetween, isoDate, money, percent, plural, stageName } from './format';
import { cite } from './grounding';
import type { AgentService } from './index';
import { agentById } from './roster';
import { answerPrompt, openAgentCall, questionFor, type AgentAnswer } from './runner';
import type { ContextRecord, GroundedPrompt } from './types';

export const KPIS = ['open_pipeline', 'weighted_pipeline', 'win_rate', 'average_deal_size', 'cycle_time'] as const;
export type Kpi = (typeof KPIS)[number];

export interface Period {
  from: string;
  to: string;
}

/** One group's share of the move: its value in each period and its contribution to the change (the contributions of a dimension add up to the change). */
export interface MetricDriver {
  key: string;
  label: string;
  /** Null for a ratio KPI when the group has no deals in that period. */
  current: number | null;
  previous: number | null;
  contribution: number;
}

/** A deal with one of the largest effects on the KPI. */
export interface MetricDeal {
  id: string;
  name: string;
  stage: DealStage;
  amountCents: number;
  period: 'current' | 'previous';
  contribution: number;
}

export interface MetricExplanation extends AgentAnswer {
  kpi: Kpi;
  unit: 'currency' | 'ratio' | 'days';
  definition: string;
  period: Period;
  comparedTo: Period;
  /** Null for a ratio KPI (win rate, average deal size, cycle time) when no deal counts in the period. */
  current: number | null;
  previous: number | null;
  /** Null when either period has no value. */
  delta: number | null;
  /** The change relative to the previous value; null when that was 0 or missing. */
  deltaPct: number | null;
  drivers: { stage: MetricDriver[]; owner: MetricDriver[]; industry: MetricDriver[] };
  largeDeals: MetricDeal[];
  consentFiltered: number;
  note: string;
}

interface KpiSpec {
  label: string;
  unit: MetricExplanation['unit'];
  definition: string;
  /** A ratio N/D (else a sum N). */
  ratio: boolean;
}

const SPECS: Record<Kpi, KpiSpec> = {
  open_pipeline: { label: 'Open pipeline', unit: 'currency', ratio: false, definition: 'the value of open deals whose close date falls in the period' },
  weighted_pipeline: { label: 'Weighted pipeline', unit: 'currency', ratio: false, definition: 'value × probability of open deals whose close date falls in the period' },
  win_rate: { label: 'Win rate', unit: 'ratio', ratio: true, definition: 'won ÷ (won + lost) among deals closed with a close date in the period' },
  average_deal_size: { label: 'Average deal size', unit: 'currency', ratio: true, definition: 'the mean amount of deals won with a close date in the period' },
  cycle_time: { label: 'Cycle time', unit: 'days', ratio: true, definition: "the mean days from a won deal's creation to its close date, for deals won in the period" },
};

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

const MAX_SPAN_DAYS = 3660;
const DEFAULT_SPAN_DAYS = 90;

function checkDate(value: string | null | undefined, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || isoDate(new Date(`${value}T00:00:00Z`)) !== value) {
    throw badInput(ErrorCode.BadUserInput, `\`${field}\` must be a date as YYYY-MM-DD.`, { field });
  }
  return value;
}

export interface PeriodInput {
  from?: string | null | undefined;
  to?: string | null | undefined;
  compareFrom?: string | null | undefined;
  compareTo?: string | null | undefined;
}

/**
 * The two periods: `to` defaults to today (UTC), `from` to 90 days ending `to`; the comparison
 * period defaults to the same number of days right before `from`.
 */
export function periodsOf(input: PeriodInput, today = isoDate(new Date())): { period: Period; comparedTo: Period } {
  const to = checkDate(input.to, 'to') ?? (checkDate(input.from, 'from') ? addDays(input.from as string, DEFAULT_SPAN_DAYS - 1) : today);
  const from = checkDate(input.from, 'from') ?? addDays(to, -(DEFAULT_SPAN_DAYS - 1));
  const span = daysBetween(from, to) + 1;
  const compareTo = checkDate(input.compareTo, 'compareTo') ?? addDays(from, -1);
  const compareFrom = checkDate(input.compareFrom, 'compareFrom') ?? addDays(compareTo, -(span - 1));
  for (const [a, b, name] of [
    [from, to, 'from/to'],
    [compareFrom, compareTo, 'compareFrom/compareTo'],
  ] as const) {
    if (a > b) throw badInput(ErrorCode.BadUserInput, `\`${name}\`: the period starts after it ends.`);
    if (daysBetween(a, b) + 1 > MAX_SPAN_DAYS) throw badInput(ErrorCode.BadUserInput, `\`${name}\`: a period may span at most ${MAX_SPAN_DAYS} days.`);
  }
  return { period: { from, to }, comparedTo: { from: compareFrom, to: compareTo } };
}

/** Reads a KPI and dates (YYYY-MM-DD: the period, then the comparison period) from a question for fire_agent. */
export function metricFromQuestion(question: string | null): { kpi: Kpi; periods: PeriodInput } {
  const text = (question ?? '').toLowerCase();
  const kpi: Kpi = /win.?rate|win ratio/.test(text)
    ? 'win_rate'
    : /weighted/.test(text)
      ? 'weighted_pipeline'
      : /average|deal size|avg/.test(text)
        ? 'average_deal_size'
        : /cycle|velocity|time to close/.test(text)
          ? 'cycle_time'
          : 'open_pipeline';
  const dates = text.match(/\b\d{4}-\d{2}-\d{2}\b/g) ?? [];
  const [a, b, c, d] = dates;
  const pair = (x?: string, y?: string) => (x && y && x > y ? [y, x] : [x, y]);
  const [from, to] = pair(a, b);
  const [compareFrom, compareTo] = pair(c, d);
  return { kpi, periods: { from, to, compareFrom, compareTo } };
}

interface GroupRow extends Record<string, unknown> {
  period: 'current' | 'previous';
  stage: DealStage;
  owner_id: string | null;
  owner_name: string | null;
  industry: string | null;
  n: number;
  d: number;
}

type Totals = { n: number; d: number };

/** The KPI of a set of deals; null for a ratio over no deals. */
const value = (spec: KpiSpec, t: Totals): number | null => (spec.ratio ? (t.d > 0 ? t.n / t.d : null) : t.n);

/** Converts an internal value (cents for currency) to the API's unit (currency units, ratio, days), rounded. */
function external(spec: KpiSpec, x: number): number;
function external(spec: KpiSpec, x: number | null): number | null;
function external(spec: KpiSpec, x: number | null): number | null {
  if (x === null) return null;
  if (spec.unit === 'currency') return Math.round(x) / 100;
  if (spec.unit === 'ratio') return Math.round(x * 10_000) / 10_000;
  return Math.round(x * 10) / 10;
}

/** An internal value (cents for currency) in words; `signed` for a change (ratios in percentage points). */
function show(spec: KpiSpec, x: number | null, signed = false): string {
  if (x === null) return 'no value';
  const sign = signed && x > 0 ? '+' : signed && x < 0 ? '−' : '';
  const abs = signed ? Math.abs(x) : x;
  const text =
    spec.unit === 'currency'
      ? money(abs)
      : spec.unit === 'ratio'
        ? signed
          ? `${(abs * 100).toFixed(1)} pp`
          : percent(abs)
        : `${(Math.round(abs * 10) / 10).toFixed(1)} days`;
  return `${sign}${text}`;
}

/**
 * Why a KPI moved between two periods, from aggregates over consented deals only: no contact is read
 * and no key is used. Drivers by stage, owner and industry split the change exactly when both periods
 * have data; the large deals are the individual deals with the largest effect.
 */
export async function metricPrompt(
  ctx: ServiceContext,
  kpi: Kpi,
  periods: { period: Period; comparedTo: Period },
  question: string | null,
): Promise<{ prompt: GroundedPrompt; explanation: Omit<MetricExplanation, keyof AgentAnswer> }> {
  const spec = SPECS[kpi];
  const terms = TERMS[kpi];
  const { period, comparedTo } = periods;
  const t = ctx.principal.tenantId;
  const inCurrent = sql`d.close_date between ${period.from}::date and ${period.to}::date`;
  const inPrevious = sql`d.close_date between ${comparedTo.from}::date and ${comparedTo.to}::date`;
  const periodOf = sql`case when ${inCurrent} then 'current' else 'previous' end`;
  const inEither = sql`(${inCurrent} or ${inPrevious})`;

  const groups = await ctx.database.rows<GroupRow>(
    ctx.tx,
    sql`select ${periodOf} as period, d.stage, d.owner_id, u.display_name as owner_name, a.industry,
          coalesce(sum(${terms.n}), 0)::float8 as n, coalesce(sum(${terms.d}), 0)::float8 as d
        from deals d
        join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        left join users u on u.id = d.owner_id
        where d.tenant_id = ${t} and ${inEither} and ${terms.counts}
        group by 1, 2, 3, 4, 5`,
  );
  const closing = (p: Period) => sql`${deals.closeDate} between ${p.from}::date and ${p.to}::date`;
  const hidden = await hiddenCount(ctx, { from: deals, where: and(eq(deals.tenantId, t), or(closing(period), closing(comparedTo))) });

  const totals = (p: GroupRow['period']) =>
    groups.filter((g) => g.period === p).reduce<Totals>((acc, g) => ({ n: acc.n + Number(g.n), d: acc.d + Number(g.d) }), { n: 0, d: 0 });
  const cur = totals('current');
  const prev = totals('previous');
  const r1 = value(spec, cur);
  const r0 = value(spec, prev);
  const base = r0 ?? 0;
  // A group's contribution: (N1g − R0·D1g)/D1 − (N0g − R0·D0g)/D0 for ratios, N1g − N0g for sums; they add up to R1 − R0.
  const contribution = (g1: Totals, g0: Totals) =>
    spec.ratio ? (cur.d > 0 ? (g1.n - base * g1.d) / cur.d : 0) - (prev.d > 0 ? (g0.n - base * g0.d) / prev.d : 0) : g1.n - g0.n;

  const dimension = (keyOf: (g: GroupRow) => string, labelOf: (g: GroupRow) => string): MetricDriver[] => {
    const byKey = new Map<string, { label: string; c: Totals; p: Totals }>();
    for (const g of groups) {
      const key = keyOf(g);
      const entry = byKey.get(key) ?? { label: labelOf(g), c: { n: 0, d: 0 }, p: { n: 0, d: 0 } };
      const side = g.period === 'current' ? entry.c : entry.p;
      side.n += Number(g.n);
      side.d += Number(g.d);
      byKey.set(key, entry);
    }
    return [...byKey.entries()]
      .map(([key, e]) => ({ key, label: e.label, current: value(spec, e.c), previous: value(spec, e.p), contribution: contribution(e.c, e.p) }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.key.localeCompare(b.key));
  };
  const drivers = {
    stage: dimension((g) => g.stage, (g) => stageName(g.stage)),
    owner: dimension((g) => g.owner_id ?? 'unassigned', (g) => g.owner_name ?? 'Unassigned'),
    industry: dimension((g) => g.industry ?? 'unknown', (g) => g.industry ?? 'Unknown'),
  };

  const effect = spec.ratio
    ? sql`case when ${inCurrent} then (${terms.n} - ${base}::float8 * ${terms.d}) / nullif(${cur.d}::float8, 0) else -(${terms.n} - ${base}::float8 * ${terms.d}) / nullif(${prev.d}::float8, 0) end`
    : sql`case when ${inCurrent} then ${terms.n} else -(${terms.n}) end`;
  const rows = await ctx.database.rows<{ id: string; name: string; stage: DealStage; amount_cents: number; period: MetricDeal['period']; effect: number | null }>(
    ctx.tx,
    sql`select d.id, d.name, d.stage, d.amount_cents::float8 as amount_cents, ${periodOf} as period, (${effect})::float8 as effect
        from deals d
        where d.tenant_id = ${t} and ${inEither} and ${terms.counts}
        order by abs(${effect}) desc nulls last, d.id
        limit 5`,
  );
  const largeDeals: MetricDeal[] = rows.map((d) => ({
    id: d.id,
    name: d.name,
    stage: d.stage,
    amountCents: Number(d.amount_cents),
    period: d.period,
    contribution: Number(d.effect ?? 0),
  }));

  const change = r1 === null || r0 === null ? null : r1 - r0;
  const deltaPct = change === null || r0 === null || r0 === 0 ? null : Math.round((change / Math.abs(r0)) * 10_000) / 10_000;
  const range = (p: Period) => `${p.from} to ${p.to}`;
  const records: ContextRecord[] = largeDeals.map((d) => ({
    kind: 'deal',
    id: d.id,
    label: d.name,
    facts: `${d.period} period, stage ${stageName(d.stage)}, amount ${money(d.amountCents)}, effect on ${spec.label.toLowerCase()} ${show(spec, d.contribution, true)}`,
  }));
  const top = (list: MetricDriver[], what: string) => {
    const first = list[0];
    return first ? `${what} ${first.label} (${show(spec, first.contribution, true)})` : null;
  };
  const empty = (p: Period) => `no ${kpi === 'win_rate' ? 'closed' : 'won'} deals have a close date in ${range(p)}`;
  const sentences =
    change === null
      ? [
          `${spec.label} cannot be compared: ${[r0 === null ? empty(comparedTo) : null, r1 === null ? empty(period) : null].filter(Boolean).join(', and ')}.`,
          ...(r1 !== null ? [`In ${range(period)} it is ${show(spec, r1)}.`] : r0 !== null ? [`In ${range(comparedTo)} it was ${show(spec, r0)}.`] : []),
        ]
      : [
          `${spec.label} ${change > 0 ? 'rose' : change < 0 ? 'fell' : 'held'} from ${show(spec, r0)} (${range(comparedTo)}) to ${show(spec, r1)} (${range(period)})${change === 0 ? '' : `: ${show(spec, change, true)}${deltaPct === null ? '' : ` (${deltaPct > 0 ? '+' : '−'}${Math.abs(deltaPct * 100).toFixed(1)}%)`}`}.`,
        ];
  const mains = [top(drivers.stage, 'stage'), top(drivers.owner, 'owner'), top(drivers.industry, 'industry')].filter((x): x is string => x !== null);
  if (mains.length > 0 && change !== null && change !== 0) sentences.push(`Largest drivers: ${mains.join('; ')}.`);
  if (largeDeals.length > 0 && change !== null) {
    sentences.push(
      `Deals with the largest effect: ${largeDeals
        .slice(0, 3)
        .map((d) => `${d.name} ${cite({ kind: 'deal', id: d.id })} (${d.period} period, ${money(d.amountCents)}, ${show(spec, d.contribution, true)})`)
        .join('; ')}.`,
    );
  }
  sentences.push(`${spec.label} is ${spec.definition}.`);
  if (hidden > 0) sentences.push(`${plural(hidden, 'deal')} hidden by consent ${hidden === 1 ? 'is' : 'are'} excluded.`);
  const facts = [
    `KPI: ${spec.label}, ${spec.definition}.`,
    `Current period ${range(period)}: ${show(spec, r1)}. Previous period ${range(comparedTo)}: ${show(spec, r0)}. Change ${change === null ? 'not computable' : show(spec, change, true)}.`,
    ...(['stage', 'owner', 'industry'] as const).map(
      (dim) =>
        `Contributions by ${dim}: ${
          drivers[dim]
            .slice(0, 4)
            .map((d) => `${d.label} ${show(spec, d.contribution, true)} (now ${show(spec, d.current)}, before ${show(spec, d.previous)})`)
            .join('; ') || 'none'
        }.`,
    ),
    `${hidden} deals in these periods are hidden by consent and excluded.`,
  ];
  const outward = (d: MetricDriver): MetricDriver => ({
    ...d,
    current: external(spec, d.current),
    previous: external(spec, d.previous),
    contribution: external(spec, d.contribution),
  });
  const agent = agentById('metric-explainer');
  return {
    prompt: { agent: agent.id, instruction: agent.instruction, question: questionFor(agent, question), records, facts, draft: sentences.join(' '), substitutions: {} },
    explanation: {
      kpi,
      unit: spec.unit,
      definition: spec.definition,
      period,
      comparedTo,
      current: external(spec, r1),
      previous: external(spec, r0),
      delta: external(spec, change),
      deltaPct,
      drivers: { stage: drivers.stage.map(outward), owner: drivers.owner.map(outward), industry: drivers.industry.map(outward) },
      largeDeals: largeDeals.map((d) => ({ ...d, contribution: external(spec, d.contribution) })),
      consentFiltered: hidden,
      note: consentNote(hidden),
    },
  };
}

/** get_metric_explanation: runs the metric-explainer agent on aggregates. */
export async function explainMetric(ctx: ServiceContext, agents: AgentService, kpi: Kpi, input: PeriodInput): Promise<MetricExplanation> {
  if (!(KPIS as readonly string[]).includes(kpi)) throw badInput(ErrorCode.BadUserInput, `\`kpi\` must be one of ${KPIS.join(', ')}.`, { field: 'kpi' });
  const periods = periodsOf(input);
  const budget = await openAgentCall(ctx);
  const built = await metricPrompt(ctx, kpi, periods, null);
  const agent = agentById('metric-explainer');
  const answer = await answerPrompt(ctx, agents, agent, { targetKind: null, targetId: null, input: { agent: agent.id, kpi, ...periods } }, built.prompt, budget);
  record(ctx, answer.citations.length, built.explanation.consentFiltered);
  return { ...answer, ...built.explanation };
}
