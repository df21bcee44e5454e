import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { consentCounts, consentSubjects } from '../../db/schema';
import { ErrorCode, badInput } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { record, type ServiceContext } from '../context';
import { pageSize } from '../input';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}
import type { ConsentSubjectRecord } from './subjects';
import type { ConsentStatus, SubjectKind } from './types';

export interface ConsentSubjectPage {
  items: ConsentSubjectRecord[];
  returned: number;
  hasMore: boolean;
  nextCursor: string | null;
}

export interface ConsentOverview {
  /** Subjects with a consent record, by status (no record means granted). */
  subjects: Record<ConsentStatus, number>;
  /** Records hidden from reads right now, per list: the same counters every list's `consentFiltered` starts from. */
  hidden: { accounts: number; contacts: number; deals: number };
}

const LIST = 'consent_subjects';

/** The tenant's consent records, most recently changed first; e-mail subjects never show the address. */
export async function listConsentSubjects(
  ctx: ServiceContext,
  filter: { status?: ConsentStatus | null; kind?: SubjectKind | null },
  page: PageArgs,
): Promise<ConsentSubjectPage> {
  const size = pageSize(page.first);
  const tenantId = ctx.principal.tenantId;
  const where: SQL[] = [eq(consentSubjects.tenantId, tenantId)];
  if (filter.status) where.push(eq(consentSubjects.status, filter.status));
  if (filter.kind) where.push(eq(consentSubjects.kind, filter.kind));
  if (page.after) {
    const id = ctx.cursors.decode(page.after, tenantId, LIST);
    if (!isUuid(id)) throw badInput(ErrorCode.InvalidCursor, 'The cursor is invalid, expired, or belongs to another list.');
    where.push(lt(consentSubjects.id, id));
  }
  const rows = await ctx.tx
    .select()
    .from(consentSubjects)
    .where(and(...where))
    .orderBy(desc(consentSubjects.id))
    .limit(size + 1);
  const hasMore = rows.length > size;
  const items = rows.slice(0, size).map((row) => ({
    id: row.id,
    kind: row.kind,
    value: row.kind === 'domain' && row.status !== 'erased' ? row.subjectKey : null,
    status: row.status,
    updatedAt: row.updatedAt,
    erasedRecords: 0,
  }));
  record(ctx, items.length);
  const last = items.at(-1);
  return { items, returned: items.length, hasMore, nextCursor: hasMore && last ? ctx.cursors.encode({ tenantId, list: LIST, lastId: last.id }) : null };
}

export async function consentOverview(ctx: ServiceContext): Promise<ConsentOverview> {
  const tenantId = ctx.principal.tenantId;
  const statuses = await ctx.tx
    .select({ status: consentSubjects.status, n: sql<number>`count(*)::int` })
    .from(consentSubjects)
    .where(eq(consentSubjects.tenantId, tenantId))
    .groupBy(consentSubjects.status);
  const counts = await ctx.tx.select().from(consentCounts).where(eq(consentCounts.tenantId, tenantId));
  const subjects: Record<ConsentStatus, number> = { granted: 0, suppressed: 0, withdrawn: 0, erased: 0 };
  for (const s of statuses) subjects[s.status] = Number(s.n);
  const hidden = { accounts: 0, contacts: 0, deals: 0 };
  for (const c of counts) if (c.list === 'accounts' || c.list === 'contacts' || c.list === 'deals') hidden[c.list] = Number(c.hidden);
  return { subjects, hidden };
}
