import { randomBytes } from 'node:crypto';
import { and, asc, count, eq, gt, isNotNull, ne, notLike, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { consentSubjects, contactSearchTokens, contacts } from '../../db/schema';
import { isPactError } from '../../lib/errors';
import { acrossConsent } from '../consent/hidden';
import type { KeyService, TenantKey } from '../keys/tenant-keys';
import { TOKEN_CHUNK, piiSealContext, searchTokenRows, type ContactPii } from './contact-pii';

// Contact storage for key administration (rotation, revocation): every row, across consent.

/** What one re-encryption batch did. */
export interface ReencryptBatch {
  /** Rows scanned (re-encrypted or unreadable); fewer than the limit means the end was reached. */
  scanned: number;
  reencrypted: number;
  /** Rows whose ciphertext failed to open (tampered, or under an unavailable version); left as they are. */
  unreadable: number;
  lastId: string | null;
}

/**
 * Re-encrypts up to `limit` contacts after `afterId` (id order) that are not yet under `target`: each
 * row's PII is opened with its own version and sealed under `target` in one UPDATE, so every row
 * stays readable at every moment. Rows with no search tokens (written before tokens existed) get
 * them. The caller has counted the seals on `target`.
 */
export async function reencryptContacts(
  tx: Db,
  keys: KeyService,
  tenantId: string,
  target: TenantKey,
  afterId: string | null,
  limit: number,
): Promise<ReencryptBatch> {
  const rows = await acrossConsent(tx, (tx) => tx
    .select({
      id: contacts.id,
      pii: contacts.pii,
      keyVersion: contacts.keyVersion,
      indexed: sql<boolean>`exists (select 1 from ${contactSearchTokens} t where t.tenant_id = ${contacts.tenantId} and t.contact_id = ${contacts.id})`,
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.tenantId, tenantId),
        afterId ? gt(contacts.id, afterId) : undefined,
        isNotNull(contacts.pii),
        ne(contacts.keyVersion, target.version),
      ),
    )
    .orderBy(asc(contacts.id))
    .limit(limit)
    .for('update', { of: contacts }));
  const updates: SQL[] = [];
  const tokenRows: (typeof contactSearchTokens.$inferInsert)[] = [];
  let unreadable = 0;
  for (const row of rows) {
    if (!row.pii || row.keyVersion === null) continue;
    const at = piiSealContext(tenantId, row.id);
    let pii: ContactPii;
    try {
      pii = keys.openJson<ContactPii>(await keys.version(tx, tenantId, row.keyVersion), at, row.pii);
    } catch (error) {
      if (!isPactError(error)) throw error;
      unreadable += 1;
      continue;
    }
    updates.push(sql`(${row.id}::uuid, ${keys.sealJson(target, at, pii)}::bytea)`);
    if (!row.indexed) tokenRows.push(...searchTokenRows(keys, target, tenantId, row.id, pii));
  }
  if (updates.length > 0) {
    await acrossConsent(tx, (tx) =>
      tx.execute(sql`
        update ${contacts} as c set pii = v.pii, key_version = ${target.version}
        from (values ${sql.join(updates, sql`, `)}) as v(id, pii)
        where c.tenant_id = ${tenantId} and c.id = v.id`),
    );
  }
  for (let i = 0; i < tokenRows.length; i += TOKEN_CHUNK) {
    await tx.insert(contactSearchTokens).values(tokenRows.slice(i, i + TOKEN_CHUNK)).onConflictDoNothing();
  }
  return { scanned: rows.length, reencrypted: updates.length, unreadable, lastId: rows[rows.length - 1]?.id ?? null };
}

/** Deletes every search token of the tenant (after revocation they can never be queried again). */
export async function dropSearchTokens(tx: Db, tenantId: string): Promise<void> {
  await tx.delete(contactSearchTokens).where(eq(contactSearchTokens.tenantId, tenantId));
}

/**
 * After the tenant's key is revoked, replaces every e-mail blind index (on contacts and on e-mail
 * consent subjects) with a pseudonym keyed by a random value that is then thrown away: a contact
 * still links to its consent subject, so what consent hides stays hidden, but nothing derived from
 * an address remains. Subjects first, so the consent triggers re-derive the flags from the new keys.
 */
export async function forgetEmailFingerprints(tx: Db, tenantId: string): Promise<void> {
  const salt = randomBytes(32).toString('hex');
  const pseudonym = (column: SQL) => sql`'revoked:' || encode(sha256(convert_to(${salt}::text || ${column}, 'UTF8')), 'hex')`;
  await tx
    .update(consentSubjects)
    .set({ subjectKey: pseudonym(sql`${consentSubjects.subjectKey}`) })
    .where(and(eq(consentSubjects.tenantId, tenantId), eq(consentSubjects.kind, 'email'), notLike(consentSubjects.subjectKey, 'revoked:%')));
  await acrossConsent(tx, (tx) =>
    tx
      .update(contacts)
      .set({ emailIndex: pseudonym(sql`${contacts.emailIndex}`) })
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.emailIndex), notLike(contacts.emailIndex, 'revoked:%'))),
  );
}

/** Contacts of the tenant not yet sealed under `version`. */
export async function contactsNotUnder(tx: Db, tenantId: string, version: number): Promise<number> {
  const [row] = await acrossConsent(tx, (tx) =>
    tx
      .select({ n: count() })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.pii), ne(contacts.keyVersion, version))),
  );
  return row?.n ?? 0;
}

/** Contacts per key version (for the key administration view). */
export async function contactsPerKeyVersion(tx: Db, tenantId: string): Promise<Map<number, number>> {
  const rows = await acrossConsent(tx, (tx) =>
    tx
      .select({ version: contacts.keyVersion, n: count() })
      .from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), isNotNull(contacts.pii)))
      .groupBy(contacts.keyVersion),
  );
  return new Map(rows.flatMap((r) => (r.version === null ? [] : [[r.version, r.n] as const])));
}
