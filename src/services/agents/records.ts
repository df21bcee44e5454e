import { sql } from 'drizzle-orm';
import { ErrorCode, PactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { contactPii } from '../crm/contact-pii';
import { getContact } from '../crm/contacts';
import { OPEN_STAGES } from '../crm/deals';
import { accountRecord, dealLine, dealRecord, type AccountFacts, type DealFacts } from './facts';
import { plural, prose } from './format';
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

export type AccountRow = AccountFacts & Record<string, unknown>;
export type DealRow = DealFacts & Record<string, unknown>;

export const notFound = (what: string) => new PactError(ErrorCode.NotFound, `No ${what} with this id in this workspace.`);

export const prompt = (agent: AgentDefinition, question: string | null, records: ContextRecord[], facts: string[], draft: string, substitutions: Record<string, string> = {}): GroundedPrompt => ({
  agent: agent.id,
  instruction: agent.instruction,
  question: questionFor(agent, question),
  records,
  facts,
  draft,
  substitutions,
});

export async function visibleAccount(ctx: ServiceContext, id: string): Promise<AccountRow | null> {
  const [row] = await ctx.database.rows<AccountRow>(
    ctx.tx,
    sql`select a.id, a.name, a.domain, a.industry, a.employee_count as "employeeCount", u.display_name as "ownerName"
        from accounts a left join users u on u.id = a.owner_id
        where a.tenant_id = ${ctx.principal.tenantId} and a.id = ${id}`,
  );
  return row ?? null;
}

/** The columns of a deal's facts, for raw SQL over `deals d join accounts a`. */
export const DEAL_FACTS = sql`d.id, d.name, d.stage, d.amount_cents::float8 as "amountCents", d.probability, d.close_date::text as "closeDate", a.name as "accountName"`;

/** The account's consented deals, largest first (a deal of a visible account is visible). */
export const accountDeals = (ctx: ServiceContext, accountId: string) =>
  ctx.database.rows<DealRow>(
    ctx.tx,
    sql`select ${DEAL_FACTS} from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        where d.tenant_id = ${ctx.principal.tenantId} and d.account_id = ${accountId}
        order by d.amount_cents desc, d.id`,
  );

export const isOpen = (d: DealFacts) => OPEN_STAGES.includes(d.stage);

export interface Person {
  contactId: string;
  title: string | null;
  account: AccountRow | null;
  substitutions: Record<string, string>;
}

/** A consented contact with its PII opened (only after the consent gate) as placeholders' values. */
export async function person(ctx: ServiceContext, contactId: string): Promise<Person> {
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

export const contactRecord = (p: Person): ContextRecord => ({
  kind: 'contact',
  id: p.contactId,
  label: p.title ?? 'Contact',
  facts: `name {{contact_name}}, e-mail {{contact_email}}, phone {{contact_phone}}, title ${p.title ?? 'unknown'}${p.account ? `, works at ${p.account.name}` : ''}`,
});

/**
 * What a contact agent reads besides the contact (read:contacts): the account's details with
 * read:accounts (its name alone otherwise, as query_contacts shows it), its deals with read:deals.
 */
export function reach(ctx: ServiceContext) {
  const deals = callerHas(ctx, 'read:deals');
  const accounts = callerHas(ctx, 'read:accounts');
  const left = [...(accounts ? [] : ['account details (read:accounts)']), ...(deals ? [] : ['deals (read:deals)'])];
  return { deals, accounts, note: left.length > 0 ? `Not read: ${prose(left)}: the caller's credentials lack ${left.length === 1 ? 'that scope' : 'those scopes'}.` : null };
}

/** The account as a contact agent may show it: with its details only under read:accounts. */
export const accountSeen = (a: AccountRow, withDetails: boolean): AccountRow => (withDetails ? a : { ...a, domain: null, industry: null, employeeCount: null, ownerName: null });

export const contactAccountRecord = (a: AccountRow, withDetails: boolean): ContextRecord =>
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

