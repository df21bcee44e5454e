import { and, eq, inArray, sql } from 'drizzle-orm';
import { contacts as contactsTable, deals as dealsTable } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { contactPii } from '../crm/contact-pii';
import { getContact } from '../crm/contacts';
import { OPEN_STAGES } from '../crm/deals';
import { briefingScope, dealRisks, type DealRisk } from './briefing';
import { accountRecord, dealLine, dealRecord, type AccountFacts, type DealFacts } from './facts';
import { isoDate, money, plural, prose, stageName } from './format';
import { cite } from './grounding';
import { agentById, type AgentDefinition } from './roster';
import { callerHas } from './scopes';
import { questionFor } from './runner';
import type { ContextRecord, GroundedPrompt } from './types';

/** A prompt built for a record-targeted agent, with what consent hid around the record. */
export interface BuiltPrompt {
  prompt: GroundedPrompt;
  consentFiltered: number;
}

type AccountRow = AccountFacts & Record<string, unknown>;
type DealRow = DealFacts & Record<string, unknown>;

const notFound = (what: string) => new PactError(ErrorCode.NotFound, `No ${what} with this id in this workspace.`);

const prompt = (agent: AgentDefinition, question: string | null, records: ContextRecord[], facts: string[], draft: string, substitutions: Record<string, string> = {}): GroundedPrompt => ({
  agent: agent.id,
  instruction: agent.instruction,
  question: questionFor(agent, question),
  records,
  facts,
  draft,
  substitutions,
});

async function visibleAccount(ctx: ServiceContext, id: string): Promise<AccountRow | null> {
  const [row] = await ctx.database.rows<AccountRow>(
    ctx.tx,
    sql`select a.id, a.name, a.domain, a.industry, a.employee_count as "employeeCount", u.display_name as "ownerName"
        from accounts a left join users u on u.id = a.owner_id
        where a.tenant_id = ${ctx.principal.tenantId} and a.id = ${id}`,
  );
  return row ?? null;
}

/** The columns of a deal's facts, for raw SQL over `deals d join accounts a`. */
const DEAL_FACTS = sql`d.id, d.name, d.stage, d.amount_cents::float8 as "amountCents", d.probability, d.close_date::text as "closeDate", a.name as "accountName"`;

/** The account's consented deals, largest first (a deal of a visible account is visible). */
const accountDeals = (ctx: ServiceContext, accountId: string) =>
  ctx.database.rows<DealRow>(
    ctx.tx,
    sql`select ${DEAL_FACTS} from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        where d.tenant_id = ${ctx.principal.tenantId} and d.account_id = ${accountId}
        order by d.amount_cents desc, d.id`,
  );

const isOpen = (d: DealFacts) => OPEN_STAGES.includes(d.stage);

