import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { auditLog, auditSealedRows, users } from '../../db/schema';
import { ErrorCode, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { pageSize } from '../input';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export type AuditOutcome = (typeof auditLog.$inferSelect)['outcome'];
export type AuditPath = (typeof auditLog.$inferSelect)['path'];

export interface AuditFilter {
  path?: AuditPath | null;
  /** The operation or MCP tool name, exactly. */
  operation?: string | null;
  outcome?: AuditOutcome | null;
  userId?: string | null;
  /** The signed-in user's e-mail, exactly (case-insensitive). */
  userEmail?: string | null;
  /** Rows at or after this instant. */
  from?: Date | null;
  /** Rows before this instant. */
  to?: Date | null;
}

export interface AuditEntry {
  id: string;
  seq: number;
  at: Date;
  path: AuditPath;
  operation: string;
  userId: string | null;
  userEmail: string | null;
  apiKeyId: string | null;
  client: string | null;
  outcome: AuditOutcome;
  errorCode: string | null;
  latencyMs: number;
  resultCount: number;
  consentHidden: number;
  costCents: number;
  sealed: boolean;
}

export interface AuditPage {
  items: AuditEntry[];
  returned: number;
  hasMore: boolean;
  nextCursor: string | null;
}

const LIST = 'audit_log';

/** The tenant's audit rows, newest first, filtered; the argument digest and row MAC stay inside. */
export async function searchAudit(ctx: ServiceContext, filter: AuditFilter, page: PageArgs): Promise<AuditPage> {
  const size = pageSize(page.first);
  const tenantId = ctx.principal.tenantId;
  const where: SQL[] = [eq(auditLog.tenantId, tenantId)];
  if (page.after) {
    const seq = Number(ctx.cursors.decode(page.after, tenantId, LIST));
    if (!Number.isSafeInteger(seq)) throw badInput(ErrorCode.InvalidCursor, 'The cursor is invalid, expired, or belongs to another list.');
    where.push(lt(auditLog.seq, seq));
  }
  if (filter.path) where.push(eq(auditLog.path, filter.path));
  if (filter.operation) where.push(eq(auditLog.operation, filter.operation));
  if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome));
  if (filter.userId) where.push(eq(auditLog.userId, filter.userId));
  if (filter.userEmail) where.push(eq(users.email, filter.userEmail.trim().toLowerCase()));
  if (filter.from) where.push(gte(auditLog.at, filter.from));
  if (filter.to) where.push(lt(auditLog.at, filter.to));
  const rows = await ctx.tx
    .select({
      row: auditLog,
      userEmail: users.email,
      sealed: sql<boolean>`${auditSealedRows.auditId} is not null`,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .leftJoin(auditSealedRows, eq(auditSealedRows.auditId, auditLog.id))
    .where(and(...where))
    .orderBy(desc(auditLog.seq))
    .limit(size + 1);
  const hasMore = rows.length > size;
  const items = rows.slice(0, size).map(({ row, userEmail, sealed }) => ({
    id: row.id,
    seq: row.seq,
    at: row.at,
    path: row.path,
    operation: row.operation,
    userId: row.userId,
    userEmail: userEmail ?? null,
    apiKeyId: row.apiKeyId,
    client: row.client,
    outcome: row.outcome,
    errorCode: row.errorCode,
    latencyMs: row.latencyMs,
    resultCount: row.resultCount,
    consentHidden: row.consentHidden,
    costCents: row.costMicrocents / 1_000_000,
    sealed: Boolean(sealed),
  }));
  record(ctx, items.length);
  const last = items.at(-1);
  return {
    items,
    returned: items.length,
    hasMore,
    nextCursor: hasMore && last ? ctx.cursors.encode({ tenantId, list: LIST, lastId: String(last.seq) }) : null,
  };
}
