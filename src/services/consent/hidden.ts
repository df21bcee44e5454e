import { and, count, eq, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { APP_ROLE, type Db } from '../../db/client';
import { compileSelect } from '../../db/compiled';
import { consentCounts, contactTitleCounts, contacts, type accounts, type deals } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import type { ConsentStatus, SubjectKind } from './types';

/**
 * The one place in the services that sees the records consent hides. Under the application role
 * the database itself leaves them out (the RESTRICTIVE `consent_gate` policies of migration 0017):
 * every other query reads consented records only, with no predicate of its own. The statements
 * here run under `pact_consent`, a role that also sees hidden rows (still bound to the tenant), for
 * hidden counts, consent administration, erasure, blocked answers and key maintenance.
 */
export const CONSENT_ROLE = 'pact_consent';

/** The lists the consent gate reports on; each table carries the trigger-maintained flag. */
export type GatedList = 'accounts' | 'contacts' | 'deals';

type GatedTable = typeof accounts | typeof contacts | typeof deals;

const flagOf = (table: GatedTable): PgColumn => table.consentHidden;

/**
 * Runs `fn` in the caller's transaction under `pact_consent`, then returns to the application role.
 * Only for statements that must reach hidden rows: key maintenance re-seals every contact.
 */
export async function acrossConsent<T>(tx: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  await tx.execute(sql`select set_config('role', ${CONSENT_ROLE}, true)`);
  let result: T;
  try {
    result = await fn(tx);
  } catch (error) {
    // A failed statement aborts the transaction (nothing more runs in it); a JavaScript error does not.
    await tx.execute(sql`select set_config('role', ${APP_ROLE}, true)`).catch(() => undefined);
    throw error;
  }
  await tx.execute(sql`select set_config('role', ${APP_ROLE}, true)`);
  return result;
}

/** Which hidden records to count. */
export type HiddenScope =
  /** Every hidden record of a list: the tenant's maintained total (no scan). */
  | { list: GatedList }
  /** Hidden records of `from` matching `where` (the caller's filters, tenant included), `join` serving those filters. */
  | { from: GatedTable; where: SQL | undefined; join?: { table: PgTable; on: SQL } }
  /**
   * Hidden contacts whose title holds the words of `search`: for one word its maintained count
   * (`contact_title_counts`, one row), for several the token index under `pact_consent`, where
   * `titleMatch` is the title match given the condition its first token row `t1` must meet.
   */
  | { search: string; titleMatch: (t1Condition: SQL) => SQL };

/**
 * The maintained hidden count of a one-word title search, to select from `contact_title_counts`:
 * `n` is null when `search` has another number of words (the database splits it as it splits titles).
 */
export function titleWordHidden(tenantId: string, search: string) {
  const words = sql`pact_title_words(${search}::text)`;
  return {
    fields: { n: sql<number | null>`case when cardinality(${words}) = 1 then coalesce(max(${contactTitleCounts.hidden}), 0) end`.mapWith(Number) },
    where: and(eq(contactTitleCounts.tenantId, tenantId), eq(contactTitleCounts.token, sql`(${words})[1]`)),
  };
}

const LIST_HIDDEN = compileSelect((db) =>
  db
    .select({ n: consentCounts.hidden })
    .from(consentCounts)
    .where(and(eq(consentCounts.tenantId, sql.placeholder('tenantId')), eq(consentCounts.list, sql.placeholder('list')))),
);

/**
 * How many records consent hid, for a list's `consentFiltered`, an aggregate's exclusions or the
 * audit row: the one function every hidden count comes from.
 */
export async function hiddenCount(ctx: ServiceContext, scope: HiddenScope): Promise<number> {
  if ('list' in scope) {
    const [row] = await LIST_HIDDEN.run(ctx.tx, { tenantId: ctx.principal.tenantId, list: scope.list });
    return Math.max(0, row?.n ?? 0);
  }
  if ('titleMatch' in scope) {
    const one = titleWordHidden(ctx.principal.tenantId, scope.search);
    const [word] = await ctx.tx.select(one.fields).from(contactTitleCounts).where(one.where);
    if (word && word.n !== null) return Math.max(0, word.n);
    const [row] = await acrossConsent(ctx.tx, (tx) => tx.select({ n: count() }).from(sql`(${scope.titleMatch(sql`t1.hidden`)}) as m`));
    return row?.n ?? 0;
  }
  const { from, where, join } = scope;
  const [row] = await acrossConsent(ctx.tx, (tx) => {
    const base = tx.select({ n: count() }).from(from);
    return (join ? base.innerJoin(join.table, join.on) : base).where(and(where, eq(flagOf(from), true)));
  });
  return row?.n ?? 0;
}

/** A hidden count over a list: the maintained total without filters, the matching hidden records with them. */
export const listHidden = (ctx: ServiceContext, from: GatedTable, where: SQL | undefined, filtered: boolean): Promise<number> =>
  hiddenCount(ctx, filtered ? { from, where } : { list: getTableName(from) as GatedList });

/** What an id or an e-mail index names, as the consent gate sees it (no personal data read). */
export interface ConsentRow {
  kind: 'account' | 'deal' | 'contact' | 'subject';
  id: string;
  /** The status of the record's subject row, if it has one. */
  status: ConsentStatus | null;
  hidden: boolean;
  subjectKind: SubjectKind | null;
}

type RawConsentRow = Omit<ConsentRow, 'subjectKind'> & { subject_kind: SubjectKind | null };

const consentRow = ({ subject_kind, ...row }: RawConsentRow): ConsentRow => ({ ...row, subjectKind: subject_kind });

/**
 * The consent state of whatever `id` names in the caller's tenant: an account, a deal, a contact, a
 * contact's erasure tombstone or a consent subject (blocked answers, consent administration).
 */
export async function consentRowOfId(ctx: ServiceContext, id: string): Promise<ConsentRow | null> {
  const t = ctx.principal.tenantId;
  const [row] = await acrossConsent(ctx.tx, (tx) =>
    ctx.database.rows<RawConsentRow>(
      tx,
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
    ),
  );
  return row ? consentRow(row) : null;
}

/** The consent state of the contact (or, failing one, the e-mail subject) an e-mail blind index names. */
export async function consentRowOfEmail(ctx: ServiceContext, emailKey: string): Promise<ConsentRow | null> {
  const t = ctx.principal.tenantId;
  const [row] = await acrossConsent(ctx.tx, (tx) =>
    ctx.database.rows<RawConsentRow>(
      tx,
      sql`
      select 'contact' as kind, c.id, s.status, c.consent_hidden as hidden, null::consent_subject_kind as subject_kind
        from contacts c left join consent_subjects s on s.tenant_id = c.tenant_id and s.kind = 'email' and s.subject_key = c.email_index
        where c.tenant_id = ${t} and c.email_index = ${emailKey}
      union all
      select 'subject', s.id, s.status, s.status <> 'granted', s.kind
        from consent_subjects s where s.tenant_id = ${t} and s.kind = 'email' and s.subject_key = ${emailKey}
      order by kind
      limit 1`,
    ),
  );
  return row ? consentRow(row) : null;
}

/** Erasure: deletes every contact of the tenant with this e-mail blind index, hidden or not; returns their ids. */
export function eraseContactsByEmail(ctx: ServiceContext, emailKey: string): Promise<{ id: string }[]> {
  const tenantId = ctx.principal.tenantId;
  return acrossConsent(ctx.tx, (tx) =>
    tx
      .delete(contacts)
      .where(and(eq(contacts.tenantId, tenantId), eq(contacts.emailIndex, emailKey)))
      .returning({ id: contacts.id }),
  );
}

/** A create or update whose record consent would hide: refused, since the caller could not read it back. */
export const consentWithheld = (what: string): PactError =>
  new PactError(ErrorCode.Conflict, `Not saved: the ${what}'s consent subject is suppressed, withdrawn or erased, so consent would hide it.`, { reason: 'consent' });

/** The database refused a write whose new row the `consent_gate` policy hides from the application role. */
export function isConsentGateRefusal(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '42501' && e.message.includes('"consent_gate"')) return true;
  }
  return false;
}
