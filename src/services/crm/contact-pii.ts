import type { Db } from '../../db/client';
import { contactSearchTokens } from '../../db/schema';
import { ErrorCode, badInput } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { normaliseEmail, normalisePhone, requiredText } from '../input';
import type { KeyService, TenantKey } from '../keys/tenant-keys';
import { searchWords } from '../keys/search-words';
import { and, eq } from 'drizzle-orm';

/** Where a contact's PII is sealed (associated data of every seal). */
export const CONTACT_TABLE = 'contacts';
const FIELD = 'pii';
/** Blind-index kind of search tokens (distinct from the e-mail index). */
export const TOKEN_KIND = 'tok';

/** The personal data of a contact; stored only sealed under the tenant's data key. */
export interface ContactPii {
  name: string;
  email: string | null;
  phone: string | null;
}

/** What `contactPii` opens: a contact row's sealed columns. */
export interface SealedContact {
  id: string;
  pii: Buffer | null;
  keyVersion: number | null;
}

/** A contact's fields as a caller sends them (PII and the rest). */
export interface ContactPiiInput {
  name?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
}

/** The associated data of a contact's PII seal. */
export const piiSealContext = (tenantId: string, rowId: string) => ({ tenantId, table: CONTACT_TABLE, rowId, field: FIELD });

const opened = new WeakMap<SealedContact, Promise<ContactPii | null>>();

/** Decrypts a contact's PII once per record, only when a PII field is selected. */
export function contactPii(ctx: ServiceContext, record: SealedContact): Promise<ContactPii | null> {
  let pending = opened.get(record);
  if (!pending) {
    pending = openPii(ctx, record);
    opened.set(record, pending);
  }
  return pending;
}

async function openPii(ctx: ServiceContext, record: SealedContact): Promise<ContactPii | null> {
  if (!record.pii || record.keyVersion === null) return null;
  const key = await ctx.keys.version(ctx.tx, ctx.principal.tenantId, record.keyVersion);
  return ctx.keys.openJson<ContactPii>(key, piiSealContext(ctx.principal.tenantId, record.id), record.pii);
}

/**
 * The columns that store a contact's PII sealed under `key`: ciphertext, key version, e-mail blind
 * index. The caller counts the seal on the key version (`keys.reserve`, or `indexSealedContacts`)
 * and writes the search tokens (`searchTokenRows`).
 */
export function sealedColumns(keys: KeyService, key: TenantKey, tenantId: string, rowId: string, pii: ContactPii) {
  return {
    pii: keys.sealJson(key, piiSealContext(tenantId, rowId), pii),
    keyVersion: key.version,
    emailIndex: pii.email ? keys.blindIndex(key, 'email', pii.email) : null,
  };
}

/** The search-token rows of a contact: per-tenant HMACs of its name and e-mail words. */
export function searchTokenRows(keys: KeyService, key: TenantKey, tenantId: string, contactId: string, pii: ContactPii) {
  return searchWords(pii).map((word) => ({ tenantId, contactId, token: keys.blindIndex(key, TOKEN_KIND, word) }));
}

/** Search-token rows per INSERT. */
export const TOKEN_CHUNK = 2_000;

/** After a bulk insert of contacts sealed under `key`: writes their search tokens and counts the seals. */
export async function indexSealedContacts(
  tx: Db,
  keys: KeyService,
  key: TenantKey,
  tenantId: string,
  sealed: { id: string; pii: ContactPii }[],
): Promise<void> {
  const rows = sealed.flatMap((c) => searchTokenRows(keys, key, tenantId, c.id, c.pii));
  for (let i = 0; i < rows.length; i += TOKEN_CHUNK) await tx.insert(contactSearchTokens).values(rows.slice(i, i + TOKEN_CHUNK));
  if (sealed.length > 0) await keys.countEncryptions(tx, tenantId, key.version, sealed.length);
}

/** Seals one contact's PII under the active version (counting the seal) and rewrites its search tokens. */
export async function sealContactPii(ctx: ServiceContext, rowId: string, pii: ContactPii) {
  const tenantId = ctx.principal.tenantId;
  const key = await ctx.keys.reserve(ctx.tx, tenantId, 1);
  return {
    columns: sealedColumns(ctx.keys, key, tenantId, rowId, pii),
    writeTokens: async (replace: boolean) => {
      if (replace) {
        await ctx.tx.delete(contactSearchTokens).where(and(eq(contactSearchTokens.tenantId, tenantId), eq(contactSearchTokens.contactId, rowId)));
      }
      const rows = searchTokenRows(ctx.keys, key, tenantId, rowId, pii);
      if (rows.length > 0) await ctx.tx.insert(contactSearchTokens).values(rows);
    },
  };
}

/** The PII a create or update leaves: the input's fields over the previous ones, checked. */
export function piiFrom(input: ContactPiiInput, previous: ContactPii | null): ContactPii {
  const name = input.name !== undefined ? requiredText(input.name, 'name', 200) : previous?.name;
  if (name === undefined) throw badInput(ErrorCode.BadUserInput, '`name` is required.', { field: 'name' });
  return {
    name,
    email: input.email !== undefined ? (input.email === null ? null : normaliseEmail(input.email)) : (previous?.email ?? null),
    phone: input.phone !== undefined ? (input.phone === null ? null : normalisePhone(input.phone)) : (previous?.phone ?? null),
  };
}
