import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { compileSelect } from '../../db/compiled';
import { accounts, contacts, users } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { consentWithheld, isConsentGateRefusal } from '../consent/hidden';
import { optionalText, requireId } from '../input';
import { contactPii, piiFrom, sealContactPii, type ContactPiiInput } from './contact-pii';
import { IDENTITY_LOOKUP_NOTE, filterSql, hiddenMatches, titleMatch, type ContactFilter, type ContactWhere } from './contact-filter';
import { afterId, pageSize, toPage, type ListResult, type PageArgs } from './paging';
import { assertMember } from './validate';

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

export interface ContactInput extends ContactPiiInput {
  title?: string | null | undefined;
  accountId?: string | null | undefined;
  ownerId?: string | null | undefined;
}

const LIST = 'contacts';

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

const selectVisible = (ctx: Pick<ServiceContext, 'tx'>) =>
  ctx.tx
    .select(columns)
    .from(contacts)
    .leftJoin(accounts, eq(accounts.id, contacts.accountId))
    .leftJoin(users, eq(users.id, contacts.ownerId));

/** The unfiltered page, the hottest read: built once (with and without a cursor). */
const FIRST_PAGE = compileSelect<ContactRecord>((tx) =>
  selectVisible({ tx }).where(eq(contacts.tenantId, sql.placeholder('tenantId'))).orderBy(asc(contacts.id)).limit(sql.placeholder('limit')),
);
const NEXT_PAGE = compileSelect<ContactRecord>((tx) =>
  selectVisible({ tx })
    .where(and(eq(contacts.tenantId, sql.placeholder('tenantId')), gt(contacts.id, sql.placeholder('after'))))
    .orderBy(asc(contacts.id))
    .limit(sql.placeholder('limit')),
);

export interface ListContactsOptions {
  /** The caller will read PII: the key ring is loaded with the page (one round trip, not two). */
  pii?: boolean;
}

function filteredPage(ctx: ServiceContext, { where, search }: ContactWhere, after: string | null, size: number): Promise<ContactRecord[]> {
  const bySearch = search ? sql`${contacts.id} in (${titleMatch(ctx.principal.tenantId, search)})` : undefined;
  return selectVisible(ctx)
    .where(and(where, bySearch, after ? gt(contacts.id, after) : undefined))
    .orderBy(asc(contacts.id))
    .limit(size + 1)
    .then((rows) => rows);
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
  const tenantId = ctx.principal.tenantId;
  const selected = matched.filtered
    ? filteredPage(ctx, matched, after, size)
    : after
      ? NEXT_PAGE.run(ctx.tx, { tenantId, after, limit: size + 1 })
      : FIRST_PAGE.run(ctx.tx, { tenantId, limit: size + 1 });
  const [rows, hidden] = await Promise.all([
    selected,
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
