import { sql } from 'drizzle-orm';
import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import type { ActivityKind } from '../crm/activities';
import type { DealStage } from '../crm/deals';
import { consentNote } from '../crm/paging';
import { pipelineHealth } from '../crm/pipeline';
import { OPEN_STAGE_LIST, dealRecord } from './facts';
import { callerPerson } from './caller';
import { SOON_DAYS, STALE_DAYS, dealRisks, midnight, quietSince, riskFacts, staleAccounts, toDeal, type BriefingDeal, type DealRisk } from './risk';

export type { BriefingDeal, DealRisk } from './risk';
import { addDays, isoDate, money, percent, plural } from './format';
import { cite, maskContactDetails } from './grounding';
import type { AgentService } from './index';
import { agentById } from './roster';
import { answerPrompt, openAgentCall, unmetered, type AgentAnswer } from './runner';
import { callerHas } from './scopes';
import type { ContextRecord, GroundedPrompt } from './types';


export interface BriefingActivity {
  id: string;
  kind: ActivityKind;
  subject: string;
  occurredAt: Date;
  deal: BriefingDeal;
}

export interface BriefingPipeline {
  openValueCents: number;
  weightedValueCents: number;
  openDeals: number;
  winRate: number;
  /** Open deals whose close date is in the next 14 days. */
  closingSoon: number;
}

export interface Briefing extends AgentAnswer {
  asOf: string;
  /** `user`: deals the caller owns (an API key's creator's); `tenant`: the whole workspace (an API key with no creator on file). */
  scope: 'user' | 'tenant';
  ownerName: string | null;
  pipeline: BriefingPipeline;
  recentActivity: BriefingActivity[];
  atRisk: DealRisk[];
  consentFiltered: number;
  note: string;
}

const RECENT_DAYS = 7;

/** Whose deals a briefing covers: the caller's own (an API key's creator's, as for "my deals"), or the tenant's for a key with no creator on file. */
export interface BriefingScope {
  ownerId: string | null;
  ownerName: string | null;
}

export async function briefingScope(ctx: ServiceContext): Promise<BriefingScope> {
  const me = await callerPerson(ctx);
  return { ownerId: me.userId, ownerName: me.userId ? me.name : null };
}

export function checkAsOf(value: string | null | undefined, today: string): string {
  if (value === null || value === undefined) return today;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw badInput(ErrorCode.BadUserInput, '`asOf` must be a date as YYYY-MM-DD.', { field: 'asOf' });
  }
  return value;
}

/**
 * An activity subject as the briefing (read:accounts) shows it: e-mail addresses and phone numbers
 * masked; the subject of an activity logged with a contact only under read:contacts.
 */
const subjectFor = (subject: string, withContact: boolean, contacts: boolean): string =>
  withContact && !contacts ? '(logged with a contact: its subject needs read:contacts)' : maskContactDetails(subject);

/**
 * The daily briefing as of a date, from consented deals in scope: pipeline snapshot, activity on
 * them in the last 7 days, deals at risk, and a narrative citing each deal it names. Activity
 * subjects are free text: listed for the caller, but neither in the narrative (stored with the run)
 * nor sent to a model.
 */
