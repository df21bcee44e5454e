import { and, asc, eq, gt, ilike, or, type SQL } from 'drizzle-orm';
import { accounts, users } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { record, type ServiceContext } from '../context';
import { consentWithheld, isConsentGateRefusal, listHidden } from '../consent/hidden';
import { afterId, likePattern, pageSize, searchText, toPage, type ListResult, type PageArgs } from './paging';
import { optionalId, requireId } from '../input';
import { assertMember } from './validate';
import { normaliseDomain, optionalText, requiredText } from '../input';

export interface AccountFilter {
  search?: string | null | undefined;
  industry?: string | null | undefined;
  ownerId?: string | null | undefined;
  domain?: string | null | undefined;
}

export interface AccountRecord {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  ownerId: string | null;
  ownerName: string | null;
  employeeCount: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AccountInput {
  name?: string | null | undefined;
  domain?: string | null | undefined;
  industry?: string | null | undefined;
  ownerId?: string | null | undefined;
  employeeCount?: number | null | undefined;
}

const LIST = 'accounts';

const columns = {
  id: accounts.id,
  name: accounts.name,
  domain: accounts.domain,
  industry: accounts.industry,
  ownerId: accounts.ownerId,
  ownerName: users.displayName,
  employeeCount: accounts.employeeCount,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
};

function filterSql(ctx: ServiceContext, filter: AccountFilter): { where: SQL | undefined; filtered: boolean } {
  const search = searchText(filter.search);
  const ownerId = optionalId(filter.ownerId, 'ownerId');
  const filtered = Boolean(search || filter.industry || filter.domain || ownerId);
  const where = and(
    eq(accounts.tenantId, ctx.principal.tenantId),
    search
      ? or(ilike(accounts.name, likePattern(search)), ilike(accounts.domain, likePattern(search)), ilike(accounts.industry, likePattern(search)))
      : undefined,
    filter.industry ? eq(accounts.industry, filter.industry) : undefined,
    filter.domain ? eq(accounts.domain, filter.domain.trim().toLowerCase()) : undefined,
    ownerId ? eq(accounts.ownerId, ownerId) : undefined,
  );
  return { where, filtered };
}

export async function listAccounts(ctx: ServiceContext, filter: AccountFilter, page: PageArgs): Promise<ListResult<AccountRecord>> {
  const size = pageSize(page.first);
  const after = afterId(ctx, LIST, page.after);
  const { where, filtered } = filterSql(ctx, filter);
  // The page and its hidden count are sent together (one round trip).
  const [rows, hidden] = await Promise.all([
    ctx.tx
      .select(columns)
      .from(accounts)
      .leftJoin(users, eq(users.id, accounts.ownerId))
      .where(and(where, after ? gt(accounts.id, after) : undefined))
      .orderBy(asc(accounts.id))
      .limit(size + 1)
      .then((r) => r),
    listHidden(ctx, accounts, where, filtered),
  ]);
  return toPage(ctx, LIST, rows, size, hidden);
}

/** One account by id; null when it does not exist, belongs to another tenant, or is hidden by consent. */
/** One account of the caller's tenant, as the caller may read it (consent applies). */
const accountById = async (ctx: ServiceContext, id: string): Promise<AccountRecord | undefined> =>
  (
    await ctx.tx
      .select(columns)
      .from(accounts)
      .leftJoin(users, eq(users.id, accounts.ownerId))
      .where(and(eq(accounts.tenantId, ctx.principal.tenantId), eq(accounts.id, id)))
      .limit(1)
  )[0];

export async function getAccount(ctx: ServiceContext, id: string): Promise<AccountRecord | null> {
  requireId(id);
  const row = await accountById(ctx, id);
  record(ctx, row ? 1 : 0);
  return row ?? null;
}

function accountValues(input: AccountInput) {
  return {
    ...(input.name !== undefined ? { name: requiredText(input.name, 'name', 200) } : {}),
    ...(input.domain !== undefined ? { domain: input.domain === null ? null : normaliseDomain(input.domain) } : {}),
    ...(input.industry !== undefined ? { industry: optionalText(input.industry, 'industry', 100) } : {}),
    ...(input.employeeCount !== undefined ? { employeeCount: employeeCount(input.employeeCount) } : {}),
  };
}

function employeeCount(value: number | null): number | null {
  if (value === null) return null;
  if (!Number.isInteger(value) || value < 0) throw badInput(ErrorCode.BadUserInput, '`employeeCount` must be a non-negative integer.');
  return value;
}

export async function createAccount(ctx: ServiceContext, input: AccountInput): Promise<AccountRecord> {
  if (input.name === undefined || input.name === null) throw badInput(ErrorCode.BadUserInput, '`name` is required.');
  const values = accountValues(input);
  const ownerId = await assertMember(ctx, input.ownerId ?? ctx.principal.userId);
  const id = newId();
  await ctx.tx.insert(accounts).values({ id, tenantId: ctx.principal.tenantId, name: values.name ?? '', ...values, ownerId });
  return saved(ctx, id);
}

export async function updateAccount(ctx: ServiceContext, id: string, input: AccountInput): Promise<AccountRecord> {
  if (!(await getAccount(ctx, requireId(id)))) throw new PactError(ErrorCode.NotFound, 'Account not found.');
  const values = accountValues(input);
  const ownerId = input.ownerId !== undefined ? await assertMember(ctx, input.ownerId) : undefined;
  try {
    await ctx.tx
      .update(accounts)
      .set({ ...values, ...(ownerId !== undefined ? { ownerId } : {}), updatedAt: new Date() })
      .where(and(eq(accounts.tenantId, ctx.principal.tenantId), eq(accounts.id, id)));
  } catch (error) {
    throw isConsentGateRefusal(error) ? consentWithheld('account') : error;
  }
  return saved(ctx, id);
}

/** The account just written, as the caller may read it; a domain consent hides is refused. */
async function saved(ctx: ServiceContext, id: string): Promise<AccountRecord> {
  const row = await accountById(ctx, id);
  if (!row) throw consentWithheld('account');
  return row;
}