/** account-research: the account, its deals by outcome, its contacts (counted only) and its activity. */
export async function accountPrompt(ctx: ServiceContext, accountId: string, question: string | null): Promise<BuiltPrompt> {
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
        from activities where tenant_id = ${t} and account_id = ${accountId}`,
  );
  const open = deals.filter((d) => isOpen(d));
  const won = deals.filter((d) => d.stage === 'closed_won');
  const lost = deals.filter((d) => d.stage === 'closed_lost');
  const sum = (list: DealRow[]) => list.reduce((s, d) => s + d.amountCents, 0);
  const contacts = { visible: people?.visible ?? 0, hidden: hiddenPeople };
  const sentences = [
    `${account.name} ${cite({ kind: 'account', id: account.id })} is ${account.industry ? `a ${account.industry} company` : 'a company'}${account.domain ? ` (${account.domain})` : ''} with ${account.employeeCount ?? 'an unknown number of'} employees, owned by ${account.ownerName ?? 'nobody'}.`,
    open.length > 0
      ? `Open pipeline: ${plural(open.length, 'deal')} worth ${money(sum(open))}: ${open.slice(0, 3).map(dealLine).join('; ')}${open.length > 3 ? '; …' : ''}.`
      : 'No open deals.',
    `Closed: ${won.length} won (${money(sum(won))}), ${lost.length} lost (${money(sum(lost))}).`,
    `${plural(contacts.visible, 'contact')} on file${contacts.hidden > 0 ? ` (${contacts.hidden} more hidden by consent)` : ''}.`,
    activity?.last ? `${plural(activity.n, 'activity', 'activities')} logged, the latest on ${activity.last}.` : 'No activity logged.',
  ];
  const records = [accountRecord(account), ...deals.slice(0, 10).map((d) => dealRecord(d))];
  const facts = [
    `${open.length} open deals worth ${money(sum(open))}; ${won.length} won worth ${money(sum(won))}; ${lost.length} lost worth ${money(sum(lost))}.`,
    `${contacts.visible} contacts on file, ${contacts.hidden} hidden by consent.`,
    `${activity?.n ?? 0} activities logged${activity?.last ? `, the latest on ${activity.last}` : ''}.`,
  ];
  return { prompt: prompt(agent, question, records, facts, sentences.join(' ')), consentFiltered: contacts.hidden };
}

interface Person {
  contactId: string;
  title: string | null;
  account: AccountRow | null;
  substitutions: Record<string, string>;
}

/** A consented contact with its PII opened (only after the consent gate) as placeholders' values. */
async function person(ctx: ServiceContext, contactId: string): Promise<Person> {
  const contact = await getContact(ctx, contactId);
  if (!contact) throw notFound('contact');
  const pii = await contactPii(ctx, contact);
  const name = pii?.name ?? 'the contact';
  const account = contact.accountId ? await visibleAccount(ctx, contact.accountId) : null;
  return {
    contactId: contact.id,
    title: contact.title,
    account,
    substitutions: {
      contact_name: name,
      contact_first_name: name.split(/\s+/)[0] ?? name,
      contact_email: pii?.email ?? '(no e-mail on file)',
      contact_phone: pii?.phone ?? '(no phone on file)',
    },
  };
}

const contactRecord = (p: Person): ContextRecord => ({
  kind: 'contact',
  id: p.contactId,
  label: p.title ?? 'Contact',
  facts: `name {{contact_name}}, e-mail {{contact_email}}, phone {{contact_phone}}, title ${p.title ?? 'unknown'}${p.account ? `, works at ${p.account.name}` : ''}`,
});

/**
 * What a contact agent reads besides the contact (read:contacts): the account's details with
 * read:accounts (its name alone otherwise, as query_contacts shows it), its deals with read:deals.
 */
function reach(ctx: ServiceContext) {
  const deals = callerHas(ctx, 'read:deals');
  const accounts = callerHas(ctx, 'read:accounts');
  const left = [...(accounts ? [] : ['account details (read:accounts)']), ...(deals ? [] : ['deals (read:deals)'])];
  return { deals, accounts, note: left.length > 0 ? `Not read: ${prose(left)}: the caller's credentials lack ${left.length === 1 ? 'that scope' : 'those scopes'}.` : null };
}

/** The account as a contact agent may show it: with its details only under read:accounts. */
const accountSeen = (a: AccountRow, withDetails: boolean): AccountRow => (withDetails ? a : { ...a, domain: null, industry: null, employeeCount: null, ownerName: null });

const contactAccountRecord = (a: AccountRow, withDetails: boolean): ContextRecord =>
  withDetails ? accountRecord(a) : { kind: 'account', id: a.id, label: a.name, facts: "the contact's account (its details were not read)" };

