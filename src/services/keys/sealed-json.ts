import type { Db } from '../../db/client';
import { ErrorCode, PactError } from '../../lib/errors';
import type { KeyService, SealContext } from './tenant-keys';

/**
 * A JSON value sealed under a tenant's data key, in a shape a `jsonb` column can hold: the key
 * version and the base64 ciphertext (AES-256-GCM, associated data tenant|table|row|field|version).
 */
export interface SealedJson {
  sealed: 'pact:v1';
  v: number;
  c: string;
}

/** Where a sealed value lives: it opens only there. */
export type SealedAt = Omit<SealContext, 'tenantId'>;

/**
 * Seals `value` under the tenant's active version, counting the seal (for stored responses or other
 * records that may carry personal data). Retired versions keep opening it after a rotation.
 */
export async function sealTenantJson(tx: Db, keys: KeyService, tenantId: string, at: SealedAt, value: unknown): Promise<SealedJson> {
  const key = await keys.reserve(tx, tenantId, 1);
  return { sealed: 'pact:v1', v: key.version, c: keys.sealJson(key, { tenantId, ...at }, value).toString('base64') };
}

export const isSealedJson = (value: unknown): value is SealedJson =>
  typeof value === 'object' &&
  value !== null &&
  (value as SealedJson).sealed === 'pact:v1' &&
  Number.isInteger((value as SealedJson).v) &&
  typeof (value as SealedJson).c === 'string';

/** Opens what `sealTenantJson` sealed at the same place; KEY_UNAVAILABLE after revocation. */
export async function openTenantJson<T>(tx: Db, keys: KeyService, tenantId: string, at: SealedAt, envelope: unknown): Promise<T> {
  if (!isSealedJson(envelope)) throw new PactError(ErrorCode.Internal, 'The stored value is not sealed.');
  const key = await keys.version(tx, tenantId, envelope.v);
  return keys.openJson<T>(key, { tenantId, ...at }, Buffer.from(envelope.c, 'base64'));
}
