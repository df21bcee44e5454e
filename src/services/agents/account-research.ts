import { and, eq, sql } from 'drizzle-orm';
import { contacts as contactsTable } from '../../db/schema';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { accountRecord, dealLine, dealRecord } from './facts';
import { daysBetween, money, plural, stageName } from './format';
import { cite } from './grounding';
import { accountDeals, isOpen, notFound, prompt, visibleAccount, type BuiltPrompt, type DealRow } from './records';
import { STALE_DAYS, dealRisks, quietSince } from './risk';
import { agentById } from './roster';

/** "251 days (about 8 months)": a lapse a salesperson reads at a glance. */
export function lapse(days: number): string {
  const months = Math.round(days / 30.4);
  return days >= 45 ? `${plural(days, 'day')} (about ${plural(months, 'month')})` : plural(days, 'day');
}

/**
 * account-research: the account; its open deals (each slipped one called out with how long ago its
 * close date passed), won and lost deals apart (never summed with the open pipeline); its contacts
 * (counted only); its activity, and whether it has gone quiet (no activity in 30 days).
 */
export async function accountPrompt(ctx: ServiceContext, accountId: string, question: string | null, today: string): Promise<BuiltPrompt> {
  const agent = agentById('account-research');
  const account = await visibleAccount(ctx, accountId);
  if (!account) throw notFound('account');
  const t = ctx.principal.tenantId;
  const deals = await accountDeals(ctx, accountId);
  const [people] = await ctx.database.rows<{ visible: number }>(
    ctx.tx,
    sql`select count(*)::int as visible from contacts where tenant_id = ${t} and account_id = ${accountId}`,
  );
  const hiddenPeople = await hiddenCount(ctx, { from: contactsTable, where: and(eq(contactsTable.tenantId, t), eq(contactsTable.accountId, accountId)) });
  const [activity] = await ctx.database.rows<{ n: number; last: string | null }>(
    ctx.tx,
    sql`select count(*)::int as n, to_char(max(occurred_at) at time zone 'UTC', 'YYYY-MM-DD') as last
        from activities where tenant_id = ${t} and account_id = ${accountId} and occurred_at < (${today}::date + 1)::timestamp at time zone 'UTC'`,
  );
  const { risks } = await dealRisks(ctx, today, { accountId }, 10);
  const slipped = risks.filter((r) => r.overdue);
  const open = deals.filter((d) => isOpen(d));
  const won = deals.filter((d) => d.stage === 'closed_won');
  const lost = deals.filter((d) => d.stage === 'closed_lost');
  const sum = (list: DealRow[]) => list.reduce((s, d) => s + d.amountCents, 0);
  const contacts = { visible: people?.visible ?? 0, hidden: hiddenPeople };
  const last = activity?.last ?? null;
  const quiet = last === null || daysBetween(last, today) > STALE_DAYS;
  const onlyOpen = open.length === 1 ? 'its only open deal' : null;
  const sentences = [
    `${account.name} ${cite({ kind: 'account', id: account.id })} is ${account.industry ? `${/^[AEIOU]/i.test(account.industry) ? 'an' : 'a'} ${account.industry} company` : 'a company'}${account.domain ? ` (${account.domain})` : ''} with ${account.employeeCount ?? 'an unknown number of'} employees, owned by ${account.ownerName ?? 'nobody'}.`,
    open.length > 0
      ? `Open pipeline: ${plural(open.length, 'deal')} worth ${money(sum(open))}: ${open.slice(0, 3).map(dealLine).join('; ')}${open.length > 3 ? '; …' : ''}.`
      : 'No open deals.',
    ...slipped.map((r) => {
      const days = daysBetween(r.deal.closeDate as string, today);
      return `Slipped: ${onlyOpen && slipped.length === 1 ? `${onlyOpen}, ` : ''}${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} is ${lapse(days)} past its close date (${r.deal.closeDate}) and still in ${stageName(r.deal.stage)}: agree a new date or close it.`;
    }),
    `Closed: ${won.length} won (${money(sum(won))}) and ${lost.length} lost (${money(sum(lost))}), counted apart from the open pipeline.`,
    `${plural(contacts.visible, 'contact')} on file${contacts.hidden > 0 ? ` (${contacts.hidden} more hidden by consent)` : ''}.`,
    last
      ? `${plural(activity?.n ?? 0, 'activity', 'activities')} logged, the latest on ${last} (${plural(daysBetween(last, today), 'day')} ago)${quiet && open.length > 0 ? `: the account has gone quiet with open deals, plan a touchpoint this week` : ''}.`
      : open.length > 0
        ? 'No activity logged, although it has open deals: plan a first touchpoint.'
        : 'No activity logged.',
  ];
  const records = [accountRecord(account), ...deals.slice(0, 10).map((d) => {
    const risk = risks.find((r) => r.deal.id === d.id);
    return dealRecord(d, risk && risk.reasons.length > 0 ? `at risk: ${risk.reasons.join('; ')}` : undefined);
  })];
  for (const r of slipped) if (!records.some((x) => x.id === r.deal.id)) records.push(dealRecord(r.deal, `at risk: ${r.reasons.join('; ')}`));
  const facts = [
    `Today is ${today}.`,
    `${open.length} open deals worth ${money(sum(open))}. Separately: ${won.length} won worth ${money(sum(won))}; ${lost.length} lost worth ${money(sum(lost))}. Never add won or lost to the open pipeline.`,
    `${slipped.length} open deals are past their close date${slipped.length > 0 ? `: ${slipped.map((r) => `${r.deal.name} was due ${r.deal.closeDate} (${lapse(daysBetween(r.deal.closeDate as string, today))} ago)`).join('; ')}` : ''}.`,
    `${contacts.visible} contacts on file, ${contacts.hidden} hidden by consent.`,
    `${activity?.n ?? 0} activities logged${last ? `, the latest on ${last}` : ''}; ${quiet ? `${quietSince(last, today)}: the account is quiet` : 'active in the last 30 days'}.`,
  ];
  return { prompt: prompt(agent, question, records, facts, sentences.join(' ')), consentFiltered: contacts.hidden };
}
