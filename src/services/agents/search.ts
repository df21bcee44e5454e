import { and, asc, desc, eq, gte, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { accounts, deals, memberships, users } from '../../db/schema';
import type { ServiceContext } from '../context';
import { hiddenCount } from '../consent/hidden';
import { OPEN_STAGES, type DealStage } from '../crm/deals';
import type { DealFacts } from './facts';
import type { DateWindow, Member } from './question';
import { midnight } from './risk';

/**
 * The storage side of workspace questions: every read is one SQL statement on the tenant's indexes
 * (stage, close date, account name, full-text), bounded by a limit; consent is the database's
 * (RLS), hidden counts come from consent/hidden.ts. The rules that read a question are question.ts.
 */

/** Count and value of open, won and lost deals, apart (never summed together), as select columns. */
function outcomeTotals() {
  const open = sql.raw(`(${OPEN_STAGES.map((s) => `'${s}'`).join(', ')})`);
  return {
    openN: sql<number>`(count(*) filter (where ${deals.stage} in ${open}))::int`,
    openCents: sql<string>`coalesce(sum(${deals.amountCents}) filter (where ${deals.stage} in ${open}), 0)`,
    wonN: sql<number>`(count(*) filter (where ${deals.stage} = 'closed_won'))::int`,
    wonCents: sql<string>`coalesce(sum(${deals.amountCents}) filter (where ${deals.stage} = 'closed_won'), 0)`,
    lostN: sql<number>`(count(*) filter (where ${deals.stage} = 'closed_lost'))::int`,
    lostCents: sql<string>`coalesce(sum(${deals.amountCents}) filter (where ${deals.stage} = 'closed_lost'), 0)`,
  };
}

/** The full-text document of an account: name, domain and industry (no PII). The accounts_search_idx expression. */
export const accountDocument = sql`to_tsvector('english'::regconfig, ${accounts.name} || ' ' || coalesce(${accounts.domain}, '') || ' ' || coalesce(${accounts.industry}, ''))`;
/** The full-text document of a deal: its name (no PII). The deals_search_idx expression. */
export const dealDocument = sql`to_tsvector('english'::regconfig, ${deals.name})`;

/**
 * The tenant's industries the question names (as stored): its words and word runs (and their
 * singulars) looked up on accounts_tenant_industry_idx, so no question scans the accounts.
 */
export async function namedIndustries(ctx: ServiceContext, candidates: readonly string[]): Promise<string[]> {
  if (candidates.length === 0) return [];
  const words = [...new Set(candidates.flatMap((c) => [c, c.replace(/s$/, '')]))];
  const rows = await ctx.tx
    .selectDistinct({ industry: accounts.industry })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.principal.tenantId), inArray(sql`lower(${accounts.industry})`, words)));
  return rows.flatMap((r) => (r.industry ? [r.industry] : []));
}

/** The tenant's members and their display names (owners a question may name). */
export async function tenantMembers(ctx: ServiceContext): Promise<Member[]> {
  return ctx.tx
    .select({ userId: users.id, displayName: users.displayName })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.tenantId, ctx.principal.tenantId));
}

export interface NamedAccount {
  id: string;
  name: string;
}

/** Accounts whose whole name is one of the question's word runs (on accounts_tenant_name_idx), and how many such accounts consent hides. */
export async function namedAccounts(ctx: ServiceContext, candidates: readonly string[]): Promise<{ accounts: NamedAccount[]; hidden: number }> {
  if (candidates.length === 0) return { accounts: [], hidden: 0 };
  const where = and(eq(accounts.tenantId, ctx.principal.tenantId), inArray(sql`lower(${accounts.name})`, [...candidates]));
  const found = await ctx.tx.select({ id: accounts.id, name: accounts.name }).from(accounts).where(where).orderBy(sql`length(${accounts.name}) desc`, asc(accounts.id)).limit(5);
  // "North Labs 21" also holds "North Labs": keep the longest names only.
  const kept = found.filter((a) => !found.some((b) => b !== a && b.name.toLowerCase().includes(a.name.toLowerCase())));
  return { accounts: kept, hidden: await hiddenCount(ctx, { from: accounts, where }) };
}

export type FoundDeal = DealFacts & { accountId: string; industry: string | null; ownerName: string | null };

export interface FoundAccount {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  employeeCount: number | null;
  ownerName: string | null;
}

export interface Found<T> {
  /** The first `limit` matches, best first. */
  items: T[];
  /** Consented records matching. */
  matched: number;
  /** Matching records consent hid (counted, never read). */
  hidden: number;
}

/** Count and value of matching deals by outcome: open, won and lost are never added together. */
export interface DealTotals {
  open: { n: number; cents: number };
  won: { n: number; cents: number };
  lost: { n: number; cents: number };
}

