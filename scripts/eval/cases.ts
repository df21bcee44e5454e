import { sql, type SQL } from 'drizzle-orm';
import { money } from '../../src/services/agents/format';
import type { EvalCase, EvalCitation, EvalClient, Expectation } from './harness';

/**
 * The evaluation set: everyday questions and agent tasks a salesperson has in a week. The truth of
 * each is computed here in SQL, independently of the agents' code: consent applied by hand
 * (`not consent_hidden`), risk and time windows defined again from the product's words.
 */

const OPEN = sql.raw(`('prospecting', 'qualification', 'proposal', 'negotiation')`);
const DAY = 86_400_000;
const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
function month(today: string, offset: number): [string, string] {
  const d = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 + offset, 1));
  const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  return [d.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}
function quarter(today: string, offset: number): [string, string] {
  const m = Number(today.slice(5, 7)) - 1;
  const start = new Date(Date.UTC(Number(today.slice(0, 4)), Math.floor(m / 3) * 3 + offset * 3, 1));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 3, 0));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}
const year = (today: string): [string, string] => [`${today.slice(0, 4)}-01-01`, `${today.slice(0, 4)}-12-31`];

interface DealRow extends Record<string, unknown> {
  id: string;
  name: string;
  amount: number;
  close_date: string | null;
  stage: string;
}

/** Consented deals of the demo tenant matching `where`, largest first, and their count and value. */
async function deals(c: EvalClient, where: SQL, limit = 5): Promise<{ top: DealRow[]; n: number; cents: number; hidden: number }> {
  const top = await c.sql<DealRow>(sql`select d.id, d.name, d.amount_cents::float8 as amount, d.close_date::text as close_date, d.stage::text as stage
    from deals d join accounts a on a.id = d.account_id
    where d.tenant_id = ${c.tenantId} and not d.consent_hidden and ${where} order by d.amount_cents desc, d.id limit ${limit}`);
  const [t] = await c.sql<{ n: number; cents: number; hidden: number }>(sql`select (count(*) filter (where not d.consent_hidden))::int as n,
      coalesce(sum(d.amount_cents) filter (where not d.consent_hidden), 0)::float8 as cents, (count(*) filter (where d.consent_hidden))::int as hidden
    from deals d join accounts a on a.id = d.account_id where d.tenant_id = ${c.tenantId} and ${where}`);
  return { top, n: t?.n ?? 0, cents: t?.cents ?? 0, hidden: t?.hidden ?? 0 };
}

/** Every consented deal of an account (relevant to cite when the answer is about the account). */
async function accountDeals(c: EvalClient, accountId: string): Promise<EvalCitation[]> {
  return cites(await c.sql<{ id: string }>(sql`select id from deals where tenant_id = ${c.tenantId} and account_id = ${accountId} and not consent_hidden`));
}

const cites = (rows: { id: string }[], kind = 'deal'): EvalCitation[] => rows.map((r) => ({ kind, id: r.id }));

/** Deals found: the count, the largest one's name, the largest cited; "Nothing matched" when none. */
function listed(found: { top: DealRow[]; n: number; hidden: number }, extra: string[] = []): Expectation {
  if (found.n === 0) return { facts: ['Nothing matched', ...(found.hidden > 0 ? [`${found.hidden} matching record`] : [])], citations: [], forbid: found.hidden === 0 ? [/consent/i] : [] };
  return { facts: [String(found.n), found.top[0]?.name ?? '', ...extra], citations: cites(found.top), forbid: [...(found.hidden === 0 ? [/consent/i] : []), /in total/] };
}

/** A risk signal, as the product defines it: close date passed; nothing logged for 30 days; closing within 14 days at ≤ 25%. */
const AT_RISK = (today: string) => sql`(d.close_date < ${today}::date
  or coalesce((select max(x.occurred_at) from activities x where x.tenant_id = d.tenant_id and x.deal_id = d.id and x.occurred_at < ${shift(today, 1)}::date), '-infinity') < ${shift(today, -30)}::date
  or (d.close_date between ${today}::date and ${today}::date + 14 and d.probability <= 25))`;

