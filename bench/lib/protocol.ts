/** Messages between the benchmark parent and a server child (servers.ts ↔ server-child.ts), and the bare page query. */

export type ServerKind = 'pact' | 'bare';

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'usage'; cpuUserUs: number; cpuSystemUs: number; rssBytes: number }
  | { type: 'error'; message: string };

export type ParentMessage = { type: 'usage' } | { type: 'stop' };

/**
 * The bare path's page: the columns Pact reads for `{ id name email phone title accountName }`
 * (id, title, the account's name, the sealed PII and its key version), the same consent filter
 * (`consent_hidden = false`), order and first page; no decryption, no RLS, no transaction.
 */
export const BARE_PAGE_SQL = `select c.id, c.title, a.name as account_name, c.pii, c.key_version
  from contacts c left join accounts a on a.id = c.account_id
  where c.tenant_id = $1 and c.consent_hidden = false
  order by c.id limit 50`;

/** The bare path of `query_deals` `{}`: the first 25 visible deals with account and owner names, in id order. */
export const BARE_DEALS_SQL = `select d.id, d.name, d.stage, d.amount_cents, d.probability, d.close_date, d.account_id, a.name as account_name, u.display_name as owner_name
  from deals d join accounts a on a.id = d.account_id left join users u on u.id = d.owner_id
  where d.tenant_id = $1 and d.consent_hidden = false
  order by d.id limit 26`;

/** The bare path of `query_pipeline_health` `{}`: visible deals per stage (count, value, weighted value), the largest open ones, the hidden total. */
export const BARE_PIPELINE_SQL = `select
  (select coalesce(json_agg(s), '[]') from (
     select stage, count(*)::int as count, coalesce(sum(amount_cents), 0)::bigint as value, coalesce(round(sum(amount_cents * probability) / 100.0), 0)::bigint as weighted
     from deals where tenant_id = $1 and consent_hidden = false group by stage) s) as by_stage,
  (select coalesce(json_agg(t), '[]') from (
     select d.id, d.name, d.stage, d.amount_cents, d.probability, a.name as account_name
     from deals d join accounts a on a.id = d.account_id
     where d.tenant_id = $1 and d.consent_hidden = false and d.stage in ('prospecting', 'qualification', 'proposal', 'negotiation')
     order by d.amount_cents desc, d.id limit 5) t) as top_deals,
  (select hidden from consent_counts where tenant_id = $1 and list = 'deals') as hidden`;

/** The bare path of `ask_workspace` "Which deals are in negotiation?": the visible deals in that stage, largest first, with their accounts. */
export const BARE_ASK_SQL = `select d.id, d.name, d.amount_cents, d.probability, a.id as account_id, a.name as account_name
  from deals d join accounts a on a.id = d.account_id
  where d.tenant_id = $1 and d.consent_hidden = false and d.stage = 'negotiation'
  order by d.amount_cents desc, d.id limit 10`;

/** The bare server's routes: request path → SQL (one parameter, the tenant id). */
export const BARE_ROUTES: Record<string, string> = {
  '/contacts': BARE_PAGE_SQL,
  '/deals': BARE_DEALS_SQL,
  '/pipeline': BARE_PIPELINE_SQL,
  '/ask': BARE_ASK_SQL,
};
