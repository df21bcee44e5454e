import { and, desc, eq } from 'drizzle-orm';
import { activities, contacts, deals, accounts } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { record, type ServiceContext } from '../context';
import { requireId } from '../input';
import { optionalText, requiredText } from '../input';

export const ACTIVITY_KINDS = ['note', 'call', 'email', 'meeting', 'task'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export interface ActivityInput {
  kind?: ActivityKind | null | undefined;
  subject: string;
  body?: string | null | undefined;
  accountId?: string | null | undefined;
  contactId?: string | null | undefined;
  dealId?: string | null | undefined;
  occurredAt?: Date | null | undefined;
}

export interface ActivityRecord {
  id: string;
  kind: ActivityKind;
  subject: string;
  body: string | null;
  accountId: string | null;
  contactId: string | null;
  dealId: string | null;
  userId: string | null;
  occurredAt: Date;
  createdAt: Date;
}

async function exists(ctx: ServiceContext, table: typeof accounts | typeof contacts | typeof deals, id: string, field: string) {
  requireId(id, field);
  const [row] = await ctx.tx
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.tenantId, ctx.principal.tenantId), eq(table.id, id)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, `\`${field}\` does not name a record.`, { field });
}

/** Logs a note, call, e-mail, meeting or task against an account, contact and/or deal. */
export async function createActivity(ctx: ServiceContext, input: ActivityInput): Promise<ActivityRecord> {
  if (!input.accountId && !input.contactId && !input.dealId) {
    throw badInput(ErrorCode.BadUserInput, 'An activity needs at least one of `accountId`, `contactId` or `dealId`.');
  }
  if (input.accountId) await exists(ctx, accounts, input.accountId, 'accountId');
  if (input.contactId) await exists(ctx, contacts, input.contactId, 'contactId');
  if (input.dealId) await exists(ctx, deals, input.dealId, 'dealId');
  const [row] = await ctx.tx
    .insert(activities)
    .values({
      id: newId(),
      tenantId: ctx.principal.tenantId,
      kind: input.kind ?? 'note',
      subject: requiredText(input.subject, 'subject', 300),
      body: input.body === undefined ? null : optionalText(input.body, 'body', 20_000),
      accountId: input.accountId ?? null,
      contactId: input.contactId ?? null,
      dealId: input.dealId ?? null,
      userId: ctx.principal.userId,
      occurredAt: input.occurredAt ?? new Date(),
    })
    .returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** What a deal's activity list answers: the newest activities, and how many consent hid (those logged against a hidden contact). */
export interface DealActivities {
  items: ActivityRecord[];
  returned: number;
  consentFiltered: number;
}

/**
 * The activities logged against a deal the caller can see, newest first (at most `first`, up to 100).
 * A hidden deal answers like an unknown one (empty); an activity tied to a contact that consent
 * hides is counted, never shown.
 */
export async function listDealActivities(ctx: ServiceContext, dealId: string, first = 25): Promise<DealActivities> {
  requireId(dealId, 'dealId');
  const size = Math.min(Math.max(1, Math.trunc(first)), 100);
  const tenantId = ctx.principal.tenantId;
  const [deal] = await ctx.tx.select({ id: deals.id }).from(deals).where(and(eq(deals.tenantId, tenantId), eq(deals.id, dealId))).limit(1);
  if (!deal) return { items: [], returned: 0, consentFiltered: 0 };
  const rows = await ctx.tx
    .select({ activity: activities, visibleContact: contacts.id })
    .from(activities)
    .leftJoin(contacts, and(eq(contacts.tenantId, activities.tenantId), eq(contacts.id, activities.contactId)))
    .where(and(eq(activities.tenantId, tenantId), eq(activities.dealId, dealId)))
    .orderBy(desc(activities.occurredAt), desc(activities.id));
  const visible = rows.filter((r) => r.activity.contactId === null || r.visibleContact !== null);
  const items = visible.slice(0, size).map((r) => r.activity);
  record(ctx, items.length, rows.length - visible.length);
  return { items, returned: items.length, consentFiltered: rows.length - visible.length };
}
