import { and, asc, eq, gt, ilike, type SQL } from 'drizzle-orm';
import { accounts, contacts, users } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { consentHiddenCount, consentVisible } from '../consent/gate';
import type { KeyService, TenantKey } from '../keys/tenant-keys';
import { afterId, likePattern, optionalId, pageSize, requireId, searchText, toPage, type ListResult, type PageArgs } from './paging';
import { assertMember, normaliseEmail, normalisePhone, optionalText, requiredText } from './validate';

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

export const emailIndex = (ctx: Pick<ServiceContext, 'keys'>, key: TenantKey, email: string): string =>
  ctx.keys.blindIndex(key, 'email', email);


async function filterSql(ctx: ServiceContext, filter: ContactFilter): Promise<{ where: SQL | undefined; filtered: boolean }> {
  const search = searchText(filter.search);
  const accountId = optionalId(filter.accountId, 'accountId');
  const ownerId = optionalId(filter.ownerId, 'ownerId');
  let index: string | undefined;
  if (filter.email !== null && filter.email !== undefined) {
    const key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
    index = emailIndex(ctx, key, normaliseEmail(filter.email));
  }
  const where = and(
    eq(contacts.tenantId, ctx.principal.tenantId),
    search ? ilike(contacts.title, likePattern(search)) : undefined,
    index ? eq(contacts.emailIndex, index) : undefined,
    accountId ? eq(contacts.accountId, accountId) : undefined,
    ownerId ? eq(contacts.ownerId, ownerId) : undefined,
  );
  return { where, filtered: Boolean(search || index || accountId || ownerId) };
}

const selectVisible = (ctx: ServiceContext) =>
  ctx.tx
    .select(columns)
    .from(contacts)
    .leftJoin(accounts, eq(accounts.id, contacts.accountId))
    .leftJoin(users, eq(users.id, contacts.ownerId));

export async function listContacts(ctx: ServiceContext, filter: ContactFilter, page: PageArgs): Promise<ListResult<ContactRecord>> {
  const size = pageSize(page.first);
  const after = afterId(ctx, LIST, page.after);
  const { where, filtered } = await filterSql(ctx, filter);
  const rows = await selectVisible(ctx)
    .where(and(where, consentVisible(contacts), after ? gt(contacts.id, after) : undefined))
    .orderBy(asc(contacts.id))
    .limit(size + 1);
  const hidden = await consentHiddenCount(ctx, LIST, contacts, where, filtered);
  return toPage(ctx, LIST, rows, size, hidden);
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactRecord | null> {
  requireId(id);
  const [row] = await selectVisible(ctx)
    .where(and(eq(contacts.tenantId, ctx.principal.tenantId), eq(contacts.id, id), consentVisible(contacts)))
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

/** The columns that store a contact's PII sealed under `key`: ciphertext, key version, e-mail blind index. */
export function sealedColumns(keys: KeyService, key: TenantKey, tenantId: string, rowId: string, pii: ContactPii) {
  return {
    pii: keys.sealJson(key, { tenantId, table: TABLE, rowId, field: FIELD }, pii),
    keyVersion: key.version,
    emailIndex: pii.email ? keys.blindIndex(key, 'email', pii.email) : null,
  };
}

async function sealContactPii(ctx: ServiceContext, rowId: string, pii: ContactPii) {
  const key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
  return sealedColumns(ctx.keys, key, ctx.principal.tenantId, rowId, pii);
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
  await ctx.tx.insert(contacts).values({
    id,
    tenantId: ctx.principal.tenantId,
    title,
    accountId,
    ownerId,
    ...(await sealContactPii(ctx, id, pii)),
  });
  return mustGet(ctx, id);
}

export async function updateContact(ctx: ServiceContext, id: string, input: ContactInput): Promise<ContactRecord> {
  const current = await getContact(ctx, requireId(id));
  if (!current) throw new PactError(ErrorCode.NotFound, 'Contact not found.');
  const touchesPii = input.name !== undefined || input.email !== undefined || input.phone !== undefined;
  const sealed = touchesPii ? await sealContactPii(ctx, id, piiFrom(input, await contactPii(ctx, current))) : {};
  const accountId = input.accountId !== undefined ? await assertAccount(ctx, input.accountId) : undefined;
  const ownerId = input.ownerId !== undefined ? await assertMember(ctx, input.ownerId) : undefined;
  await ctx.tx
    .update(contacts)
    .set({
      ...sealed,
      ...(input.title !== undefined ? { title: optionalText(input.title, 'title', 200) } : {}),
      ...(accountId !== undefined ? { accountId } : {}),
      ...(ownerId !== undefined ? { ownerId } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(contacts.tenantId, ctx.principal.tenantId), eq(contacts.id, id)));
  return mustGet(ctx, id);
}

async function mustGet(ctx: ServiceContext, id: string): Promise<ContactRecord> {
  const [row] = await ctx.tx
    .select(columns)
    .from(contacts)
    .leftJoin(accounts, eq(accounts.id, contacts.accountId))
    .leftJoin(users, eq(users.id, contacts.ownerId))
    .where(and(eq(contacts.tenantId, ctx.principal.tenantId), eq(contacts.id, id)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, 'Contact not found.');
  return row;
}
