import { and, asc, eq } from 'drizzle-orm';
import { consentEvents, consentSubjects, erasedContacts } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { emailIndex } from '../keys/email-index';
import { normaliseDomain, normaliseEmail, optionalText } from '../input';
import { eraseContactsByEmail } from './hidden';
import type { ConsentStatus, SubjectKind } from './types';

export type { ConsentStatus, SubjectKind } from './types';

/** A data subject as the caller names it: an e-mail address or a company domain. */
export interface SubjectRef {
  kind: SubjectKind;
  value: string;
}

export interface ConsentHistoryEntry {
  fromStatus: ConsentStatus | null;
  toStatus: ConsentStatus;
  reason: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  at: Date;
}

export interface ConsentSubjectRecord {
  id: string;
  kind: SubjectKind;
  /** The domain for domain subjects; never the e-mail address (only its blind index is stored). */
  value: string | null;
  status: ConsentStatus;
  updatedAt: Date;
  /** Contacts erased by this change (e-mail erasure only). */
  erasedRecords: number;
}

async function subjectKey(ctx: ServiceContext, ref: SubjectRef): Promise<string> {
  if (ref.kind === 'domain') return normaliseDomain(ref.value);
  const key = await ctx.keys.active(ctx.tx, ctx.principal.tenantId);
  return emailIndex(ctx, key, normaliseEmail(ref.value, 'value'));
}

const toRecord = (row: typeof consentSubjects.$inferSelect, erasedRecords = 0): ConsentSubjectRecord => ({
  id: row.id,
  kind: row.kind,
  value: row.kind === 'domain' && row.status !== 'erased' ? row.subjectKey : null,
  status: row.status,
  updatedAt: row.updatedAt,
  erasedRecords,
});

export async function findSubject(ctx: ServiceContext, ref: SubjectRef): Promise<ConsentSubjectRecord | null> {
  const key = await subjectKey(ctx, ref);
  const [row] = await ctx.tx
    .select()
    .from(consentSubjects)
    .where(and(eq(consentSubjects.tenantId, ctx.principal.tenantId), eq(consentSubjects.kind, ref.kind), eq(consentSubjects.subjectKey, key)))
    .limit(1);
  return row ? toRecord(row) : null;
}

/**
 * Records a consent decision with its history. Erasing an e-mail subject deletes the matching
 * contacts (their ciphertext and blind index) and unlinks the subject row from the blind index, so
 * nothing derived from the address remains (a tombstone keeps only each deleted contact's id and the
 * subject's); erasing a domain hides its accounts and deals for good.
 */
export async function setConsent(
  ctx: ServiceContext,
  ref: SubjectRef,
  status: ConsentStatus,
  reason: string | null | undefined,
): Promise<ConsentSubjectRecord> {
  const key = await subjectKey(ctx, ref);
  const tenantId = ctx.principal.tenantId;
  const why = reason === undefined ? null : optionalText(reason, 'reason', 500);
  const [existing] = await ctx.tx
    .select()
    .from(consentSubjects)
    .where(and(eq(consentSubjects.tenantId, tenantId), eq(consentSubjects.kind, ref.kind), eq(consentSubjects.subjectKey, key)))
    .limit(1);
  if (existing?.status === 'erased') {
    throw new PactError(ErrorCode.Conflict, 'This subject was erased; its consent can no longer change.');
  }
  const id = existing?.id ?? newId();
  let removed: { id: string }[] = [];
  let storedKey = key;
  if (status === 'erased' && ref.kind === 'email') {
    removed = await eraseContactsByEmail(ctx, key);
    storedKey = `erased:${id}`;
  }
  const erasedRecords = removed.length;
  const now = new Date();
  const [row] = existing
    ? await ctx.tx
        .update(consentSubjects)
        .set({ status, subjectKey: storedKey, updatedAt: now })
        .where(and(eq(consentSubjects.tenantId, tenantId), eq(consentSubjects.id, id)))
        .returning()
    : await ctx.tx
        .insert(consentSubjects)
        .values({ id, tenantId, kind: ref.kind, subjectKey: storedKey, status, updatedAt: now })
        .returning();
  if (!row) throw new Error('consent subject write returned nothing');
  if (removed.length > 0) {
    // Tombstones: the deleted contacts' ids and their erased subject, nothing derived from the address.
    await ctx.tx.insert(erasedContacts).values(removed.map((c) => ({ tenantId, contactId: c.id, subjectId: id, erasedAt: now })));
  }
  await ctx.tx.insert(consentEvents).values({
    id: newId(),
    tenantId,
    subjectId: id,
    fromStatus: existing?.status ?? null,
    toStatus: status,
    reason: why,
    actorUserId: ctx.principal.userId,
    actorApiKeyId: ctx.principal.apiKeyId,
  });
  return toRecord(row, erasedRecords);
}

export async function subjectHistory(ctx: ServiceContext, subjectId: string): Promise<ConsentHistoryEntry[]> {
  const rows = await ctx.tx
    .select()
    .from(consentEvents)
    .where(and(eq(consentEvents.tenantId, ctx.principal.tenantId), eq(consentEvents.subjectId, subjectId)))
    .orderBy(asc(consentEvents.createdAt), asc(consentEvents.id));
  return rows.map((r) => ({
    fromStatus: r.fromStatus,
    toStatus: r.toStatus,
    reason: r.reason,
    actorUserId: r.actorUserId,
    actorApiKeyId: r.actorApiKeyId,
    at: r.createdAt,
  }));
}
