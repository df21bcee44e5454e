import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import { accounts, agentRuns, contacts, deals } from '../../db/schema';
import { ErrorCode, badInput } from '../../lib/errors';
import { isUuid } from '../../lib/ids';
import { ADMIN_ROLES, type MemberRole } from '../auth/scopes';
import { record, type ServiceContext } from '../context';
import { pageSize } from '../input';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface AgentRunEntry {
  id: string;
  agent: string;
  path: string;
  userId: string | null;
  apiKeyId: string | null;
  targetKind: string | null;
  targetId: string | null;
  outcome: string;
  /** `consent_<status>` for a blocked run, the error code for a failed one. */
  reason: string | null;
  provider: string;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costCents: number;
  citations: { kind: string; id: string }[];
  createdAt: Date;
}

export interface AgentRunPage {
  items: AgentRunEntry[];
  returned: number;
  hasMore: boolean;
  nextCursor: string | null;
}

const LIST = 'agent_runs';

/**
 * Stored agent runs, newest first: every run of the tenant for owners and admins, the caller's own
 * for everyone else (an API key sees its own). The answers stay sealed; citations are record ids.
 */
export async function listAgentRuns(ctx: ServiceContext, filter: { agent?: string | null }, page: PageArgs): Promise<AgentRunPage> {
  const size = pageSize(page.first);
  const { tenantId, userId, apiKeyId, role } = ctx.principal;
  const where: SQL[] = [eq(agentRuns.tenantId, tenantId)];
  if (!ADMIN_ROLES.includes(role as MemberRole)) {
    where.push(userId ? eq(agentRuns.userId, userId) : eq(agentRuns.apiKeyId, apiKeyId ?? '00000000-0000-0000-0000-000000000000'));
  }
  if (filter.agent) where.push(eq(agentRuns.agent, filter.agent));
  if (page.after) {
    const id = ctx.cursors.decode(page.after, tenantId, LIST);
    if (!isUuid(id)) throw badInput(ErrorCode.InvalidCursor, 'The cursor is invalid, expired, or belongs to another list.');
    where.push(lt(agentRuns.id, id));
  }
  const rows = await ctx.tx
    .select()
    .from(agentRuns)
    .where(and(...where))
    .orderBy(desc(agentRuns.id))
    .limit(size + 1);
  const hasMore = rows.length > size;
  const shownRows = rows.slice(0, size);
  const visible = await visibleRecords(ctx, shownRows.flatMap((r) => [...r.citations, ...(r.targetKind && r.targetId ? [{ kind: r.targetKind, id: r.targetId }] : [])]));
  const shown = (kind: string | null, id: string | null) => kind !== null && id !== null && visible.has(`${kind}:${id}`);
  const items = shownRows.map((r) => ({
    id: r.id,
    agent: r.agent,
    path: r.path,
    userId: r.userId,
    apiKeyId: r.apiKeyId,
    targetKind: r.targetKind,
    targetId: shown(r.targetKind, r.targetId) ? r.targetId : null,
    outcome: r.outcome,
    reason: r.reason,
    provider: r.provider,
    model: r.model,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    costCents: r.costMicrocents / 1_000_000,
    citations: r.citations.filter((c) => shown(c.kind, c.id)),
    createdAt: r.createdAt,
  }));
  record(ctx, items.length);
  const last = items.at(-1);
  return { items, returned: items.length, hasMore, nextCursor: hasMore && last ? ctx.cursors.encode({ tenantId, list: LIST, lastId: last.id }) : null };
}

const TABLES = { account: accounts, contact: contacts, deal: deals } as const;

/**
 * The records among `refs` the caller may see now (`kind:id`): a run's target and citations are
 * shown only while consent lets the record be read (a blocked run's target, a record withdrawn
 * since, stays out of the history). Read under the application role, so row-level security decides.
 */
async function visibleRecords(ctx: ServiceContext, refs: { kind: string; id: string }[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const [kind, table] of Object.entries(TABLES)) {
    const ids = [...new Set(refs.filter((r) => r.kind === kind && isUuid(r.id)).map((r) => r.id))];
    if (ids.length === 0) continue;
    const rows = await ctx.tx.select({ id: table.id }).from(table).where(and(eq(table.tenantId, ctx.principal.tenantId), inArray(table.id, ids)));
    for (const row of rows) seen.add(`${kind}:${row.id}`);
  }
  return seen;
}
