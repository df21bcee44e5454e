import { ErrorCode, badInput } from '../../lib/errors';
import { addDays, daysBetween, isoDate } from './format';

/** Which KPI a metric explanation is about, and over which two periods: the explainer's input rules (no storage). */
export const KPIS = ['open_pipeline', 'weighted_pipeline', 'win_rate', 'average_deal_size', 'cycle_time'] as const;
export type Kpi = (typeof KPIS)[number];

export interface Period {
  from: string;
  to: string;
}

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
export function periodsOf(input: PeriodInput, today: string): { period: Period; comparedTo: Period } {
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