/** contact-summary (reads PII): the contact, their account and its open deals, and activity with them (as far as the caller's scopes reach). */
export async function contactPrompt(ctx: ServiceContext, contactId: string): Promise<BuiltPrompt> {
  const agent = agentById('contact-summary');
  const scope = reach(ctx);
  const p = await person(ctx, contactId);
  if (p.account) p.account = accountSeen(p.account, scope.accounts);
  const deals = p.account && scope.deals ? (await accountDeals(ctx, p.account.id)).filter((d) => isOpen(d)) : [];
  const activity = await ctx.database.rows<{ kind: string; subject: string; day: string }>(
    ctx.tx,
    sql`select kind, subject, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day from activities
        where tenant_id = ${ctx.principal.tenantId} and contact_id = ${contactId} order by occurred_at desc, id limit 5`,
  );
  const who = `{{contact_name}}${p.title ? ` (${p.title})` : ''} ${cite({ kind: 'contact', id: p.contactId })}`;
  const sentences = [
    p.account ? `${who} works at ${p.account.name} ${cite({ kind: 'account', id: p.account.id })}${p.account.industry ? `, a ${p.account.industry} company` : ''}.` : `${who} is not linked to a visible account.`,
    'E-mail {{contact_email}}, phone {{contact_phone}}.',
    p.account && scope.deals ? (deals.length > 0 ? `${p.account.name} has ${plural(deals.length, 'open deal')}: ${deals.slice(0, 3).map(dealLine).join('; ')}.` : `${p.account.name} has no open deals.`) : '',
    activity.length > 0
      ? `Recent activity with {{contact_first_name}}: ${activity.map((a) => `${a.kind} “${a.subject}” on ${a.day}`).join('; ')}.`
      : 'No activity logged with this contact.',
    scope.note ?? '',
  ].filter(Boolean);
  const records = [contactRecord(p), ...(p.account ? [contactAccountRecord(p.account, scope.accounts)] : []), ...deals.slice(0, 5).map((d) => dealRecord(d))];
  const facts = [`${activity.length} recent activities with the contact${activity.length > 0 ? `: ${activity.map((a) => `${a.kind} on ${a.day}`).join(', ')}` : ''}.`, ...(scope.note ? [scope.note] : [])];
  return { prompt: prompt(agent, null, records, facts, sentences.join(' '), p.substitutions), consentFiltered: 0 };
}

const NEXT_STEP: Record<string, string> = {
  prospecting: 'explore whether a short discovery call would help your team',
  qualification: 'confirm your requirements, timeline and who else should be involved',
  proposal: 'walk through the proposal together and answer open questions',
  negotiation: 'agree the remaining terms so we can move to signature',
  closed_won: 'check in on how things are going since you started',
  closed_lost: 'stay in touch in case your priorities change',
};

/** follow-up-drafter (reads PII): a short follow-up e-mail to the contact about their account's main deal. */
export async function followUpPrompt(ctx: ServiceContext, contactId: string, question: string | null): Promise<BuiltPrompt> {
  const agent = agentById('follow-up-drafter');
  const scope = reach(ctx);
  const p = await person(ctx, contactId);
  if (p.account) p.account = accountSeen(p.account, scope.accounts);
  const deals = p.account && scope.deals ? await accountDeals(ctx, p.account.id) : [];
  const deal = deals.find((d) => isOpen(d)) ?? deals[0] ?? null;
  const sender = (await briefingScope(ctx)).ownerName ?? 'The team';
  const topic = deal ? deal.name : (p.account?.name ?? 'our conversation');
  const draft = [
    `To: {{contact_email}} ${cite({ kind: 'contact', id: p.contactId })}`,
    `Subject: Following up on ${topic}`,
    '',
    'Hi {{contact_first_name}},',
    '',
    deal
      ? `Thank you for your time on ${deal.name} ${cite({ kind: 'deal', id: deal.id })}. As a next step, I would like to ${NEXT_STEP[deal.stage] ?? 'hear how we can help'}.`
      : `Thank you for your time${p.account ? ` and your interest from ${p.account.name} ${cite({ kind: 'account', id: p.account.id })}` : ''}. I would like to hear how we can help.`,
    'Would you have 20 minutes next week?',
    '',
    'Best regards,',
    sender,
  ].join('\n');
  const records = [contactRecord(p), ...(p.account ? [contactAccountRecord(p.account, scope.accounts)] : []), ...(deal ? [dealRecord(deal)] : [])];
  const facts = [
    `The e-mail is sent by ${sender}.`,
    deal ? `The deal to follow up on is ${deal.name} (stage ${stageName(deal.stage)}).` : scope.deals ? 'The contact has no deal on file.' : 'Deals were not read.',
    ...(scope.note ? [scope.note] : []),
  ];
  return { prompt: prompt(agent, question, records, facts, draft, p.substitutions), consentFiltered: 0 };
}

const ADVICE: Record<string, string> = {
  overdue: 'agree a new close date with the account or close the deal',
  stale: 'log a touchpoint: call or e-mail the account this week',
  soon: 'qualify the deal now or move its close date',
};