async function accountByName(c: EvalClient, name: string): Promise<{ id: string; name: string }> {
  const [a] = await c.sql<{ id: string; name: string }>(sql`select id, name from accounts where tenant_id = ${c.tenantId} and name = ${name} and not consent_hidden`);
  if (!a) throw new Error(`no consented account ${name}`);
  return a;
}

async function lastActivityOf(c: EvalClient, accountId: string): Promise<string | null> {
  const [r] = await c.sql<{ last: string | null }>(sql`select to_char(max(occurred_at) at time zone 'UTC', 'YYYY-MM-DD') as last from activities
    where tenant_id = ${c.tenantId} and account_id = ${accountId} and occurred_at < ${shift(c.today, 1)}::date`);
  return r?.last ?? null;
}

const ask = (id: string, covers: string, question: string, expect: (c: EvalClient) => Promise<Expectation>): EvalCase => ({ id, covers, run: { question }, expect });

async function ownerId(c: EvalClient, email: string): Promise<{ id: string; name: string }> {
  const [u] = await c.sql<{ id: string; name: string }>(sql`select id, display_name as name from users where email = ${email}`);
  if (!u) throw new Error(`no user ${email}`);
  return u;
}

export const CASES: EvalCase[] = [
  ask('stage-negotiation', 'stage', 'Which deals are in negotiation?', async (c) => listed(await deals(c, sql`d.stage = 'negotiation'`))),
  ask('stage-proposal', 'stage', 'Show me the deals in proposal', async (c) => listed(await deals(c, sql`d.stage = 'proposal'`))),
  ask('risk-quarter', 'risk + window', 'Which deals are at risk this quarter?', async (c) => {
    const [from, to] = quarter(c.today, 0);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.close_date between ${from}::date and ${to}::date and ${AT_RISK(c.today)}`));
  }),
  ask('risk-all', 'risk', 'Which deals are at risk?', async (c) => listed(await deals(c, sql`d.stage in ${OPEN} and ${AT_RISK(c.today)}`))),
  ask('risk-mine', 'risk + my deals', 'Which of my deals are at risk?', async (c) => listed(await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and ${AT_RISK(c.today)}`))),
  ask('negotiation-next-month', 'stage + window', 'Which deals are in negotiation and closing next month?', async (c) => {
    const [from, to] = month(c.today, 1);
    return listed(await deals(c, sql`d.stage = 'negotiation' and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('close-this-month', 'window', 'What closes this month?', async (c) => {
    const [from, to] = month(c.today, 0);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('close-next-quarter', 'window', 'Which deals are expected to close next quarter?', async (c) => {
    const [from, to] = quarter(c.today, 1);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('next-30-days', 'window', 'Anything closing in the next 30 days?', async (c) =>
    listed(await deals(c, sql`d.stage in ${OPEN} and d.close_date between ${c.today}::date and ${shift(c.today, 30)}::date`)),
  ),
  ask('my-close-this-month', 'my deals + window', 'Which of my deals close this month?', async (c) => {
    const [from, to] = month(c.today, 0);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('overdue', 'overdue', 'Which deals are overdue?', async (c) => listed(await deals(c, sql`d.stage in ${OPEN} and d.close_date < ${c.today}::date`))),
  ask('slipped-mine', 'overdue + my deals', 'Which of my deals slipped past their close date?', async (c) =>
    listed(await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and d.close_date < ${c.today}::date`)),
  ),
  ask('won-last-quarter', 'won + window', 'What did we win last quarter?', async (c) => {
    const [from, to] = quarter(c.today, -1);
    const found = await deals(c, sql`d.stage = 'closed_won' and d.close_date between ${from}::date and ${to}::date`);
    return listed(found, found.n > 0 ? [money(found.cents)] : []);
  }),
  ask('lost-this-year', 'lost + window', 'How many deals did we lose this year?', async (c) => {
    const [from, to] = year(c.today);
    const found = await deals(c, sql`d.stage = 'closed_lost' and d.close_date between ${from}::date and ${to}::date`);
    return listed(found, found.n > 0 ? [money(found.cents)] : []);
  }),
  ask('won-this-month', 'won + window', 'Which deals closed won this month?', async (c) => {
    const [from, to] = month(c.today, 0);
    return listed(await deals(c, sql`d.stage = 'closed_won' and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('over-amount-quarter', 'amount + window', 'Show deals over 200k closing this quarter', async (c) => {
    const [from, to] = quarter(c.today, 0);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.amount_cents >= 20000000 and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('under-amount', 'amount', 'Which open deals are under 10k?', async (c) => listed(await deals(c, sql`d.stage in ${OPEN} and d.amount_cents <= 1000000`))),
  ask('largest-open', 'size', 'What are our largest open deals?', async (c) => listed(await deals(c, sql`d.stage in ${OPEN}`))),
  ask('industry-stage', 'industry + stage', 'Which Software deals are in proposal?', async (c) => listed(await deals(c, sql`d.stage = 'proposal' and a.industry = 'Software'`))),
  ask('industry-overdue', 'industry + overdue', 'Which Finance deals are overdue?', async (c) =>
    listed(await deals(c, sql`d.stage in ${OPEN} and a.industry = 'Finance' and d.close_date < ${c.today}::date`)),
  ),
  ask('owner-named', 'owner by name + stage', 'Which deals does Manager own in negotiation?', async (c) => {
    const m = await ownerId(c, 'manager@pact.demo');
    return listed(await deals(c, sql`d.stage = 'negotiation' and d.owner_id = ${m.id}`));
  }),
  ask('owner-possessive', 'owner by name', "What is in Member's pipeline?", async (c) => {
    const m = await ownerId(c, 'member@pact.demo');
    const found = await deals(c, sql`d.owner_id = ${m.id}`);
    return { ...listed(found), forbid: [/in total/] };
  }),
  ask('my-pipeline', 'my deals', 'What is in my pipeline?', async (c) => {
    const found = await deals(c, sql`d.owner_id = ${c.userId}`);
    return { ...listed(found), forbid: [/in total/] };
  }),
  ask('overview', 'overview', 'How is our pipeline doing?', async (c) => {
    const found = await deals(c, sql`d.stage in ${OPEN}`);
    return { facts: [money(found.cents), String(found.n)], citations: cites(found.top) };
  }),
  ask('by-owner', 'grouping', "What's our pipeline by owner?", async (c) => {
    const rows = await c.sql<{ name: string; cents: number }>(sql`select u.display_name as name, sum(d.amount_cents)::float8 as cents from deals d join users u on u.id = d.owner_id
      where d.tenant_id = ${c.tenantId} and not d.consent_hidden and d.stage in ${OPEN} group by u.display_name`);
    return { facts: rows.flatMap((r) => [r.name, money(r.cents)]), citations: [], forbid: [/Nothing matched/] };
  }),
  ask('by-stage', 'grouping', 'Open pipeline by stage', async (c) => {
    const rows = await c.sql<{ cents: number }>(sql`select sum(d.amount_cents)::float8 as cents from deals d where d.tenant_id = ${c.tenantId} and not d.consent_hidden and d.stage in ${OPEN} group by d.stage`);
    return { facts: rows.map((r) => money(r.cents)), citations: [] };
  }),
  ask('by-industry', 'grouping', 'Pipeline per industry', async (c) => {
    const rows = await c.sql<{ industry: string; cents: number }>(sql`select a.industry, sum(d.amount_cents)::float8 as cents from deals d join accounts a on a.id = d.account_id
      where d.tenant_id = ${c.tenantId} and not d.consent_hidden and d.stage in ${OPEN} group by a.industry`);
    return { facts: rows.flatMap((r) => [r.industry, money(r.cents)]), citations: [] };
  }),
  ask('account-happening', 'account name in free phrasing + activity', 'What is happening with Green Labs?', async (c) => {
    const a = await accountByName(c, 'Green Labs');
    const last = await lastActivityOf(c, a.id);
    return { facts: ['Green Labs', ...(last ? [last] : ['No activity'])], citations: [{ kind: 'account', id: a.id }], relevant: await accountDeals(c, a.id), forbid: [/Nothing matched/] };
  }),
  ask('account-deals', 'account name', 'North Labs deals', async (c) => {
    const a = await accountByName(c, 'North Labs');
    return listed(await deals(c, sql`d.account_id = ${a.id}`));
  }),
  ask('account-last-talk', 'account + activity', 'When did we last talk to Blue Labs?', async (c) => {
    const a = await accountByName(c, 'Blue Labs');
    const last = await lastActivityOf(c, a.id);
    return { facts: [last ?? 'No activity'], citations: [{ kind: 'account', id: a.id }], relevant: await accountDeals(c, a.id) };
  }),
  ask('account-about', 'account digest', 'Tell me about Blue Labs', async (c) => {
    const a = await accountByName(c, 'Blue Labs');
    const open = await deals(c, sql`d.account_id = ${a.id} and d.stage in ${OPEN}`);
    return { facts: ['Blue Labs', ...(open.n > 0 ? [money(open.cents)] : ['No open deals'])], citations: [{ kind: 'account', id: a.id }, ...cites(open.top)], relevant: await accountDeals(c, a.id), forbid: [/in total/] };
  }),
  ask('account-open-deals', 'account + stage', 'Open deals at Red Labs', async (c) => {
    const a = await accountByName(c, 'Red Labs');
    return listed(await deals(c, sql`d.account_id = ${a.id} and d.stage in ${OPEN}`));
  }),
  ask('quiet-accounts', 'stale accounts', 'Which accounts have gone quiet?', async (c) => {
    const rows = await c.sql<{ id: string; n: number }>(sql`select a.id, count(*) over ()::int as n from accounts a
      where a.tenant_id = ${c.tenantId} and not a.consent_hidden
        and exists (select 1 from deals d where d.account_id = a.id and d.stage in ${OPEN} and not d.consent_hidden)
        and not exists (select 1 from activities x where x.account_id = a.id and x.occurred_at >= ${shift(c.today, -30)}::date and x.occurred_at < ${shift(c.today, 1)}::date)
      order by (select sum(d.amount_cents) from deals d where d.account_id = a.id and d.stage in ${OPEN} and not d.consent_hidden) desc, a.id limit 5`);
    return rows.length > 0 ? { facts: [String(rows[0]?.n)], citations: cites(rows, 'account') } : { facts: ['Nothing matched'], citations: [] };
  }),
  ask('recent-activity', 'activity', 'Any recent activity?', async (c) => {
    const window = sql`x.tenant_id = ${c.tenantId} and not a.consent_hidden and x.occurred_at >= ${shift(c.today, -13)}::date and x.occurred_at < ${shift(c.today, 1)}::date`;
    const [r] = await c.sql<{ n: number }>(sql`select count(*)::int as n from activities x join accounts a on a.id = x.account_id where ${window}`);
    const touched = await c.sql<{ id: string; kind: string }>(sql`select distinct coalesce(x.deal_id, x.account_id) as id, case when x.deal_id is null then 'account' else 'deal' end as kind
      from activities x join accounts a on a.id = x.account_id where ${window}`);
    return { facts: r && r.n > 0 ? [String(r.n)] : ['Nothing matched'], citations: [], relevant: touched.map((t) => ({ kind: t.kind, id: t.id })) };
  }),
  ask('industry-count', 'industry + accounts', 'How many Healthcare accounts do we have?', async (c) => {
    const all = await c.sql<{ id: string }>(sql`select id from accounts where tenant_id = ${c.tenantId} and industry = 'Healthcare' and not consent_hidden`);
    return { facts: [`${all.length} account`], citations: [], relevant: cites(all, 'account') };
  }),
  ask('for-me-this-month', 'owner ("for me") + window', 'What closes this month for me?', async (c) => {
    const [from, to] = month(c.today, 0);
    return listed(await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and d.close_date between ${from}::date and ${to}::date`));
  }),
  ask('risk-this-week', 'risk now ("this week")', "What's at risk this week?", async (c) => listed(await deals(c, sql`d.stage in ${OPEN} and ${AT_RISK(c.today)}`))),
  ask('who-owns-most', 'grouping in free phrasing', 'Who owns the most pipeline?', async (c) => {
    const [top] = await c.sql<{ name: string; cents: number }>(sql`select u.display_name as name, sum(d.amount_cents)::float8 as cents from deals d join users u on u.id = d.owner_id
      where d.tenant_id = ${c.tenantId} and not d.consent_hidden and d.stage in ${OPEN} group by u.display_name order by 2 desc limit 1`);
    return { facts: [top?.name ?? '', money(top?.cents ?? 0)], citations: [] };
  }),
  ask('not-talked-in-a-while', 'stale accounts in free phrasing', "Which customers haven't we talked to in a while?", async (c) => {
    const rows = await c.sql<{ id: string }>(sql`select a.id from accounts a where a.tenant_id = ${c.tenantId} and not a.consent_hidden
        and exists (select 1 from deals d where d.account_id = a.id and d.stage in ${OPEN} and not d.consent_hidden)
        and not exists (select 1 from activities x where x.account_id = a.id and x.occurred_at >= ${shift(c.today, -30)}::date and x.occurred_at < ${shift(c.today, 1)}::date)`);
    return rows.length > 0 ? { facts: [String(rows.length)], citations: [], relevant: cites(rows, 'account') } : { facts: ['Nothing matched'], citations: [] };
  }),
  ask('top-n', 'size with a count', 'top 3 deals', async (c) => {
    const found = await deals(c, sql`d.stage in ${OPEN}`, 3);
    return { ...listed(found), facts: [found.top[0]?.name ?? '', found.top[2]?.name ?? ''] };
  }),
  ask('contacts-asked', 'people asked about: says where to look', 'Which contacts work at Blue Labs?', async (c) => {
    const a = await accountByName(c, 'Blue Labs');
    return { facts: ['Contacts are not searched here'], citations: [{ kind: 'account', id: a.id }], relevant: await accountDeals(c, a.id) };
  }),
  ask('no-match', 'honest no match', 'Tell me about zebras', async () => ({ facts: ['Nothing matched', 'zebras'], citations: [], forbid: [/consent/i] })),
  ask('hidden-account', 'consent: a withdrawn account named', 'hidden', async () => ({ facts: [], citations: [] })),

  // Agent tasks.
  {
    id: 'deal-risk-mine',
    covers: 'deal-risk ranks by value at risk with facts',
    run: async () => ({ agent: 'deal-risk' }),
    expect: async (c) => {
      const found = await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and ${AT_RISK(c.today)}`);
      return { facts: [String(found.n), money(found.cents), found.top[0]?.name ?? ''], citations: cites(found.top) };
    },
  },
  {
    id: 'deal-risk-overdue',
    covers: 'deal-risk explains a slipped date with its fact',
    run: async (c) => ({ agent: 'deal-risk', targetId: (await deals(c, sql`d.stage in ${OPEN} and d.close_date < ${c.today}::date`, 1)).top[0]?.id ?? null }),
    expect: async (c) => {
      const d = (await deals(c, sql`d.stage in ${OPEN} and d.close_date < ${c.today}::date`, 1)).top[0];
      return { facts: [d?.close_date ?? '', 'passed', 'Risk: high'], citations: d ? cites([d]) : [] };
    },
  },
  {
    id: 'deal-risk-healthy',
    covers: 'deal-risk on a healthy deal',
    run: async (c) => ({ agent: 'deal-risk', targetId: (await deals(c, sql`d.stage in ${OPEN} and not ${AT_RISK(c.today)}`, 1)).top[0]?.id ?? null }),
    expect: async (c) => {
      const d = (await deals(c, sql`d.stage in ${OPEN} and not ${AT_RISK(c.today)}`, 1)).top[0];
      return { facts: ['Risk: low'], citations: d ? cites([d]) : [] };
    },
  },
  {
    id: 'account-research-slipped',
    covers: 'account-research calls out a slipped close date',
    run: async (c) => ({ agent: 'account-research', targetId: (await slippedAccount(c))?.account_id ?? null }),
    expect: async (c) => {
      const s = await slippedAccount(c);
      return { facts: ['past its close date', s?.close_date ?? ''], citations: s ? [{ kind: 'account', id: s.account_id }, { kind: 'deal', id: s.id }] : [], relevant: s ? await accountDeals(c, s.account_id) : [] };
    },
  },
  {
    id: 'account-research-quiet',
    covers: 'account-research calls out a quiet account',
    run: async (c) => ({ agent: 'account-research', targetId: (await quietAccount(c))?.id ?? null }),
    expect: async (c) => {
      const q = await quietAccount(c);
      return { facts: [q?.last ? 'gone quiet' : 'No activity logged'], citations: q ? [{ kind: 'account', id: q.id }] : [], relevant: q ? await accountDeals(c, q.id) : [] };
    },
  },
  {
    id: 'account-research-outcomes',
    covers: 'account-research keeps won and lost apart',
    run: async (c) => ({ agent: 'account-research', targetId: (await accountByName(c, 'Iron Labs')).id }),
    expect: async (c) => {
      const a = await accountByName(c, 'Iron Labs');
      const won = await deals(c, sql`d.account_id = ${a.id} and d.stage = 'closed_won'`);
      const lost = await deals(c, sql`d.account_id = ${a.id} and d.stage = 'closed_lost'`);
      return { facts: [`${won.n} won (${money(won.cents)})`, `${lost.n} lost (${money(lost.cents)})`], citations: [{ kind: 'account', id: a.id }], relevant: await accountDeals(c, a.id) };
    },
  },
  {
    id: 'drafter-instructions',
    covers: 'follow-up-drafter follows instructions, signs as the sender, no markers in the text',
    run: async (c) => ({ agent: 'follow-up-drafter', targetId: (await draftContact(c)).id, question: 'mention pricing, propose Tuesday' }),
    expect: async (c) => {
      const t = await draftContact(c);
      return { facts: ['pricing', 'Tuesday', c.userName], citations: [{ kind: 'contact', id: t.id }], relevant: [{ kind: 'account', id: t.accountId }, ...(await accountDeals(c, t.accountId))], forbid: [/\[(contact|deal|account):/, /The team/] };
    },
  },
  {
    id: 'drafter-default',
    covers: 'follow-up-drafter without instructions',
    run: async (c) => ({ agent: 'follow-up-drafter', targetId: (await draftContact(c)).id }),
    expect: async (c) => {
      const t = await draftContact(c);
      return { facts: ['Subject: ', c.userName, t.deal ?? ''], citations: [{ kind: 'contact', id: t.id }], relevant: [{ kind: 'account', id: t.accountId }, ...(await accountDeals(c, t.accountId))], forbid: [/\[(contact|deal|account):/, /The team/] };
    },
  },
  {
    id: 'briefing',
    covers: 'daily-briefing: at risk by value, slipped, quiet accounts',
    run: async () => ({ agent: 'daily-briefing' }),
    expect: async (c) => {
      const risk = await deals(c, sql`d.stage in ${OPEN} and d.owner_id = ${c.userId} and ${AT_RISK(c.today)}`);
      const mine = await c.sql<{ id: string; account_id: string }>(sql`select id, account_id from deals where tenant_id = ${c.tenantId} and owner_id = ${c.userId} and not consent_hidden`);
      return {
        facts: [`Daily briefing for ${c.userName}`, risk.top[0]?.name ?? 'No open deals at risk'],
        citations: cites(risk.top),
        relevant: [...cites(mine), ...mine.map((d) => ({ kind: 'account', id: d.account_id }))],
      };
    },
  },
  {
    id: 'metric-win-rate',
    covers: 'metric explainer: no circular driver',
    run: async () => ({ agent: 'metric-explainer', question: 'Why did the win rate change?' }),
    expect: async (c) => ({ facts: ['Win rate'], citations: [], relevant: await closingLately(c), forbid: [/stage closed (won|lost)/i, /closed won \(/i] }),
  },
  {
    id: 'metric-open-pipeline',
    covers: 'metric explainer: open pipeline',
    run: async () => ({ agent: 'metric-explainer', question: 'Why did open pipeline move?' }),
    expect: async (c) => ({ facts: ['Open pipeline'], citations: [], relevant: await closingLately(c) }),
  },

  // Conversations: each question a follow-up of the answer before it (ask_workspace's `followUpOf`).
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

/** Deals closing in a metric explanation's default periods (the 180 days ending today): the ones it may name as large effects. */
async function closingLately(c: EvalClient): Promise<EvalCitation[]> {
  return cites(await c.sql<{ id: string }>(sql`select id from deals where tenant_id = ${c.tenantId} and not consent_hidden and close_date between ${shift(c.today, -179)}::date and ${c.today}::date`));
}

async function slippedAccount(c: EvalClient) {
  const [r] = await c.sql<{ id: string; account_id: string; close_date: string }>(sql`select d.id, d.account_id, d.close_date::text from deals d join accounts a on a.id = d.account_id
    where d.tenant_id = ${c.tenantId} and not d.consent_hidden and d.stage in ${OPEN} and d.close_date < ${c.today}::date order by d.amount_cents desc, d.id limit 1`);
  return r ?? null;
}

async function quietAccount(c: EvalClient) {
  const [r] = await c.sql<{ id: string; last: string | null }>(sql`select a.id, (select to_char(max(x.occurred_at) at time zone 'UTC', 'YYYY-MM-DD') from activities x where x.account_id = a.id and x.occurred_at < ${shift(c.today, 1)}::date) as last
    from accounts a where a.tenant_id = ${c.tenantId} and not a.consent_hidden
      and exists (select 1 from deals d where d.account_id = a.id and d.stage in ${OPEN} and not d.consent_hidden)
      and not exists (select 1 from activities x where x.account_id = a.id and x.occurred_at >= ${shift(c.today, -30)}::date and x.occurred_at < ${shift(c.today, 1)}::date)
    order by a.id limit 1`);
  return r ?? null;
}

/** A consented contact whose account has an open deal: the drafter's target, and that deal's name. */
async function draftContact(c: EvalClient): Promise<{ id: string; accountId: string; deal: string | null }> {
  const [r] = await c.sql<{ id: string; accountId: string; deal: string | null }>(sql`select ct.id, ct.account_id as "accountId", (select d.name from deals d where d.account_id = ct.account_id and not d.consent_hidden and d.stage in ${OPEN} order by d.amount_cents desc, d.id limit 1) as deal
    from contacts ct join accounts a on a.id = ct.account_id
    where ct.tenant_id = ${c.tenantId} and not ct.consent_hidden and not a.consent_hidden
      and exists (select 1 from deals d where d.account_id = ct.account_id and not d.consent_hidden and d.stage in ${OPEN})
    order by ct.id limit 1`);
  if (!r) throw new Error('no contact with an open deal');
  return r;
}

/** The hidden-account case needs the name of a withdrawn account: built at run time. */
export async function withHiddenAccount(c: EvalClient, cases: readonly EvalCase[]): Promise<EvalCase[]> {
  const [hidden] = await c.sql<{ id: string; name: string }>(sql`select a.id, a.name from accounts a join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
    where a.tenant_id = ${c.tenantId} and s.status = 'withdrawn' order by a.name limit 1`);
  return cases.map((x) =>
    x.id !== 'hidden-account' || !hidden
      ? x
      : {
          ...x,
          run: { question: `What is happening with ${hidden.name}?` },
          expect: async () => ({ facts: ['hidden by consent'], citations: [], forbid: [new RegExp(hidden.id)] }),
        },
  );
}