/** What deals to find. */
export interface DealFilter {
  stages: readonly DealStage[];
  industries: readonly string[];
  terms: readonly string[];
  window: DateWindow | null;
  /** Owners (user ids); null for any. */
  ownerIds: readonly string[] | null;
  accountIds: readonly string[];
  minCents: number | null;
  maxCents: number | null;
}

const tsQuery = (terms: readonly string[]) => sql`plainto_tsquery('english'::regconfig, ${terms.join(' ')})`;

const dealWhere = (ctx: ServiceContext, f: DealFilter): SQL | undefined =>
  and(
    eq(deals.tenantId, ctx.principal.tenantId),
    f.stages.length > 0 ? inArray(deals.stage, [...f.stages]) : undefined,
    f.industries.length > 0 ? inArray(accounts.industry, [...f.industries]) : undefined,
    f.terms.length > 0 ? or(sql`${dealDocument} @@ ${tsQuery(f.terms)}`, sql`${accountDocument} @@ ${tsQuery(f.terms)}`) : undefined,
    f.window ? and(gte(deals.closeDate, f.window.from), lte(deals.closeDate, f.window.to)) : undefined,
    f.ownerIds ? (f.ownerIds.length > 0 ? inArray(deals.ownerId, [...f.ownerIds]) : sql`false`) : undefined,
    f.accountIds.length > 0 ? inArray(deals.accountId, [...f.accountIds]) : undefined,
    f.minCents !== null ? gte(deals.amountCents, f.minCents) : undefined,
    f.maxCents !== null ? lte(deals.amountCents, f.maxCents) : undefined,
  );

/** Deals matching the filter, largest first, with totals by outcome and how many consent hid. */
export async function findDeals(ctx: ServiceContext, filter: DealFilter, limit: number): Promise<Found<FoundDeal> & { totals: DealTotals }> {
  const where = dealWhere(ctx, filter);
  const onAccount = and(eq(accounts.tenantId, deals.tenantId), eq(accounts.id, deals.accountId)) as SQL;
  const items = await ctx.tx
    .select({
      id: deals.id,
      name: deals.name,
      stage: deals.stage,
      amountCents: deals.amountCents,
      probability: deals.probability,
      closeDate: deals.closeDate,
      accountId: deals.accountId,
      accountName: accounts.name,
      industry: accounts.industry,
      ownerName: users.displayName,
    })
    .from(deals)
    .innerJoin(accounts, onAccount)
    .leftJoin(users, eq(users.id, deals.ownerId))
    .where(where)
    .orderBy(desc(deals.amountCents), asc(deals.id))
    .limit(limit);
  const [t] = await ctx.tx
    .select({
      ...outcomeTotals(),
    })
    .from(deals)
    .innerJoin(accounts, onAccount)
    .where(where);
  const totals: DealTotals = {
    open: { n: t?.openN ?? 0, cents: Number(t?.openCents ?? 0) },
    won: { n: t?.wonN ?? 0, cents: Number(t?.wonCents ?? 0) },
    lost: { n: t?.lostN ?? 0, cents: Number(t?.lostCents ?? 0) },
  };
  const hidden = await hiddenCount(ctx, { from: deals, where, join: { table: accounts, on: onAccount } });
  return { items, matched: totals.open.n + totals.won.n + totals.lost.n, hidden, totals };
}

/** Accounts matching industries, full-text terms or names: best match first, or largest (employees) first. */
export async function findAccounts(
  ctx: ServiceContext,
  filter: { industries: readonly string[]; terms: readonly string[]; accountIds?: readonly string[]; largest: boolean },
  limit: number,
): Promise<Found<FoundAccount>> {
  const query = filter.terms.length > 0 ? tsQuery(filter.terms) : null;
  const where: SQL | undefined = and(
    eq(accounts.tenantId, ctx.principal.tenantId),
    filter.industries.length > 0 ? inArray(accounts.industry, [...filter.industries]) : undefined,
    query ? sql`${accountDocument} @@ ${query}` : undefined,
    filter.accountIds && filter.accountIds.length > 0 ? inArray(accounts.id, [...filter.accountIds]) : undefined,
  );
  const order =
    query && !filter.largest
      ? [desc(sql`ts_rank(${accountDocument}, ${query})`), asc(accounts.name), asc(accounts.id)]
      : filter.largest
        ? [sql`${accounts.employeeCount} desc nulls last`, asc(accounts.id)]
        : [asc(accounts.name), asc(accounts.id)];
  const items = await ctx.tx
    .select({
      id: accounts.id,
      name: accounts.name,
      domain: accounts.domain,
      industry: accounts.industry,
      employeeCount: accounts.employeeCount,
      ownerName: users.displayName,
    })
    .from(accounts)
    .leftJoin(users, eq(users.id, accounts.ownerId))
    .where(where)
    .orderBy(...order)
    .limit(limit);
  const [totals] = await ctx.tx.select({ matched: sql<number>`count(*)::int` }).from(accounts).where(where);
  return { items, matched: totals?.matched ?? 0, hidden: await hiddenCount(ctx, { from: accounts, where }) };
}

