import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { contactSearchTokens, contactTitleTokens, contacts } from '../../db/schema';
import type { ServiceContext } from '../context';
import { hiddenCount, listHidden } from '../consent/hidden';
import { emailIndex } from '../keys/email-index';
import { piiSearchWords } from '../keys/search-words';
import { normaliseEmail, optionalId } from '../input';
import { searchText } from './paging';
import { TOKEN_KIND } from './contact-pii';

export interface ContactFilter {
  search?: string | null | undefined;
  email?: string | null | undefined;
  /** Words that must all be tokens of the contact's name or e-mail (per-tenant HMAC tokens). */
  piiSearch?: string | null | undefined;
  accountId?: string | null | undefined;
  ownerId?: string | null | undefined;
}

/** Contacts holding every one of `tokens` (the primary key serves the (tenant_id, token) look-up). */
const havingAllTokens = (ctx: ServiceContext, tokens: string[]): SQL =>
  inArray(
    contacts.id,
    ctx.tx
      .select({ id: contactSearchTokens.contactId })
      .from(contactSearchTokens)
      .where(and(eq(contactSearchTokens.tenantId, ctx.principal.tenantId), inArray(contactSearchTokens.token, tokens)))
      .groupBy(contactSearchTokens.contactId)
      .having(sql`count(*) = ${tokens.length}`),
  );

/**
 * Ids of the tenant's contacts whose title holds every word of `search` (words as the database's
 * `pact_title_words` splits them: lowercase, split on spaces and punctuation), from
 * `contact_title_tokens` (consented ones only, under the application role); `t1Condition` is a
 * further condition on the first word's token row `t1`. Only text and boolean equality (leakproof)
 * touch the table, so the primary key serves it under forced RLS.
 */
export const titleMatch = (tenantId: string, search: string, t1Condition?: SQL): SQL => {
  const first = sql`(select (pact_title_words(${search}::text))[1])`;
  const rest = sql`(select (pact_title_words(${search}::text))[2:])`;
  return sql`select t1.contact_id from ${contactTitleTokens} t1
    where t1.tenant_id = ${tenantId} and t1.token = ${first}${t1Condition ? sql` and ${t1Condition}` : sql``}
      and (cardinality(${rest}) = 0 or not exists (
        select 1 from unnest(${rest}) as w(token)
        where not exists (select 1 from ${contactTitleTokens} t2
          where t2.tenant_id = t1.tenant_id and t2.token = w.token and t2.contact_id = t1.contact_id)))`;
};

export interface ContactWhere {
  /** Every filter but the title search. */
  where: SQL | undefined;
  search: string | undefined;
  filtered: boolean;
  /** The title search is the only filter. */
  onlySearch: boolean;
  /** A look-up by e-mail or name words (see IDENTITY_LOOKUP_NOTE). */
  identity: boolean;
}

/**
 * A look-up by e-mail or name words must not tell a caller that a hidden subject exists: only callers
 * who may read consent records (`write:consent`) get its hidden count; others get this constant note.
 */
export const IDENTITY_LOOKUP_NOTE =
  'Look-ups by e-mail or name do not say whether consent hid a match (that needs write:consent); no result here does not mean no such person.';

/** The filter as SQL (blind-indexed look-ups need the tenant's index key). */
export async function filterSql(ctx: ServiceContext, filter: ContactFilter): Promise<ContactWhere> {
  const search = searchText(filter.search);
  const accountId = optionalId(filter.accountId, 'accountId');
  const ownerId = optionalId(filter.ownerId, 'ownerId');
  const email = filter.email !== null && filter.email !== undefined ? normaliseEmail(filter.email) : undefined;
  const words = piiSearchWords(filter.piiSearch);
  let index: string | undefined;
  let tokens: string[] | undefined;
  if (email !== undefined || words) {
    const key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
    if (email !== undefined) index = emailIndex(ctx, key, email);
    if (words) tokens = words.map((w) => ctx.keys.blindIndex(key, TOKEN_KIND, w));
  }
  const where = and(
    eq(contacts.tenantId, ctx.principal.tenantId),
    index ? eq(contacts.emailIndex, index) : undefined,
    tokens ? havingAllTokens(ctx, tokens) : undefined,
    accountId ? eq(contacts.accountId, accountId) : undefined,
    ownerId ? eq(contacts.ownerId, ownerId) : undefined,
  );
  const others = Boolean(index || tokens || accountId || ownerId);
  return { where, search, filtered: Boolean(search) || others, onlySearch: Boolean(search) && !others, identity: Boolean(index || tokens) };
}

/** Hidden matches of a filtered list; a title search alone is counted on its token range. */
export function hiddenMatches(ctx: ServiceContext, { where, search, filtered, onlySearch }: ContactWhere): Promise<number> {
  const tenantId = ctx.principal.tenantId;
  if (search && onlySearch) return hiddenCount(ctx, { search, titleMatch: (t1Condition) => titleMatch(tenantId, search, t1Condition) });
  const bySearch = search ? sql`${contacts.id} in (${titleMatch(tenantId, search)})` : undefined;
  return listHidden(ctx, contacts, and(where, bySearch), filtered);
}
