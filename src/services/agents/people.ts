import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { contactSearchTokens, contacts } from '../../db/schema';
import { isPactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { TOKEN_KIND } from '../crm/contact-pii';
import { words as foldedWords } from '../keys/search-words';
import { OPEN_STAGES } from '../crm/deals';
import { dealLine, dealRecord } from './facts';
import { money, plural } from './format';
import { cite } from './grounding';
import { STOP_WORDS } from './question';
import { midnight } from './risk';
import { CITED, CONTEXT, empty, filterOf, type Asked, type Part } from './workspace-parts';
import { findDeals, type NamedAccount } from './search';
import { callerHas } from './scopes';

/**
 * People in workspace questions, without reading personal data: a contact named in the question
 * ("What's the latest with Ada Lovelace?") is found through the blind index of name words (the
 * per-tenant HMAC tokens `piiSearch` uses), never by decrypting names; the answer cites the
 * contact by id with its title and never writes the name. Only consented contacts are read (the
 * database's consent gate); how many withdrawn contacts hold the name is told only to callers who
 * may read consent records (write:consent), so to everyone else a withdrawn contact's name answers
 * exactly as an unknown name does.
 */

/** A consented contact whose name the question holds. */
export interface NamedContact {
  id: string;
  title: string | null;
  accountId: string | null;
  accountName: string | null;
}

/** Adjacent word pairs ("first last") of a question, as written and as folded for the index; filler words are skipped. */
function namePairs(question: string): { written: [string, string]; folded: [string, string] }[] {
  const written = question.match(/[\p{L}\p{N}]+/gu) ?? [];
  const pairs: { written: [string, string]; folded: [string, string] }[] = [];
  for (let i = 0; i + 1 < written.length && pairs.length < 24; i += 1) {
    const a = written[i] as string;
    const b = written[i + 1] as string;
    const fa = foldedWords(a)[0];
    const fb = foldedWords(b)[0];
    if (!fa || !fb || fa.length < 2 || fb.length < 2 || STOP_WORDS.has(fa) || STOP_WORDS.has(fb) || /^\d+$/.test(fa) || /^\d+$/.test(fb)) continue;
    pairs.push({ written: [a, b], folded: [fa, fb] });
  }
  return pairs;
}

/** Contacts holding both tokens of a pair (the primary key (tenant_id, token, contact_id) serves each look-up). */
const holdingPair = (ctx: ServiceContext, tokens: [string, string]): SQL =>
  inArray(
    contacts.id,
    ctx.tx
      .select({ id: contactSearchTokens.contactId })
      .from(contactSearchTokens)
      .where(and(eq(contactSearchTokens.tenantId, ctx.principal.tenantId), inArray(contactSearchTokens.token, tokens)))
      .groupBy(contactSearchTokens.contactId)
      .having(sql`count(*) = 2`),
  );

/**
 * Contacts the question names by first and last name (any two adjacent words both among a
 * contact's name tokens), consented ones only, with the words that named them (removed from the
 * rest of the question). Needs read:contacts; with the tenant key revoked no name can be matched.
 * `hidden`: withdrawn contacts holding such a name, for write:consent callers only (0 otherwise).
 */
export async function namedContacts(ctx: ServiceContext, question: string): Promise<{ contacts: NamedContact[]; hidden: number; words: string[] }> {
  const none = { contacts: [], hidden: 0, words: [] };
  if (!callerHas(ctx, 'read:contacts')) return none;
  const pairs = namePairs(question);
  if (pairs.length === 0) return none;
  let key;
  try {
    key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
  } catch (error) {
    if (isPactError(error)) return none;
    throw error;
  }
  const tokenOf = (w: string) => ctx.keys.blindIndex(key, TOKEN_KIND, w);
  const tokened = pairs.map((p) => ({ ...p, tokens: [tokenOf(p.folded[0]), tokenOf(p.folded[1])] as [string, string] }));
  const where = and(eq(contacts.tenantId, ctx.principal.tenantId), or(...tokened.map((p) => holdingPair(ctx, p.tokens))));
  const found = await ctx.database.rows<NamedContact & Record<string, unknown> & { tokens: string[] }>(
    ctx.tx,
    sql`select contacts.id, contacts.title, contacts.account_id as "accountId", a.name as "accountName",
          array(select t.token from contact_search_tokens t where t.tenant_id = contacts.tenant_id and t.contact_id = contacts.id and t.token in (${sql.join(
            tokened.flatMap((p) => p.tokens).map((t) => sql`${t}`),
            sql`, `,
          )})) as tokens
        from contacts left join accounts a on a.tenant_id = contacts.tenant_id and a.id = contacts.account_id
        where ${where}
        order by contacts.id limit 10`,
  );
  const used = new Set<string>();
  for (const c of found) {
    const held = new Set(c.tokens);
    for (const p of tokened) if (held.has(p.tokens[0]) && held.has(p.tokens[1])) p.written.forEach((w) => used.add(w));
  }
  const hidden = ctx.principal.scopes.has('write:consent') ? await hiddenCount(ctx, { from: contacts, where }) : 0;
  return { contacts: found.map(({ tokens: _tokens, ...c }) => c), hidden, words: [...used] };
}

interface ContactActivity extends Record<string, unknown> {
  kind: string;
  day: string;
  dealId: string | null;
  dealName: string | null;
  total: number;
}

/** The latest activities logged with a contact (kind, day, the consented deal it was on), newest first. */
async function activitiesWith(ctx: ServiceContext, contactId: string, today: string): Promise<ContactActivity[]> {
  return ctx.database.rows<ContactActivity>(
    ctx.tx,
    sql`select x.kind::text as kind, to_char(x.occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, d.id as "dealId", d.name as "dealName", (count(*) over ())::int as total
        from activities x left join deals d on d.tenant_id = x.tenant_id and d.id = x.deal_id
        where x.tenant_id = ${ctx.principal.tenantId} and x.contact_id = ${contactId} and x.occurred_at < ${midnight(today)} + interval '1 day'
        order by x.occurred_at desc, x.id limit 20`,
  );
}

const who = (c: NamedContact) => `${c.title ? `the ${c.title}` : 'a contact'}${c.accountName ? ` at ${c.accountName}` : ''}`;

/**
 * "What's the latest with Ada Lovelace?" / "deals where Ada Lovelace is involved": each contact the
 * question named (cited, never named), the latest activity logged with them, the deals those
 * activities were on, and their account's open deals.
 */
export async function contactsPart(ctx: ServiceContext, a: Asked, named: readonly NamedContact[], canDeals: boolean): Promise<Part> {
  const part = empty('contacts with the name in the question');
  part.matched = named.length;
  if (named.length > 1) {
    // Several people share the name: one line each, no deals (the caller picks one and asks again).
    const lines: string[] = [];
    for (const c of named.slice(0, CITED)) {
      const last = (await activitiesWith(ctx, c.id, a.today))[0];
      part.records.push({ kind: 'contact', id: c.id, label: c.title ?? 'contact', facts: `contact: ${who(c)}; ${last ? `latest activity ${last.kind} on ${last.day}` : 'no activity logged with them'}` });
      if (c.accountId && c.accountName) part.records.push({ kind: 'account', id: c.accountId, label: c.accountName, facts: `the account of contact ${c.id}` });
      lines.push(`${cite({ kind: 'contact', id: c.id })} ${who(c)}${c.accountId && c.accountName ? ` ${cite({ kind: 'account', id: c.accountId })}` : ''} (${last ? `latest activity: a ${last.kind} on ${last.day}` : 'no activity logged with them'})`);
    }
    part.sentences.push(`${named.length} contacts have the name you gave: ${lines.join('; ')}.`);
    return part;
  }
  for (const c of named.slice(0, 1)) {
    const acts = await activitiesWith(ctx, c.id, a.today);
    const last = acts[0];
    const involved = new Map<string, string>();
    for (const x of acts) if (x.dealId && x.dealName) involved.set(x.dealId, x.dealName);
    part.records.push({ kind: 'contact', id: c.id, label: c.title ?? 'contact', facts: `contact: ${who(c)}; ${acts.length > 0 ? `${last?.total ?? 0} activities, the latest a ${last?.kind} on ${last?.day}` : 'no activity logged with them'}` });
    if (c.accountId && c.accountName) part.records.push({ kind: 'account', id: c.accountId, label: c.accountName, facts: `the account of contact ${c.id}` });
    const head = `The contact you named ${cite({ kind: 'contact', id: c.id })} is ${who(c)}${c.accountId && c.accountName ? ` ${cite({ kind: 'account', id: c.accountId })}` : ''}`;
    part.sentences.push(
      last
        ? `${head}; the latest activity with them: a ${last.kind} on ${last.day}${last.dealId && last.dealName ? ` about ${last.dealName} ${cite({ kind: 'deal', id: last.dealId })}` : ''} (${plural(last.total, 'activity', 'activities')} logged with them in all).`
        : `${head}; no activity is logged with them.`,
    );
    part.facts.push(`Contact ${c.id}: ${who(c)}; ${acts.length > 0 ? `latest activity ${last?.kind} on ${last?.day}, ${last?.total} in all` : 'no activity logged'}.`);
    if (!canDeals) continue;
    if (involved.size > 0) {
      part.sentences.push(`Deals they were involved in (activity logged with them): ${[...involved].slice(0, CITED).map(([id, name]) => `${name} ${cite({ kind: 'deal', id })}`).join('; ')}.`);
    }
    if (c.accountId && c.accountName) {
      const account: NamedAccount = { id: c.accountId, name: c.accountName };
      const found = await findDeals(ctx, { ...filterOf({ ...a, named: [account] }), stages: [...OPEN_STAGES], terms: [], window: null, industries: [], minCents: null, maxCents: null }, CONTEXT);
      part.hidden += found.hidden;
      part.records.push(...found.items.map((d) => dealRecord(d)));
      part.sentences.push(
        found.totals.open.n > 0
          ? `Open deals at ${c.accountName}: ${plural(found.totals.open.n, 'deal')} worth ${money(found.totals.open.cents)}: ${found.items.slice(0, CITED).map(dealLine).join('; ')}.`
          : `No open deals at ${c.accountName}.`,
      );
    }
  }
  return part;
}

/** "Who did we last talk to there?": the latest activity on the account logged with a consented contact (cited by id and title, never named). */
export async function lastPersonPart(ctx: ServiceContext, a: Asked, account: NamedAccount): Promise<Part> {
  const part = empty(`people we logged activity with at ${account.name}`);
  if (!callerHas(ctx, 'read:contacts')) {
    part.sentences.push(`Who we talked to at ${account.name} needs read:contacts: the caller's credentials lack it.`);
    return part;
  }
  const [row] = await ctx.database.rows<{ id: string; title: string | null; kind: string; day: string; dealId: string | null; dealName: string | null; total: number }>(
    ctx.tx,
    sql`select c.id, c.title, x.kind::text as kind, to_char(x.occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, d.id as "dealId", d.name as "dealName", (count(*) over ())::int as total
        from activities x
        join contacts c on c.tenant_id = x.tenant_id and c.id = x.contact_id
        left join deals d on d.tenant_id = x.tenant_id and d.id = x.deal_id
        where x.tenant_id = ${ctx.principal.tenantId} and x.account_id = ${account.id} and x.occurred_at < ${midnight(a.today)} + interval '1 day'
        order by x.occurred_at desc, x.id limit 1`,
  );
  if (!row) {
    part.sentences.push(`No activity at ${account.name} ${cite({ kind: 'account', id: account.id })} is logged with a contact (a person of the account).`);
    part.records.push({ kind: 'account', id: account.id, label: account.name, facts: 'the account in question; no activity logged with a contact' });
    return part;
  }
  part.matched = 1;
  part.records.push({ kind: 'contact', id: row.id, label: row.title ?? 'contact', facts: `contact at ${account.name}; latest activity with them ${row.kind} on ${row.day}` });
  part.records.push({ kind: 'account', id: account.id, label: account.name, facts: 'the account in question' });
  part.sentences.push(
    `The last person we logged activity with at ${account.name} ${cite({ kind: 'account', id: account.id })}: ${row.title ? `the ${row.title}` : 'a contact'} ${cite({ kind: 'contact', id: row.id })}, a ${row.kind} on ${row.day}${row.dealId && row.dealName ? ` about ${row.dealName} ${cite({ kind: 'deal', id: row.dealId })}` : ''}.`,
  );
  part.facts.push(`Latest activity with a contact at ${account.name}: ${row.kind} on ${row.day} with contact ${row.id}; ${row.total} activities with contacts there.`);
  return part;
}

/** A consented contact by id (the person a conversation is about), as `namedContacts` gives it; null when consent hides it now. */
export async function contactById(ctx: ServiceContext, id: string): Promise<NamedContact | null> {
  const [row] = await ctx.database.rows<NamedContact & Record<string, unknown>>(
    ctx.tx,
    sql`select c.id, c.title, c.account_id as "accountId", a.name as "accountName"
        from contacts c left join accounts a on a.tenant_id = c.tenant_id and a.id = c.account_id
        where c.tenant_id = ${ctx.principal.tenantId} and c.id = ${id}`,
  );
  return row ?? null;
}
