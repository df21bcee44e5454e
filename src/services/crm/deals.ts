import { and, asc, eq, gt, ilike, sql, type SQL } from 'drizzle-orm';
import { compileSelect } from '../../db/compiled';
import { accounts, deals, users } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { record, type ServiceContext } from '../context';
import { listHidden } from '../consent/hidden';
import { afterId, likePattern, pageSize, searchText, toPage, type ListResult, type PageArgs } from './paging';
import { optionalId, requireId } from '../input';
import { assertMember } from './validate';
import { requiredText } from '../input';

export const DEAL_STAGES = ['prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'] as const;
export type DealStage = (typeof DEAL_STAGES)[number];
export const OPEN_STAGES: readonly DealStage[] = ['prospecting', 'qualification', 'proposal', 'negotiation'];

/** Default win probability per stage, used when a deal is created without one. */
export const STAGE_PROBABILITY: Record<DealStage, number> = {
  prospecting: 10,
  qualification: 25,
  proposal: 50,
  negotiation: 75,
  closed_won: 100,
  closed_lost: 0,
};

export interface DealRecord {
  id: string;
  name: string;
  stage: DealStage;
  amountCents: number;
  probability: number;
  closeDate: string | null;
  accountId: string;
  accountName: string;
  ownerId: string | null;
  ownerName: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DealFilter {
  search?: string | null | undefined;
  stage?: DealStage | null | undefined;
  ownerId?: string | null | undefined;
  accountId?: string | null | undefined;
}

export interface DealInput {
  name?: string | null | undefined;
  accountId?: string | null | undefined;
  stage?: DealStage | null | undefined;
  amount?: number | null | undefined;
  probability?: number | null | undefined;
  closeDate?: string | null | undefined;
  ownerId?: string | null | undefined;
}

const LIST = 'deals';

const columns = {
  id: deals.id,
  name: deals.name,
  stage: deals.stage,
  amountCents: deals.amountCents,
  probability: deals.probability,
  closeDate: deals.closeDate,
  accountId: deals.accountId,
  accountName: accounts.name,
  ownerId: deals.ownerId,
  ownerName: users.displayName,
  createdAt: deals.createdAt,
  updatedAt: deals.updatedAt,
};

function dealFilterSql(ctx: ServiceContext, filter: DealFilter): { where: SQL | undefined; filtered: boolean } {
  const search = searchText(filter.search);
  const ownerId = optionalId(filter.ownerId, 'ownerId');
  const accountId = optionalId(filter.accountId, 'accountId');
  const where = and(
    eq(deals.tenantId, ctx.principal.tenantId),
    search ? ilike(deals.name, likePattern(search)) : undefined,
    filter.stage ? eq(deals.stage, filter.stage) : undefined,
    ownerId ? eq(deals.ownerId, ownerId) : undefined,
    accountId ? eq(deals.accountId, accountId) : undefined,
  );
  return { where, filtered: Boolean(search || filter.stage || ownerId || accountId) };
}

const selectVisible = (ctx: Pick<ServiceContext, 'tx'>) =>
  ctx.tx
    .select(columns)
    .from(deals)
    .innerJoin(accounts, eq(accounts.id, deals.accountId))
    .leftJoin(users, eq(users.id, deals.ownerId));

/** The unfiltered page: built once (with and without a cursor). */
const FIRST_PAGE = compileSelect<DealRecord>((tx) =>
  selectVisible({ tx }).where(eq(deals.tenantId, sql.placeholder('tenantId'))).orderBy(asc(deals.id)).limit(sql.placeholder('limit')),
);
const NEXT_PAGE = compileSelect<DealRecord>((tx) =>
  selectVisible({ tx })
    .where(and(eq(deals.tenantId, sql.placeholder('tenantId')), gt(deals.id, sql.placeholder('after'))))
    .orderBy(asc(deals.id))
    .limit(sql.placeholder('limit')),
);

function visiblePage(ctx: ServiceContext, where: SQL | undefined, filtered: boolean, after: string | null, limit: number): Promise<DealRecord[]> {
  const tenantId = ctx.principal.tenantId;
  if (!filtered) return after ? NEXT_PAGE.run(ctx.tx, { tenantId, after, limit }) : FIRST_PAGE.run(ctx.tx, { tenantId, limit });
  return selectVisible(ctx)
    .where(and(where, after ? gt(deals.id, after) : undefined))
    .orderBy(asc(deals.id))
    .limit(limit)
    .then((rows) => rows);
}

export async function listDeals(ctx: ServiceContext, filter: DealFilter, page: PageArgs): Promise<ListResult<DealRecord>> {
  const size = pageSize(page.first);
  const after = afterId(ctx, LIST, page.after);
  const { where, filtered } = dealFilterSql(ctx, filter);
  // The page and its hidden count are sent together (one round trip).
  const [rows, hidden] = await Promise.all([visiblePage(ctx, where, filtered, after, size + 1), listHidden(ctx, deals, where, filtered)]);
  return toPage(ctx, LIST, rows, size, hidden);
}

export async function getDeal(ctx: ServiceContext, id: string): Promise<DealRecord | null> {
  requireId(id);
  const [row] = await selectVisible(ctx)
    .where(and(eq(deals.tenantId, ctx.principal.tenantId), eq(deals.id, id)))
    .limit(1);
  record(ctx, row ? 1 : 0);
  return row ?? null;
}

function amountCents(amount: number): number {
  if (!Number.isFinite(amount) || amount < 0 || amount > 1e12) {
    throw badInput(ErrorCode.BadUserInput, '`amount` must be between 0 and 1,000,000,000,000.', { field: 'amount' });
  }
  return Math.round(amount * 100);
}

function probability(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 100) {
    throw badInput(ErrorCode.BadUserInput, '`probability` must be an integer from 0 to 100.', { field: 'probability' });
  }
  return value;
}

