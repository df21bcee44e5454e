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
