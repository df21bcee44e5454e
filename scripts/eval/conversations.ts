import { sql } from 'drizzle-orm';
import { money } from '../../src/services/agents/format';
import type { EvalCase, EvalClient } from './harness';
import { OPEN, accountByName, accountDeals, ask, cites, deals, listed, shift } from './truth';

/**
 * The evaluation's conversations (each question a follow-up of the answer before it, through
 * ask_workspace's `followUpOf`) and people named in questions. The contacts they need are created
 * through GraphQL, as a user would, the first time a case asks for them; these cases run last.
 */
export const CONVERSATION_CASES: EvalCase[] = [
  {
    id: 'follow-up-open-deals',
    covers: 'follow-up: "their open deals" after an account question',
    run: { conversation: ['What is happening with Green Labs?', 'what about their open deals?'] },
    expect: async (c) => {
      const a = await accountByName(c, 'Green Labs');
      return listed(await deals(c, sql`d.account_id = ${a.id} and d.stage in ${OPEN}`));
    },
  },
  {
    id: 'follow-up-how-doing',
    covers: 'follow-up: a pronoun keeps the account in focus',
    run: { conversation: ['Tell me about Green Labs', 'how are they doing?'] },
    expect: async (c) => {
      const a = await accountByName(c, 'Green Labs');
      const open = await deals(c, sql`d.account_id = ${a.id} and d.stage in ${OPEN}`);
      return { facts: ['Green Labs', ...(open.n > 0 ? [money(open.cents)] : ['No open deals'])], citations: [{ kind: 'account', id: a.id }, ...cites(open.top)], relevant: await accountDeals(c, a.id), forbid: [/open pipeline is/] };
    },
  },
  {
    id: 'follow-up-switch',
    covers: 'follow-up: naming another account switches focus',
    run: { conversation: ['What is happening with Green Labs?', 'what about Blue Labs?', 'and their open deals?'] },
    expect: async (c) => {
      const green = await accountByName(c, 'Green Labs');
      const blue = await accountByName(c, 'Blue Labs');
      return { ...listed(await deals(c, sql`d.account_id = ${blue.id} and d.stage in ${OPEN}`)), forbid: [new RegExp(green.id), /Green Labs/] };
    },
  },
  {
    id: 'follow-up-last-person',
    covers: 'follow-up: "who did we last talk to there?" cites the contact',
    run: async (c) => {
      await loggedWithContact(c);
      return { conversation: ['What is happening with Green Labs?', 'and who did we last talk to there?'] };
    },
    expect: async (c) => {
      const a = await accountByName(c, 'Green Labs');
      const [last] = await c.sql<{ id: string; day: string }>(sql`select ct.id, to_char(x.occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day from activities x join contacts ct on ct.id = x.contact_id
        where x.tenant_id = ${c.tenantId} and x.account_id = ${a.id} and not ct.consent_hidden and x.occurred_at < ${shift(c.today, 1)}::date order by x.occurred_at desc, x.id limit 1`);
      return last
        ? { facts: [last.day, 'The last person we logged activity with at Green Labs'], citations: [{ kind: 'contact', id: last.id }], relevant: [{ kind: 'account', id: a.id }, ...(await accountDeals(c, a.id))] }
        : { facts: ['is logged with a contact'], citations: [] };
    },
  },

  // People named in free questions (matched on the blind index of name words, cited, never named).
  {
    id: 'contact-latest',
    covers: 'a contact named by first and last name',
    run: async (c) => ({ question: `What's the latest with ${(await loggedWithContact(c)).name}?` }),
    expect: async (c) => {
      const t = await loggedWithContact(c);
      const [last] = await c.sql<{ day: string; kind: string }>(sql`select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, kind::text as kind from activities
        where tenant_id = ${c.tenantId} and contact_id = ${t.id} order by occurred_at desc, id limit 1`);
      return { facts: [last?.day ?? '', `a ${last?.kind}`, 'Head of Evaluation'], citations: [{ kind: 'contact', id: t.id }], relevant: [{ kind: 'account', id: t.accountId }, ...(await accountDeals(c, t.accountId))], forbid: [new RegExp(t.name)] };
    },
  },
  {
    id: 'contact-deals',
    covers: 'deals a named contact is involved in',
    run: async (c) => ({ question: `Which deals is ${(await loggedWithContact(c)).name} involved in?` }),
    expect: async (c) => {
      const t = await loggedWithContact(c);
      const involved = await c.sql<{ id: string; name: string }>(sql`select distinct d.id, d.name from activities x join deals d on d.id = x.deal_id
        where x.tenant_id = ${c.tenantId} and x.contact_id = ${t.id} and not d.consent_hidden`);
      return { facts: involved.map((d) => d.name), citations: [{ kind: 'contact', id: t.id }, ...cites(involved)], relevant: [{ kind: 'account', id: t.accountId }, ...(await accountDeals(c, t.accountId))], forbid: [new RegExp(t.name)] };
    },
  },
  {
    id: 'contact-withdrawn',
    covers: 'consent: a withdrawn contact’s name answers as an unknown name',
    run: async (c) => ({ question: `What's the latest with ${(await withdrawnContact(c)).name}?` }),
    expect: async (c) => {
      const t = await withdrawnContact(c);
      // The demo admin may read consent records (write:consent): it is told a match was hidden, nothing more.
      return { facts: ['Nothing matched', '1 matching record is hidden by consent'], citations: [], forbid: [new RegExp(t.id), /Head of/] };
    },
  },
  ask('contact-unknown', 'an unknown person’s name', "What's the latest with Quinn Zabriskie?", async () => ({ facts: ['Nothing matched'], citations: [], forbid: [/consent/i, /\[contact:/] })),
];

/** A contact with a name no seeded contact has, at Green Labs, with a call logged on its largest open deal: created once per run. */
const contactsMade = new WeakMap<EvalClient, Promise<{ id: string; name: string; accountId: string }>>();
function loggedWithContact(c: EvalClient): Promise<{ id: string; name: string; accountId: string }> {
  const made =
    contactsMade.get(c) ??
    (async () => {
      const a = await accountByName(c, 'Green Labs');
      const name = 'Evelyn Quarterman';
      const contact = await data<{ createContact: { id: string } }>(c, 'mutation($a: ID) { createContact(input: { name: "Evelyn Quarterman", email: "evelyn.quarterman@greenlabs.example", title: "Head of Evaluation", accountId: $a }) { id } }', { a: a.id });
      const deal = (await deals(c, sql`d.account_id = ${a.id} and d.stage in ${OPEN}`, 1)).top[0];
      await data(c, 'mutation($a: ID, $c: ID, $d: ID, $at: DateTime) { createActivity(input: { kind: CALL, subject: "Pricing call", accountId: $a, contactId: $c, dealId: $d, occurredAt: $at }) { id } }', {
        a: a.id,
        c: contact.createContact.id,
        d: deal?.id ?? null,
        at: `${shift(c.today, -1)}T15:00:00.000Z`,
      });
      return { id: contact.createContact.id, name, accountId: a.id };
    })();
  contactsMade.set(c, made);
  return made;
}

/** A contact created and then withdrawn (its e-mail's consent): its name must not be confirmed. */
const withdrawnMade = new WeakMap<EvalClient, Promise<{ id: string; name: string }>>();
function withdrawnContact(c: EvalClient): Promise<{ id: string; name: string }> {
  const made =
    withdrawnMade.get(c) ??
    (async () => {
      const contact = await data<{ createContact: { id: string } }>(c, 'mutation { createContact(input: { name: "Perpetua Winterbourne", email: "perpetua.winterbourne@example.org", title: "Head of Legal" }) { id } }', {});
      await data(c, 'mutation { withdrawConsent(subject: { kind: EMAIL, value: "perpetua.winterbourne@example.org" }) { status } }', {});
      return { id: contact.createContact.id, name: 'Perpetua Winterbourne' };
    })();
  withdrawnMade.set(c, made);
  return made;
}

async function data<T>(c: EvalClient, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await c.gql(query, variables);
  if (res.body.errors) throw new Error(res.body.errors.map((e) => e.message).join('; '));
  return res.body.data as T;
}