function closeDate(value: string | null): string | null {
  if (value === null) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw badInput(ErrorCode.BadUserInput, '`closeDate` must be a date as YYYY-MM-DD.', { field: 'closeDate' });
  }
  return value;
}

async function visibleAccount(ctx: ServiceContext, accountId: string): Promise<string> {
  requireId(accountId, 'accountId');
  const [row] = await ctx.tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.principal.tenantId), eq(accounts.id, accountId)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, '`accountId` does not name an account.', { field: 'accountId' });
  return accountId;
}

export async function createDeal(ctx: ServiceContext, input: DealInput): Promise<DealRecord> {
  const name = requiredText(input.name ?? null, 'name', 200);
  if (!input.accountId) throw badInput(ErrorCode.BadUserInput, '`accountId` is required.', { field: 'accountId' });
  if (input.amount === null || input.amount === undefined) throw badInput(ErrorCode.BadUserInput, '`amount` is required.', { field: 'amount' });
  const stage = input.stage ?? 'prospecting';
  const accountId = await visibleAccount(ctx, input.accountId);
  const ownerId = await assertMember(ctx, input.ownerId ?? ctx.principal.userId);
  const id = newId();
  await ctx.tx.insert(deals).values({
    id,
    tenantId: ctx.principal.tenantId,
    accountId,
    ownerId,
    name,
    stage,
    amountCents: amountCents(input.amount),
    probability: probability(input.probability ?? STAGE_PROBABILITY[stage]),
    closeDate: closeDate(input.closeDate ?? null),
  });
  return mustGet(ctx, id);
}

export async function updateDeal(ctx: ServiceContext, id: string, input: DealInput): Promise<DealRecord> {
  const current = await getDeal(ctx, requireId(id));
  if (!current) throw new PactError(ErrorCode.NotFound, 'Deal not found.');
  const accountId = input.accountId ? await visibleAccount(ctx, input.accountId) : undefined;
  const ownerId = input.ownerId !== undefined ? await assertMember(ctx, input.ownerId) : undefined;
  await ctx.tx
    .update(deals)
    .set({
      ...(input.name !== undefined ? { name: requiredText(input.name, 'name', 200) } : {}),
      ...(input.stage ? { stage: input.stage } : {}),
      ...(input.amount !== undefined && input.amount !== null ? { amountCents: amountCents(input.amount) } : {}),
      ...(input.probability !== undefined && input.probability !== null ? { probability: probability(input.probability) } : {}),
      ...(input.closeDate !== undefined ? { closeDate: closeDate(input.closeDate) } : {}),
      ...(accountId ? { accountId } : {}),
      ...(ownerId !== undefined ? { ownerId } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(deals.tenantId, ctx.principal.tenantId), eq(deals.id, id)));
  return mustGet(ctx, id);
}

async function mustGet(ctx: ServiceContext, id: string): Promise<DealRecord> {
  const [row] = await ctx.tx
    .select(columns)
    .from(deals)
    .innerJoin(accounts, eq(accounts.id, deals.accountId))
    .leftJoin(users, eq(users.id, deals.ownerId))
    .where(and(eq(deals.tenantId, ctx.principal.tenantId), eq(deals.id, id)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, 'Deal not found.');
  return row;
}
