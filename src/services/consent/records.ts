import type { ServiceContext } from '../context';
import { emailIndex } from '../keys/email-index';
import { normaliseEmail } from '../input';
import { consentRowOfEmail, consentRowOfId, type ConsentRow } from './hidden';
import type { ConsentStatus, SubjectKind } from './types';

/** What an id names, as the consent gate sees it (no personal data read). */
export interface RecordConsent {
  /** `contact` also for a contact deleted by an e-mail erasure; `subject` for a consent subject's own id. */
  kind: 'account' | 'deal' | 'contact' | 'subject';
  id: string;
  /** The status of the record's subject: an account's or a deal's account's domain, a contact's e-mail. */
  status: ConsentStatus;
  /** The record passes the consent gate; always false for erased contacts. */
  visible: boolean;
  /** A consent subject's own kind (for `kind: 'subject'`). */
  subjectKind: SubjectKind | null;
}

const toConsent = (row: ConsentRow): RecordConsent => ({
  kind: row.kind,
  id: row.id,
  // The trigger-maintained flag decides visibility; the subject row names why it is hidden.
  status: row.hidden ? (row.status && row.status !== 'granted' ? row.status : 'suppressed') : 'granted',
  visible: !row.hidden,
  subjectKind: row.subjectKind,
});

/**
 * The consent status of whatever `id` names in the caller's tenant: an account, a deal, a contact,
 * a contact deleted by erasure (its tombstone: status `erased`) or a consent subject. Null when it
 * names nothing the tenant holds (another tenant's id answers the same).
 */
export async function consentOfId(ctx: ServiceContext, id: string): Promise<RecordConsent | null> {
  const row = await consentRowOfId(ctx, id);
  return row ? toConsent(row) : null;
}

/**
 * The contact an e-mail address names, through the tenant's blind index (never the address): its
 * consent status, and the contact's id when one is stored. Null when the tenant holds neither a
 * contact nor a consent subject for it — which is also the answer for an erased address, since an
 * erasure keeps nothing derived from the address.
 */
export async function consentOfEmail(ctx: ServiceContext, email: string): Promise<RecordConsent | null> {
  const key = emailIndex(ctx, await ctx.keys.active(ctx.tx, ctx.principal.tenantId), normaliseEmail(email, 'targetEmail'));
  const row = await consentRowOfEmail(ctx, key);
  return row ? toConsent(row) : null;
}
