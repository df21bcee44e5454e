import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { emailIndex } from '../crm/contacts';
import { normaliseEmail } from '../crm/validate';
import type { ConsentStatus, SubjectKind } from './subjects';

/** What an id names, as the consent gate sees it (no personal data read). */
export interface RecordConsent {
  /** `contact` also for a contact deleted by an e-mail erasure; `subject` for a consent subject's own id. */
  kind: 'account' | 'deal' | 'contact' | 'subject';
  id: string;
  /** The status of the record's subject: an account's or a deal's account's domain, a contact's e-mail. */
  status: ConsentStatus;
  /** The record passes the consent gate (`consent_hidden` is false); always false for erased contacts. */
  visible: boolean;
  /** A consent subject's own kind (for `kind: 'subject'`). */
  subjectKind: SubjectKind | null;
}

type Row = { kind: RecordConsent['kind']; id: string; status: ConsentStatus | null; hidden: boolean; subject_kind: SubjectKind | null };

const toConsent = (row: Row): RecordConsent => ({
  kind: row.kind,
  id: row.id,
  // The trigger-maintained flag decides visibility; the subject row names why it is hidden.
  status: row.hidden ? (row.status && row.status !== 'granted' ? row.status : 'suppressed') : 'granted',
  visible: !row.hidden,
  subjectKind: row.subject_kind,
});

/**
 * The consent status of whatever `id` names in the caller's tenant: an account, a deal, a contact,
 * a contact deleted by erasure (its tombstone: status `erased`) or a consent subject. Null when it
 * names nothing the tenant holds (another tenant's id answers the same).
 */
export async function consentOfId(ctx: ServiceContext, id: string): Promise<RecordConsent | null> {
  const t = ctx.principal.tenantId;
  const [row] = await ctx.database.rows<Row>(
    ctx.tx,
    sql`
      select 'deal' as kind, d.id, s.status, d.consent_hidden as hidden, null::consent_subject_kind as subject_kind
        from deals d join accounts a on a.tenant_id = d.tenant_id and a.id = d.account_id
        left join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
        where d.tenant_id = ${t} and d.id = ${id}
      union all
      select 'account', a.id, s.status, a.consent_hidden, null
        from accounts a left join consent_subjects s on s.tenant_id = a.tenant_id and s.kind = 'domain' and s.subject_key = a.domain
        where a.tenant_id = ${t} and a.id = ${id}
      union all
      select 'contact', c.id, s.status, c.consent_hidden, null
        from contacts c left join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
        where c.tenant_id = ${t} and c.id = ${id}
      union all
      select 'contact', e.contact_id, 'erased', true, null from erased_contacts e where e.tenant_id = ${t} and e.contact_id = ${id}
      union all
      select 'subject', s.id, s.status, s.status <> 'granted', s.kind from consent_subjects s where s.tenant_id = ${t} and s.id = ${id}
      limit 1`,
  );
  return row ? toConsent(row) : null;
}

/**
 * The contact an e-mail address names, through the tenant's blind index (never the address): its
 * consent status, and the contact's id when one is stored. Null when the tenant holds neither a
 * contact nor a consent subject for it — which is also the answer for an erased address, since an
 * erasure keeps nothing derived from the address.
 */
export async function consentOfEmail(ctx: ServiceContext, email: string): Promise<RecordConsent | null> {
  const t = ctx.principal.tenantId;
  const key = emailIndex(ctx, await ctx.keys.active(ctx.tx, t), normaliseEmail(email, 'targetEmail'));
  const [row] = await ctx.database.rows<Row>(
    ctx.tx,
    sql`
      select 'contact' as kind, c.id, s.status, c.consent_hidden as hidden, null::consent_subject_kind as subject_kind
        from contacts c left join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
        where c.tenant_id = ${t} and c.email_index = ${key}
      union all
      select 'subject', s.id, s.status, s.status <> 'granted', s.kind
        from consent_subjects s where s.tenant_id = ${t} and s.kind = 'email' and s.subject_key = ${key}
      order by kind
      limit 1`,
  );
  return row ? toConsent(row) : null;
}
