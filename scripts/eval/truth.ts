import { sql, type SQL } from 'drizzle-orm';
import type { EvalCase, EvalCitation, EvalClient, Expectation } from './harness';

/** The truth the evaluation's cases are checked against: consented records read in SQL, independently of the agents' code. */

export const OPEN = sql.raw(`('prospecting', 'qualification', 'proposal', 'negotiation')`);
const DAY = 86_400_000;
export const shift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
export function month(today: string, offset: number): [string, string] {
  const d = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 + offset, 1));
  const end = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  return [d.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}
export function quarter(today: string, offset: number): [string, string] {
  const m = Number(today.slice(5, 7)) - 1;
  const start = new Date(Date.UTC(Number(today.slice(0, 4)), Math.floor(m / 3) * 3 + offset * 3, 1));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 3, 0));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}
export const year = (today: string): [string, string] => [`${today.slice(0, 4)}-01-01`, `${today.slice(0, 4)}-12-31`];

export interface DealRow extends Record<string, unknown> {
  id: string;
  name: string;
  amount: number;
  close_date: string | null;
  stage: string;
}

/** Consented deals of the demo tenant matching `where`, largest first, and their count and value. */
export async function deals(c: EvalClient, where: SQL, limit = 5): Promise<{ top: DealRow[]; n: number; cents: number; hidden: number }> {
  const top = await c.sql<DealRow>(sql`select d.id, d.name, d.amount_cents::float8 as amount, d.close_date::text as close_date, d.stage::text as stage
    from deals d join accounts a on a.id = d.account_id
    where d.tenant_id = ${c.tenantId} and not d.consent_hidden and ${where} order by d.amount_cents desc, d.id limit ${limit}`);
  const [t] = await c.sql<{ n: number; cents: number; hidden: number }>(sql`select (count(*) filter (where not d.consent_hidden))::int as n,
      coalesce(sum(d.amount_cents) filter (where not d.consent_hidden), 0)::float8 as cents, (count(*) filter (where d.consent_hidden))::int as hidden
    from deals d join accounts a on a.id = d.account_id where d.tenant_id = ${c.tenantId} and ${where}`);
  return { top, n: t?.n ?? 0, cents: t?.cents ?? 0, hidden: t?.hidden ?? 0 };
}

/** Every consented deal of an account (relevant to cite when the answer is about the account). */
export async function accountDeals(c: EvalClient, accountId: string): Promise<EvalCitation[]> {
  return cites(await c.sql<{ id: string }>(sql`select id from deals where tenant_id = ${c.tenantId} and account_id = ${accountId} and not consent_hidden`));
}

export const cites = (rows: { id: string }[], kind = 'deal'): EvalCitation[] => rows.map((r) => ({ kind, id: r.id }));

/** Deals found: the count, the largest one's name, the largest cited; "Nothing matched" when none. */
export function listed(found: { top: DealRow[]; n: number; hidden: number }, extra: string[] = []): Expectation {
  if (found.n === 0) return { facts: ['Nothing matched', ...(found.hidden > 0 ? [`${found.hidden} matching record`] : [])], citations: [], forbid: found.hidden === 0 ? [/consent/i] : [] };
  return { facts: [String(found.n), found.top[0]?.name ?? '', ...extra], citations: cites(found.top), forbid: [...(found.hidden === 0 ? [/consent/i] : []), /in total/] };
}

/** A risk signal, as the product defines it: close date passed; nothing logged for 30 days; closing within 14 days at ≤ 25%. */
export const AT_RISK = (today: string) => sql`(d.close_date < ${today}::date
  or coalesce((select max(x.occurred_at) from activities x where x.tenant_id = d.tenant_id and x.deal_id = d.id and x.occurred_at < ${shift(today, 1)}::date), '-infinity') < ${shift(today, -30)}::date
  or (d.close_date between ${today}::date and ${today}::date + 14 and d.probability <= 25))`;

export async function accountByName(c: EvalClient, name: string): Promise<{ id: string; name: string }> {
  const [a] = await c.sql<{ id: string; name: string }>(sql`select id, name from accounts where tenant_id = ${c.tenantId} and name = ${name} and not consent_hidden`);
  if (!a) throw new Error(`no consented account ${name}`);
  return a;
}

export async function lastActivityOf(c: EvalClient, accountId: string): Promise<string | null> {
  const [r] = await c.sql<{ last: string | null }>(sql`select to_char(max(occurred_at) at time zone 'UTC', 'YYYY-MM-DD') as last from activities
    where tenant_id = ${c.tenantId} and account_id = ${accountId} and occurred_at < ${shift(c.today, 1)}::date`);
  return r?.last ?? null;
}

export const ask = (id: string, covers: string, question: string, expect: (c: EvalClient) => Promise<Expectation>): EvalCase => ({ id, covers, run: { question }, expect });

export async function ownerId(c: EvalClient, email: string): Promise<{ id: string; name: string }> {
  const [u] = await c.sql<{ id: string; name: string }>(sql`select id, display_name as name from users where email = ${email}`);
  if (!u) throw new Error(`no user ${email}`);
  return u;
}

