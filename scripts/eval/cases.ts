import { sql } from 'drizzle-orm';
import { money } from '../../src/services/agents/format';
import { CONVERSATION_CASES } from './conversations';
import type { EvalCase, EvalCitation, EvalClient } from './harness';
import { AT_RISK, OPEN, accountByName, accountDeals, ask, cites, deals, lastActivityOf, listed, month, ownerId, quarter, shift, year } from './truth';

/**
 * The evaluation set: everyday questions and agent tasks a salesperson has in a week. The truth of
 * each is computed here in SQL, independently of the agents' code: consent applied by hand
 * (`not consent_hidden`), risk and time windows defined again from the product's words.
 */

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
  ...CONVERSATION_CASES,
];

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
