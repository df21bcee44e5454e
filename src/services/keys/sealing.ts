import { hmac, open, seal } from '../../lib/crypto';
import { ErrorCode, PactError } from '../../lib/errors';

/** A tenant's unwrapped key material for one version: the data key and the (version-stable) index key. */
export interface TenantKey {
  version: number;
  dataKey: Buffer;
  indexKey: Buffer;
}

/** Where a sealed value lives: its associated data binds it to tenant, table, row, field and key version. */
export interface SealContext {
  tenantId: string;
  table: string;
  rowId: string;
  field: string;
}

const aad = (c: SealContext, version: number) => `pact:v1|${c.tenantId}|${c.table}|${c.rowId}|${c.field}|${version}`;

export const keyUnavailable = () =>
  new PactError('FORBIDDEN', "The tenant's encryption key is unavailable; personal data cannot be read.", {
    reason: 'KEY_UNAVAILABLE',
  });

/** A ciphertext that does not authenticate under its row's key and associated data (tampered or moved). */
export const undecryptable = () =>
  new PactError(ErrorCode.Internal, "This record's personal data failed its integrity check and cannot be read.", {
    reason: 'PII_INTEGRITY',
  });

/** A version's 64 bytes of material as data key and index key. */
export const toKey = (version: number, material: Buffer): TenantKey => ({
  version,
  dataKey: material.subarray(0, 32),
  indexKey: material.subarray(32, 64),
});

export const materialOf = (key: TenantKey) => Buffer.concat([key.dataKey, key.indexKey]);

/** Seals a JSON value bound to tenant, table, row, field and key version (AES-256-GCM). */
export const sealJson = (key: TenantKey, ctx: SealContext, value: unknown): Buffer =>
  seal(key.dataKey, Buffer.from(JSON.stringify(value), 'utf8'), aad(ctx, key.version));

/** Opens what `sealJson` sealed; a PactError (reason PII_INTEGRITY) when it does not authenticate. */
export function openJson<T>(key: TenantKey, ctx: SealContext, sealed: Buffer): T {
  let plain: Buffer;
  try {
    plain = open(key.dataKey, sealed, aad(ctx, key.version));
  } catch {
    throw undecryptable();
  }
  return JSON.parse(plain.toString('utf8')) as T;
}

/** Keyed blind index of a normalised value (never global: per-tenant key). */
export const blindIndex = (key: TenantKey, kind: string, normalised: string): string => hmac(key.indexKey, `${kind}:${normalised}`).toString('base64url');