/** One logged activity as an answer may show it: kind, day, and the deal or account it is on (never its free-text subject). */
export interface FoundActivity {
  id: string;
  kind: string;
  day: string;
  accountId: string;
  accountName: string;
  dealId: string | null;
  dealName: string | null;
}

/** Activities on consented accounts (and their deals) in a window, newest first, on the (tenant, occurred_at) index; with how many match in all. */
export async function findActivities(
  ctx: ServiceContext,
  filter: { accountIds: readonly string[]; ownerIds: readonly string[] | null; from: string; to: string },
  limit: number,
): Promise<{ items: FoundActivity[]; matched: number }> {
  const rows = await ctx.database.rows<FoundActivity & Record<string, unknown> & { total: number }>(
    ctx.tx,
    sql`select x.id, x.kind::text as kind, to_char(x.occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day,
          a.id as "accountId", a.name as "accountName", d.id as "dealId", d.name as "dealName", (count(*) over ())::int as total
        from activities x
        join accounts a on a.tenant_id = x.tenant_id and a.id = x.account_id
        left join deals d on d.tenant_id = x.tenant_id and d.id = x.deal_id
        where x.tenant_id = ${ctx.principal.tenantId}
          and x.occurred_at >= ${midnight(filter.from)} and x.occurred_at < ${midnight(filter.to)} + interval '1 day'
          ${filter.accountIds.length > 0 ? sql`and x.account_id in (${sql.join(filter.accountIds.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``}
          ${filter.ownerIds ? (filter.ownerIds.length > 0 ? sql`and d.owner_id in (${sql.join(filter.ownerIds.map((id) => sql`${id}::uuid`), sql`, `)})` : sql`and false`) : sql``}
        order by x.occurred_at desc, x.id
        limit ${limit}`,
  );
  return { items: rows.map(({ total: _total, ...r }) => r), matched: rows[0]?.total ?? 0 };
}

/** The last activity on each account (one index probe per account), for account digests. */
export async function lastActivity(ctx: ServiceContext, accountId: string, today: string): Promise<{ n: number; last: string | null }> {
  const [row] = await ctx.database.rows<{ n: number; last: string | null }>(
    ctx.tx,
    sql`select count(*)::int as n, to_char(max(occurred_at) at time zone 'UTC', 'YYYY-MM-DD') as last
        from activities where tenant_id = ${ctx.principal.tenantId} and account_id = ${accountId} and occurred_at < ${midnight(today)} + interval '1 day'`,
  );
  return { n: row?.n ?? 0, last: row?.last ?? null };
}

/** One group of a "by owner / stage / industry" question. */
export interface GroupTotal {
  key: string;
  label: string;
  open: { n: number; cents: number };
  won: { n: number; cents: number };
  lost: { n: number; cents: number };
}

/** Deal totals per owner, stage or industry (outcomes apart), largest open value first. */
export async function groupTotals(ctx: ServiceContext, groupBy: 'owner' | 'stage' | 'industry', filter: DealFilter): Promise<GroupTotal[]> {
  const where = dealWhere(ctx, filter);
  // Literals inline (no parameters), so the grouped expression is the same text in select and group by.
  const key =
    groupBy === 'owner' ? sql`coalesce(${deals.ownerId}::text, ${sql.raw("'unassigned'")})` : groupBy === 'stage' ? sql`${deals.stage}::text` : sql`coalesce(${accounts.industry}, ${sql.raw("'Unknown'")})`;
  const label = groupBy === 'owner' ? sql`coalesce(max(${users.displayName}), ${sql.raw("'Unassigned'")})` : sql`max(${key})`;
  const rows = await ctx.tx
    .select({
      key: sql<string>`${key}`,
      label: sql<string>`${label}`,
      ...outcomeTotals(),
    })
    .from(deals)
    .innerJoin(accounts, and(eq(accounts.tenantId, deals.tenantId), eq(accounts.id, deals.accountId)))
    .leftJoin(users, eq(users.id, deals.ownerId))
    .where(where)
    .groupBy(key);
  return rows
    .map((r) => ({
      key: r.key,
      label: r.label,
      open: { n: r.openN, cents: Number(r.openCents) },
      won: { n: r.wonN, cents: Number(r.wonCents) },
      lost: { n: r.lostN, cents: Number(r.lostCents) },
    }))
    .sort((a, b) => b.open.cents - a.open.cents || b.won.cents - a.won.cents || a.label.localeCompare(b.label));
}