function riskLine(r: DealRisk): string {
  return `${r.deal.name} ${cite({ kind: 'deal', id: r.deal.id })} (${stageName(r.deal.stage)}, ${money(r.deal.amountCents)}, closes ${r.deal.closeDate ?? 'undated'}): ${r.reasons.join(', ')}`;
}

const riskRecord = (r: DealRisk): ContextRecord =>
  dealRecord(r.deal, `last activity ${r.lastActivity ?? 'none'}, risk ${r.level}${r.reasons.length > 0 ? `: ${r.reasons.join(', ')}` : ''}`);

/** deal-risk: one deal's risk and next step, or (no target) the caller's riskiest open deals. */
export async function dealRiskPrompt(ctx: ServiceContext, dealId: string | null, asOf = isoDate(new Date())): Promise<BuiltPrompt> {
  const agent = agentById('deal-risk');
  if (dealId) {
    const { risks } = await dealRisks(ctx, asOf, { ownerId: null, dealId }, 1);
    const risk = risks[0];
    if (!risk) {
      const [closed] = await ctx.database.rows<DealRow>(
        ctx.tx,
        sql`select ${DEAL_FACTS} from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
            where d.tenant_id = ${ctx.principal.tenantId} and d.id = ${dealId}`,
      );
      if (!closed) throw notFound('deal');
      const draft = `${closed.name} ${cite({ kind: 'deal', id: closed.id })} is ${stageName(closed.stage)} (${money(closed.amountCents)}): a closed deal carries no pipeline risk.`;
      return { prompt: prompt(agent, null, [dealRecord(closed)], [`As of ${asOf}.`], draft), consentFiltered: 0 };
    }
    const advice = [
      ...(risk.reasons.some((r) => r.startsWith('its close date')) ? [ADVICE.overdue] : []),
      ...(risk.reasons.some((r) => r.startsWith('no activity')) ? [ADVICE.stale] : []),
      ...(risk.reasons.some((r) => r.startsWith('it closes in')) ? [ADVICE.soon] : []),
    ];
    const draft =
      risk.reasons.length > 0
        ? `${riskLine(risk)}. Risk: ${risk.level}. Next step: ${prose(advice.filter((a): a is string => Boolean(a)))}.`
        : `${risk.deal.name} ${cite({ kind: 'deal', id: risk.deal.id })} (${stageName(risk.deal.stage)}, ${money(risk.deal.amountCents)}, closes ${risk.deal.closeDate ?? 'undated'}) shows no risk signal as of ${asOf}: it is on schedule and had activity on ${risk.lastActivity ?? 'record'}. Risk: low.`;
    return { prompt: prompt(agent, null, [riskRecord(risk)], [`As of ${asOf}.`], draft), consentFiltered: 0 };
  }
  const scope = await briefingScope(ctx);
  const { risks, total } = await dealRisks(ctx, asOf, { ownerId: scope.ownerId }, 5);
  const hiddenOpen = await hiddenCount(ctx, {
    from: dealsTable,
    where: and(eq(dealsTable.tenantId, ctx.principal.tenantId), inArray(dealsTable.stage, [...OPEN_STAGES]), scope.ownerId ? eq(dealsTable.ownerId, scope.ownerId) : undefined),
  });
  const whose = scope.ownerId ? `${scope.ownerName ?? 'your'}'s` : "the workspace's";
  const draft =
    risks.length > 0
      ? `${plural(total, `of ${whose} open deals is`, `of ${whose} open deals are`)} at risk as of ${asOf}; the largest: ${risks.map(riskLine).join('; ')}.`
      : `None of ${whose} open deals shows a risk signal as of ${asOf}.`;
  return {
    prompt: prompt(agent, null, risks.map(riskRecord), [`As of ${asOf}: ${total} open deals at risk.`, `${hiddenOpen} open deals are hidden by consent and left out.`], `${draft}${hiddenOpen > 0 ? ` ${plural(hiddenOpen, 'open deal')} hidden by consent ${hiddenOpen === 1 ? 'is' : 'are'} left out.` : ''}`),
    consentFiltered: hiddenOpen,
  };
}
