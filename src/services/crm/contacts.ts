import { randomBytes } from 'node:crypto';
import { and, asc, count, eq, gt, inArray, isNotNull, ne, notLike, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accounts, consentSubjects, contactSearchTokens, contactTitleTokens, contacts, users } from '../../db/schema';
import { ErrorCode, PactError, badInput, isPactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { acrossConsent, consentWithheld, hiddenCount, isConsentGateRefusal, listHidden } from '../consent/hidden';
import type { KeyService, TenantKey } from '../keys/tenant-keys';
import { emailIndex } from '../keys/email-index';
import { piiSearchWords, searchWords } from '../keys/search-words';
import { afterId, pageSize, searchText, toPage, type ListResult, type PageArgs } from './paging';
import { optionalId, requireId } from '../input';
import { assertMember } from './validate';
import { normaliseEmail, normalisePhone, optionalText, requiredText } from '../input';

/** The personal data of a contact; stored only sealed under the tenant's data key. */
export interface ContactPii {
  name: string;
  email: string | null;
  phone: string | null;
}

export interface ContactRecord {
  id: string;
  accountId: string | null;
  accountName: string | null;
  ownerId: string | null;
  ownerName: string | null;
  title: string | null;
  pii: Buffer | null;
  keyVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContactFilter {
  search?: string | null | undefined;
  email?: string | null | undefined;
  /** Words that must all be tokens of the contact's name or e-mail (per-tenant HMAC tokens). */
  piiSearch?: string | null | undefined;
  accountId?: string | null | undefined;
  ownerId?: string | null | undefined;
}

export interface ContactInput {
  name?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  title?: string | null | undefined;
  accountId?: string | null | undefined;
  ownerId?: string | null | undefined;
}

const LIST = 'contacts';
const TABLE = 'contacts';
const FIELD = 'pii';
/** Blind-index kind of search tokens (distinct from the e-mail index). */
const TOKEN_KIND = 'tok';

const columns = {
  id: contacts.id,
  accountId: contacts.accountId,
  accountName: accounts.name,
  ownerId: contacts.ownerId,
  ownerName: users.displayName,
  title: contacts.title,
  pii: contacts.pii,
  keyVersion: contacts.keyVersion,
  createdAt: contacts.createdAt,
  updatedAt: contacts.updatedAt,
};


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

interface ContactWhere {
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

async function filterSql(ctx: ServiceContext, filter: ContactFilter): Promise<ContactWhere> {
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
function hiddenMatches(ctx: ServiceContext, { where, search, filtered, onlySearch }: ContactWhere): Promise<number> {
  const tenantId = ctx.principal.tenantId;
  if (search && onlySearch) return hiddenCount(ctx, { titleMatch: (t1Condition) => titleMatch(tenantId, search, t1Condition) });
  const bySearch = search ? sql`${contacts.id} in (${titleMatch(tenantId, search)})` : undefined;
  return listHidden(ctx, contacts, and(where, bySearch), filtered);
}

const selectVisible = (ctx: ServiceContext) =>
  ctx.tx
    .select(columns)
    .from(contacts)
    .leftJoin(accounts, eq(accounts.id, contacts.accountId))
    .leftJoin(users, eq(users.id, contacts.ownerId));

export interface ListContactsOptions {
  /** The caller will read PII: the key ring is loaded with the page (one round trip, not two). */
  pii?: boolean;
}

/** A page of visible contacts with its hidden count; the page, the count (and the key ring) are sent together. */
export async function listContacts(
  ctx: ServiceContext,
  filter: ContactFilter,
  page: PageArgs,
  options: ListContactsOptions = {},
): Promise<ListResult<ContactRecord>> {
  const size = pageSize(page.first);
  const after = afterId(ctx, LIST, page.after);
  const matched = await filterSql(ctx, filter);
  const { where, search } = matched;
  const selected = selectVisible(ctx)
    .where(
      and(
        where,
        search ? sql`${contacts.id} in (${titleMatch(ctx.principal.tenantId, search)})` : undefined,
        after ? gt(contacts.id, after) : undefined,
      ),
    )
    .orderBy(asc(contacts.id))
    .limit(size + 1);
  const [rows, hidden] = await Promise.all([
    selected.then((r) => r),
    hiddenMatches(ctx, matched),
    options.pii ? ctx.keys.versions(ctx.tx, ctx.principal.tenantId) : null,
  ]);
  const withheld = matched.identity && !ctx.principal.scopes.has('write:consent') ? { note: IDENTITY_LOOKUP_NOTE } : undefined;
  return toPage(ctx, LIST, rows, size, hidden, withheld);
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactRecord | null> {
  requireId(id);
  const [row] = await selectVisible(ctx)
    .where(and(eq(contacts.tenantId, ctx.principal.tenantId), eq(contacts.id, id)))
    .limit(1);
  return row ?? null;
}

const opened = new WeakMap<ContactRecord, Promise<ContactPii | null>>();

/** Decrypts a contact's PII once per record, only when a PII field is selected. */
export function contactPii(ctx: ServiceContext, record: ContactRecord): Promise<ContactPii | null> {
  let pending = opened.get(record);
  if (!pending) {
    pending = openPii(ctx, record);
    opened.set(record, pending);
  }
  return pending;
}

async function openPii(ctx: ServiceContext, record: ContactRecord): Promise<ContactPii | null> {
  if (!record.pii || record.keyVersion === null) return null;
  const key = await ctx.keys.version(ctx.tx, ctx.principal.tenantId, record.keyVersion);
  return ctx.keys.openJson<ContactPii>(key, { tenantId: ctx.principal.tenantId, table: TABLE, rowId: record.id, field: FIELD }, record.pii);
}

/**
 * The columns that store a contact's PII sealed under `key`: ciphertext, key version, e-mail blind
 * index. The caller counts the seal on the key version (`keys.reserve`, or `indexSealedContacts`)
 * and writes the search tokens (`searchTokenRows`).
 */
export function sealedColumns(keys: KeyService, key: TenantKey, tenantId: string, rowId: string, pii: ContactPii) {
  return {
    pii: keys.sealJson(key, { tenantId, table: TABLE, rowId, field: FIELD }, pii),
    keyVersion: key.version,
    emailIndex: pii.email ? keys.blindIndex(key, 'email', pii.email) : null,
  };
}

/** The search-token rows of a contact: per-tenant HMACs of its name and e-mail words. */
export function searchTokenRows(keys: KeyService, key: TenantKey, tenantId: string, contactId: string, pii: ContactPii) {
  return searchWords(pii).map((word) => ({ tenantId, contactId, token: keys.blindIndex(key, TOKEN_KIND, word) }));
}

const TOKEN_CHUNK = 2_000;

/** After a bulk insert of contacts sealed under `key`: writes their search tokens and counts the seals. */
export async function indexSealedContacts(
  tx: Db,
  keys: KeyService,
  key: TenantKey,
  tenantId: string,
  sealed: { id: string; pii: ContactPii }[],
): Promise<void> {
  const rows = sealed.flatMap((c) => searchTokenRows(keys, key, tenantId, c.id, c.pii));
  for (let i = 0; i < rows.length; i += TOKEN_CHUNK) await tx.insert(contactSearchTokens).values(rows.slice(i, i + TOKEN_CHUNK));
  if (sealed.length > 0) await keys.countEncryptions(tx, tenantId, key.version, sealed.length);
}

/** Seals one contact's PII under the active version (counting the seal) and rewrites its search tokens. */
async function sealContactPii(ctx: ServiceContext, rowId: string, pii: ContactPii) {
  const tenantId = ctx.principal.tenantId;
  const key = await ctx.keys.reserve(ctx.tx, tenantId, 1);
  return {
    columns: sealedColumns(ctx.keys, key, tenantId, rowId, pii),
    writeTokens: async (replace: boolean) => {
      if (replace) {
        await ctx.tx.delete(contactSearchTokens).where(and(eq(contactSearchTokens.tenantId, tenantId), eq(contactSearchTokens.contactId, rowId)));
      }
      const rows = searchTokenRows(ctx.keys, key, tenantId, rowId, pii);
      if (rows.length > 0) await ctx.tx.insert(contactSearchTokens).values(rows);
    },
  };
}

function piiFrom(input: ContactInput, previous: ContactPii | null): ContactPii {
  const name = input.name !== undefined ? requiredText(input.name, 'name', 200) : previous?.name;
  if (name === undefined) throw badInput(ErrorCode.BadUserInput, '`name` is required.', { field: 'name' });
  return {
    name,
    email: input.email !== undefined ? (input.email === null ? null : normaliseEmail(input.email)) : (previous?.email ?? null),
    phone: input.phone !== undefined ? (input.phone === null ? null : normalisePhone(input.phone)) : (previous?.phone ?? null),
  };
}

async function assertAccount(ctx: ServiceContext, accountId: string | null | undefined): Promise<string | null> {
  if (accountId === null || accountId === undefined) return null;
  requireId(accountId, 'accountId');
  const [row] = await ctx.tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.principal.tenantId), eq(accounts.id, accountId)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, '`accountId` does not name an account.', { field: 'accountId' });
  return accountId;
}

export async function createContact(ctx: ServiceContext, input: ContactInput): Promise<ContactRecord> {
  const pii = piiFrom(input, null);
  const title = input.title !== undefined ? optionalText(input.title, 'title', 200) : null;
  const accountId = await assertAccount(ctx, input.accountId);
  const ownerId = await assertMember(ctx, input.ownerId ?? ctx.principal.userId);
  const id = newId();
  const sealed = await sealContactPii(ctx, id, pii);
  await ctx.tx.insert(contacts).values({
    id,
    tenantId: ctx.principal.tenantId,
    title,
    accountId,
    ownerId,
    ...sealed.columns,
  });
  await sealed.writeTokens(false);
  return saved(ctx, id);
}

export async function updateContact(ctx: ServiceContext, id: string, input: ContactInput): Promise<ContactRecord> {
  const current = await getContact(ctx, requireId(id));
  if (!current) throw new PactError(ErrorCode.NotFound, 'Contact not found.');
  const touchesPii = input.name !== undefined || input.email !== undefined || input.phone !== undefined;
  const sealed = touchesPii ? await sealContactPii(ctx, id, piiFrom(input, await contactPii(ctx, current))) : null;
  const accountId = input.accountId !== undefined ? await assertAccount(ctx, input.accountId) : undefined;
  const ownerId = input.ownerId !== undefined ? await assertMember(ctx, input.ownerId) : undefined;
  try {
    await ctx.tx
      .update(contacts)
      .set({
        ...sealed?.columns,
        ...(input.title !== undefined ? { title: optionalText(input.title, 'title', 200) } : {}),
        ...(accountId !== undefined ? { accountId } : {}),
        ...(ownerId !== undefined ? { ownerId } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(contacts.tenantId, ctx.principal.tenantId), eq(contacts.id, id)));
  } catch (error) {
    throw isConsentGateRefusal(error) ? consentWithheld('contact') : error;
  }
  await sealed?.writeTokens(true);
  return saved(ctx, id);
}

/** The contact just written, as the caller may read it; an e-mail consent hides is refused. */
async function saved(ctx: ServiceContext, id: string): Promise<ContactRecord> {
  const row = await getContact(ctx, id);
  if (!row) throw consentWithheld('contact');
  return row;
}

/** What one re-encryption batch did. */
export interface ReencryptBatch {
  /** Rows scanned (re-encrypted or unreadable); fewer than the limit means the end was reached. */
  scanned: number;
  reencrypted: number;
  /** Rows whose ciphertext failed to open (tampered, or under an unavailable version); left as they are. */
  unreadable: number;
  lastId: string | null;
}

/**
 * Re-encrypts up to `limit` contacts after `afterId` (id order) that are not yet under `target`: each
 * row's PII is opened with its own version and sealed under `target` in one UPDATE, so every row
 * stays readable at every moment. Rows with no search tokens (written before tokens existed) get
 * them. The caller has counted the seals on `target`.
 */
export async function reencryptContacts(
  tx: Db,
  keys: KeyService,
  tenantId: string,
  target: TenantKey,
  afterId: string | null,
  limit: number,
): Promise<ReencryptBatch> {
  const rows = await acrossConsent(tx, (tx) => tx
    .select({
      id: contacts.id,
      pii: contacts.pii,
      keyVersion: contacts.keyVersion,
      indexed: sql<boolean>`exists (select 1 from ${contactSearchTokens} t where t.tenant_id = ${contacts.tenantId} and t.contact_id = ${contacts.id})`,
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.tenantId, tenantId),
        afterId ? gt(contacts.id, afterId) : undefined,
        isNotNull(contacts.pii),
        ne(contacts.keyVersion, target.version),
      ),
    )
    .orderBy(asc(contacts.id))
    .limit(limit)
    .for('update', { of: contacts }));
  const updates: SQL[] = [];
  const tokenRows: (typeof contactSearchTokens.$inferInsert)[] = [];
  let unreadable = 0;
  for (const row of rows) {
    if (!row.pii || row.keyVersion === null) continue;
    const at = { tenantId, table: TABLE, rowId: row.id, field: FIELD };
    let pii: ContactPii;
    try {
      pii = keys.openJson<ContactPii>(await keys.version(tx, tenantId, row.keyVersion), at, row.pii);
    } catch (error) {
      if (!isPactError(error)) throw error;
      unreadable += 1;
      continue;
    }
    updates.push(sql`(${row.id}::uuid, ${keys.sealJson(target, at, pii)}::bytea)`);
    if (!row.indexed) tokenRows.push(...searchTokenRows(keys, target, tenantId, row.id, pii));
  }
  if (updates.length > 0) {
    await acrossConsent(tx, (tx) =>
      tx.execute(sql`
        update ${contacts} as c set pii = v.pii, key_version = ${target.version}
        from (values ${sql.join(updates, sql`, `)}) as v(id, pii)
        where c.tenant_id = ${tenantId} and c.id = v.id`),
    );
  }
  for (let i = 0; i < tokenRows.length; i += TOKEN_CHUNK) {
    await tx.insert(contactSearchTokens).values(tokenRows.slice(i, i + TOKEN_CHUNK)).onConflictDoNothing();
  }
  return { scanned: rows.length, reencrypted: updates.length, unreadable, lastId: rows[rows.length - 1]?.id ?? null };
}

/** Deletes every search token of the tenant (after revocation they can never be queried again). */
export async function dropSearchTokens(tx: Db, tenantId: string): Promise<void> {
  await tx.delete(contactSearchTokens).where(eq(contactSearchTokens.tenantId, tenantId));
}

/**
 * After the tenant's key is revoked, replaces every e-mail blind index (on contacts and on e-mail
 * consent subjects) with a pseudonym keyed by a random value that is then thrown away: a contact
 * still links to its consent subject, so what consent hides stays hidden, but nothing derived from
 * an address remains. Subjects first, so the consent triggers re-derive the flags from the new keys.
 */
export async function forgetEmailFingerprints(tx: Db, tenantId: string): Promise<void> {
  const salt = randomBytes(32).toString('hex');
  const pseudonym = (column: SQL) => sql`'revoked:' || encode(sha256(convert_to(${salt}::text || ${column}, 'UTF8')), 'hex')`;
  await tx
    .update(consentSubjects)
    .set({ subjectKey: pseudonym(sql`${consentSubjects.subjectKey}`) })
    .where(and(eq(consentSubjects.tenantId, tenantId), eq(consentSubjects.kind, 'email'), notLike(consentSubjects.subjectKey, 'revoked:%')));
  await acrossConsent(tx, (tx) =>
    tx
      .update(contacts)
      .set({ emailIndex: pseudonym(sql`${contacts.emailIndex}`) })
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.emailIndex), notLike(contacts.emailIndex, 'revoked:%'))),
  );
}

/** Contacts of the tenant not yet sealed under `version`. */
export async function contactsNotUnder(tx: Db, tenantId: string, version: number): Promise<number> {
  const [row] = await acrossConsent(tx, (tx) =>
    tx
      .select({ n: count() })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.pii), ne(contacts.keyVersion, version))),
  );
  return row?.n ?? 0;
}

/** Contacts per key version (for the key administration view). */
export async function contactsPerKeyVersion(tx: Db, tenantId: string): Promise<Map<number, number>> {
  const rows = await acrossConsent(tx, (tx) =>
    tx
      .select({ version: contacts.keyVersion, n: count() })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.pii)))
      .groupBy(contacts.keyVersion),
  );
  return new Map(rows.flatMap((r) => (r.version === null ? [] : [[r.version, r.n] as const])));
}
