import { sql } from 'drizzle-orm';
import { OPEN_STAGES, type DealStage } from '../crm/deals';
import { money, stageName } from './format';
import { cite } from './grounding';
import type { ContextRecord } from './types';

/** `(…)` of the open stages, for `d.stage in ${OPEN_STAGE_LIST}` in raw SQL. */
export const OPEN_STAGE_LIST = sql.raw(`(${OPEN_STAGES.map((s) => `'${s}'`).join(', ')})`);

/** The non-PII facts of a deal an agent may use. */
export interface DealFacts {
  id: string;
  name: string;
  stage: DealStage;
  amountCents: number;
  probability: number;
  closeDate: string | null;
  accountName: string;
  industry?: string | null;
  ownerName?: string | null;
}

/** The non-PII facts of an account an agent may use. */
export interface AccountFacts {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  employeeCount: number | null;
  ownerName: string | null;
}

/** A deal as a model sees it, citable by id; `note` adds what the agent knows about it. */
export const dealRecord = (d: DealFacts, note?: string): ContextRecord => ({
  kind: 'deal',
  id: d.id,
  label: d.name,
  facts: [
    `stage ${stageName(d.stage)}, amount ${money(d.amountCents)}, probability ${d.probability}%, close date ${d.closeDate ?? 'none'}`,
    `account ${d.accountName}${d.industry ? ` (${d.industry})` : ''}`,
    ...(d.ownerName !== undefined ? [`owner ${d.ownerName ?? 'unassigned'}`] : []),
    ...(note ? [note] : []),
  ].join(', '),
});

export const accountRecord = (a: AccountFacts): ContextRecord => ({
  kind: 'account',
  id: a.id,
  label: a.name,
  facts: `industry ${a.industry ?? 'unknown'}, domain ${a.domain ?? 'none'}, ${a.employeeCount ?? 'unknown'} employees, owner ${a.ownerName ?? 'unassigned'}`,
});

/** A deal in an answer: name, citation, stage, amount, close date. */
export const dealLine = (d: DealFacts): string =>
  `${d.name} ${cite({ kind: 'deal', id: d.id })} (${stageName(d.stage)}, ${money(d.amountCents)}, closes ${d.closeDate ?? 'undated'})`;

/** An account in an answer: name, citation, industry, domain, size. */
export const accountLine = (a: AccountFacts): string =>
  `${a.name} ${cite({ kind: 'account', id: a.id })} (${a.industry ?? 'no industry'}, ${a.domain ?? 'no domain'}, ${a.employeeCount ?? '?'} employees)`;