export async function briefingPrompt(
  ctx: ServiceContext,
  asOf: string,
): Promise<{ prompt: GroundedPrompt; briefing: Omit<Briefing, keyof AgentAnswer> }> {
  const t = ctx.principal.tenantId;
  const scope = await briefingScope(ctx);
  const health = await pipelineHealth(unmetered(ctx), { ownerId: scope.ownerId });
  const ownerSql = scope.ownerId ? sql`and d.owner_id = ${scope.ownerId}` : sql``;
  const [soon] = await ctx.database.rows<{ n: number }>(
    ctx.tx,
    sql`select count(*)::int as n from deals d where d.tenant_id = ${t} ${ownerSql}
          and d.stage in ${OPEN_STAGE_LIST}
          and d.close_date between ${asOf}::date and ${asOf}::date + ${SOON_DAYS}::int`,
  );
  const activityRows = await ctx.database.rows<{
    aid: string;
    kind: ActivityKind;
    subject: string;
    with_contact: boolean;
    occurred_at: string;
    id: string;
    name: string;
    stage: DealStage;
    amount_cents: number;
    probability: number;
    close_date: string | null;
    account_name: string;
  }>(
    ctx.tx,
    sql`select x.id as aid, x.kind, x.subject, x.contact_id is not null as with_contact, to_char(x.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as occurred_at,
          d.id, d.name, d.stage, d.amount_cents, d.probability, d.close_date::text as close_date, a.name as account_name
        from activities x
        join deals d on d.tenant_id = x.tenant_id and d.id = x.deal_id
        join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        where x.tenant_id = ${t} ${ownerSql}
          and x.occurred_at >= ${midnight(addDays(asOf, -(RECENT_DAYS - 1)))} and x.occurred_at < ${midnight(addDays(asOf, 1))}
        order by x.occurred_at desc, x.id
        limit 10`,
  );
  const contacts = callerHas(ctx, 'read:contacts');
  const recentActivity: BriefingActivity[] = activityRows.map((r) => ({
    id: r.aid,
    kind: r.kind,
    subject: subjectFor(r.subject, r.with_contact, contacts),
    occurredAt: new Date(r.occurred_at),
    deal: toDeal(r),
  }));
  const { risks: atRisk, total: riskTotal, valueCents: riskValue } = await dealRisks(ctx, asOf, { ownerId: scope.ownerId }, 5);
  const slipped = await dealRisks(ctx, asOf, { ownerId: scope.ownerId, only: 'overdue' }, 3);
  const quiet = await staleAccounts(ctx, asOf, { ownerId: scope.ownerId }, 3);

  const pipeline: BriefingPipeline = {
    openValueCents: health.openValueCents,
    weightedValueCents: health.weightedValueCents,
    openDeals: health.openDeals,
    winRate: health.winRate,
    closingSoon: soon?.n ?? 0,
  };
  const who = scope.ownerName ? scope.ownerName : 'the whole workspace';
  const sentences = [
    `Daily briefing for ${who} on ${asOf}.`,
    `Pipeline: ${plural(pipeline.openDeals, 'open deal')} worth ${money(pipeline.openValueCents)} (weighted ${money(pipeline.weightedValueCents)}); ${pipeline.closingSoon} close in the next ${SOON_DAYS} days; win rate ${percent(pipeline.winRate)}.`,
    recentActivity.length > 0
      ? `Recent activity (last ${RECENT_DAYS} days): ${recentActivity
          .slice(0, 5)
          .map((a) => `${a.kind} on ${a.deal.name} ${cite({ kind: 'deal', id: a.deal.id })} (${isoDate(a.occurredAt)})`)
          .join('; ')}${recentActivity.length > 5 ? `; and ${recentActivity.length - 5} more` : ''}.`
      : `No deal activity in the last ${RECENT_DAYS} days.`,
    atRisk.length > 0
      ? `At risk: ${plural(riskTotal, 'open deal')} worth ${money(riskValue)}; the largest: ${atRisk
          .map((r) => `${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} (${riskFacts(r)})`)
          .join('; ')}.`
      : 'No open deals at risk.',
    slipped.total > 0
      ? `Slipped: ${plural(slipped.total, 'open deal is', 'open deals are')} past ${slipped.total === 1 ? 'its' : 'their'} close date (worth ${money(slipped.valueCents)}): ${slipped.risks
          .map((r) => `${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} (was due ${r.deal.closeDate})`)
          .join('; ')}${slipped.total > slipped.risks.length ? '; …' : ''}. Agree new dates or close them.`
      : 'No open deal is past its close date.',
    quiet.total > 0
      ? `Gone quiet: ${plural(quiet.total, 'account')} with open deals had no activity in ${STALE_DAYS} days: ${quiet.accounts
          .map((a) => `${a.name} ${cite({ kind: 'account', id: a.id })} (${plural(a.openDeals, 'open deal')}, ${money(a.openValueCents)}, ${quietSince(a.lastActivity, asOf)})`)
          .join('; ')}${quiet.total > quiet.accounts.length ? '; …' : ''}.`
      : `Every account with open deals had activity in the last ${STALE_DAYS} days.`,
  ];
  if (health.consentFiltered > 0) sentences.push(`${plural(health.consentFiltered, 'deal')} hidden by consent ${health.consentFiltered === 1 ? 'is' : 'are'} left out.`);

  const records = new Map<string, ContextRecord>();
  for (const a of recentActivity) {
    const existing = records.get(a.deal.id);
    const note = `${a.kind} on ${isoDate(a.occurredAt)}`;
    records.set(a.deal.id, existing ? { ...existing, facts: `${existing.facts}; ${note}` } : dealRecord(a.deal, `recent activity: ${note}`));
  }
  for (const r of atRisk) {
    const existing = records.get(r.deal.id);
    const note = `at risk: ${r.reasons.join('; ')}`;
    records.set(r.deal.id, existing ? { ...existing, facts: `${existing.facts}; ${note}` } : dealRecord(r.deal, note));
  }
  for (const r of slipped.risks) {
    const existing = records.get(r.deal.id);
    const note = `slipped: was due ${r.deal.closeDate}`;
    records.set(r.deal.id, existing ? { ...existing, facts: `${existing.facts}; ${note}` } : dealRecord(r.deal, note));
  }
  for (const a of quiet.accounts) {
    records.set(a.id, { kind: 'account', id: a.id, label: a.name, facts: `${plural(a.openDeals, 'open deal')} worth ${money(a.openValueCents)}, ${quietSince(a.lastActivity, asOf)}` });
  }
  const agent = agentById('daily-briefing');
  return {
    prompt: {
      agent: agent.id,
      instruction: agent.instruction,
      question: null,
      records: [...records.values()],
      facts: [
        `Briefing for ${who} on ${asOf}.`,
        `${pipeline.openDeals} open deals worth ${money(pipeline.openValueCents)}, weighted ${money(pipeline.weightedValueCents)}; ${pipeline.closingSoon} close in the next ${SOON_DAYS} days; win rate ${percent(pipeline.winRate)}.`,
        `${recentActivity.length} activities on these deals in the last ${RECENT_DAYS} days; ${riskTotal} open deals at risk worth ${money(riskValue)} (ranked by value).`,
        `${slipped.total} open deals are past their close date; ${quiet.total} accounts with open deals had no activity in ${STALE_DAYS} days.`,
        `${health.consentFiltered} deals are hidden by consent and left out.`,
      ],
      draft: sentences.join(' '),
      substitutions: {},
    },
    briefing: {
      asOf,
      scope: scope.ownerId ? 'user' : 'tenant',
      ownerName: scope.ownerName,
      pipeline,
      recentActivity,
      atRisk,
      consentFiltered: health.consentFiltered,
      note: consentNote(health.consentFiltered),
    },
  };
}

/** read_briefing: the caller's daily briefing (the daily-briefing agent). */
export async function readBriefing(ctx: ServiceContext, agents: AgentService, asOfInput: string | null | undefined): Promise<Briefing> {
  const asOf = checkAsOf(asOfInput, agents.today());
  const budget = await openAgentCall(ctx, agents);
  const built = await briefingPrompt(ctx, asOf);
  const agent = agentById('daily-briefing');
  const answer = await answerPrompt(ctx, agents, agent, { targetKind: null, targetId: null, input: { agent: agent.id, asOf } }, built.prompt, budget);
  record(ctx, answer.citations.length, built.briefing.consentFiltered);
  return { ...answer, ...built.briefing };
}

