import { and, eq } from 'drizzle-orm';
import { activities, contacts, deals, accounts } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
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
