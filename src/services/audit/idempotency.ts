import { and, eq } from 'drizzle-orm';
import canonicalize from 'canonicalize';
import type { Db } from '../../db/client';
import { idempotencyKeys } from '../../db/schema';
import { sha256Hex } from '../../lib/crypto';
import { ErrorCode, PactError } from '../../lib/errors';
import { openTenantJson, sealTenantJson } from '../keys/sealed-json';
import type { KeyService } from '../keys/tenant-keys';

export const MAX_IDEMPOTENCY_KEY = 200;

/** The request an Idempotency-Key was first used with: operation and arguments. */
export const requestHash = (document: string, args: unknown): string => sha256Hex(`${document}\n${canonicalize(args ?? {}) ?? ''}`);

export function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(key)) {
    throw new PactError(ErrorCode.BadUserInput, `Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY} visible ASCII characters.`);
  }
  return key;
}

const reused = () =>
  new PactError(ErrorCode.Conflict, 'This Idempotency-Key was already used with a different request.', { reason: 'IDEMPOTENCY_KEY_REUSED' });

/** Where a stored response is sealed: it opens only as this tenant's response for this key. */
const sealedAt = (key: string) => ({ table: 'idempotency_keys', rowId: key, field: 'response' });

/**
 * The stored response of an earlier call with this key, or null when the key is new. Responses may
 * carry contact PII, so they are stored sealed under the tenant's data key.
 */
export async function findReplay(tx: Db, keys: KeyService, tenantId: string, key: string, hash: string): Promise<Record<string, unknown> | null> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)))
    .limit(1);
  if (!row) return null;
  if (row.requestHash !== hash) throw reused();
  return row.response ? openTenantJson<Record<string, unknown>>(tx, keys, tenantId, sealedAt(key), row.response) : {};
}

/**
 * Records the response under the key in the call's transaction. Returns false when a concurrent
 * call with the same key committed first (this call must then roll back and replay that one).
 */
export async function storeResponse(
  tx: Db,
  keys: KeyService,
  tenantId: string,
  key: string,
  hash: string,
  response: Record<string, unknown>,
): Promise<boolean> {
  const sealed = await sealTenantJson(tx, keys, tenantId, sealedAt(key), response);
  const inserted = await tx
    .insert(idempotencyKeys)
    .values({ tenantId, key, requestHash: hash, response: sealed as unknown as Record<string, unknown> })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return inserted.length === 1;
}
