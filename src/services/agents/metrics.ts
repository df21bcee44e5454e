import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { consentNote } from '../crm/paging';
import type { DealStage } from '../crm/deals';
import { money, percent, plural, stageName } from './format';
import { KPIS, periodsOf, type Kpi, type Period, type PeriodInput } from './metric-periods';
import { hiddenInPeriods, kpiGroups, largestEffects, type GroupRow } from './metric-query';
import { cite } from './grounding';
import type { AgentService } from './index';
import { agentById } from './roster';
import { answerPrompt, openAgentCall, questionFor, type AgentAnswer } from './runner';
import type { ContextRecord, GroundedPrompt } from './types';

export { KPIS, metricFromQuestion, periodsOf, type Kpi, type Period, type PeriodInput } from './metric-periods';

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
  /**
   * The KPI's definition picks deals by stage (won, or won and lost): a split by stage would restate
   * the definition ("closed won drives the win rate"), so it is not a driver.
   */
  stageDefined: boolean;
}

const SPECS: Record<Kpi, KpiSpec> = {
  open_pipeline: { label: 'Open pipeline', unit: 'currency', ratio: false, stageDefined: false, definition: 'the value of open deals whose close date falls in the period' },
  weighted_pipeline: { label: 'Weighted pipeline', unit: 'currency', ratio: false, stageDefined: false, definition: 'value × probability of open deals whose close date falls in the period' },
  win_rate: { label: 'Win rate', unit: 'ratio', ratio: true, stageDefined: true, definition: 'won ÷ (won + lost) among deals closed with a close date in the period' },
  average_deal_size: { label: 'Average deal size', unit: 'currency', ratio: true, stageDefined: true, definition: 'the mean amount of deals won with a close date in the period' },
  cycle_time: { label: 'Cycle time', unit: 'days', ratio: true, stageDefined: true, definition: "the mean days from a won deal's creation to its close date, for deals won in the period" },
};

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
  const { period, comparedTo } = periods;
  const groups = await kpiGroups(ctx, kpi, period, comparedTo);
  const hidden = await hiddenInPeriods(ctx, period, comparedTo);

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
    stage: spec.stageDefined ? [] : dimension((g) => g.stage, (g) => stageName(g.stage)),
    owner: dimension((g) => g.owner_id ?? 'unassigned', (g) => g.owner_name ?? 'Unassigned'),
    industry: dimension((g) => g.industry ?? 'unknown', (g) => g.industry ?? 'Unknown'),
  };

  const rows = await largestEffects(ctx, kpi, period, comparedTo, spec.ratio ? { base, current: cur.d, previous: prev.d } : null);
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
    ...(spec.stageDefined ? (['owner', 'industry'] as const) : (['stage', 'owner', 'industry'] as const)).map(
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
  const periods = periodsOf(input, agents.today());
  const budget = await openAgentCall(ctx, agents);
  const built = await metricPrompt(ctx, kpi, periods, null);
  const agent = agentById('metric-explainer');
  const answer = await answerPrompt(ctx, agents, agent, { targetKind: null, targetId: null, input: { agent: agent.id, kpi, ...periods } }, built.prompt, budget);
  record(ctx, answer.citations.length, built.explanation.consentFiltered);
  return { ...answer, ...built.explanation };
}
