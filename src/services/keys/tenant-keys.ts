import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { tenantKeys } from '../../db/schema';
import { hmac, open, randomKey, seal } from '../../lib/crypto';
import { PactError } from '../../lib/errors';
import type { KeyProvider } from './key-provider';

/** A tenant's unwrapped key material for one version: the data key and the (version-stable) index key. */
export interface TenantKey {
  version: number;
  dataKey: Buffer;
  indexKey: Buffer;
}

export interface KeyService {
  /** Creates version 1 for a new tenant. */
  createInitialKey(tx: Db, tenantId: string): Promise<TenantKey>;
  active(tx: Db, tenantId: string): Promise<TenantKey>;
  version(tx: Db, tenantId: string, version: number): Promise<TenantKey>;
  /** Seals a JSON value bound to tenant, table, row, field and key version. */
  sealJson(key: TenantKey, ctx: SealContext, value: unknown): Buffer;
  openJson<T>(key: TenantKey, ctx: SealContext, sealed: Buffer): T;
  /** Keyed blind index of a normalised value (never global: per-tenant key). */
  blindIndex(key: TenantKey, kind: string, normalised: string): string;
}

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

export function createKeyService(provider: KeyProvider): KeyService {
  const cache = new Map<string, TenantKey>();
  const cacheKey = (tenantId: string, version: number) => `${tenantId}:${version}`;

  const unwrapRow = async (tenantId: string, version: number, wrapped: Buffer): Promise<TenantKey> => {
    const hit = cache.get(cacheKey(tenantId, version));
    if (hit) return hit;
    const material = await provider.unwrap(tenantId, version, wrapped);
    const key = { version, dataKey: material.subarray(0, 32), indexKey: material.subarray(32, 64) };
    cache.set(cacheKey(tenantId, version), key);
    return key;
  };

  return {
    async createInitialKey(tx, tenantId) {
      const material = Buffer.concat([randomKey(), randomKey()]);
      const wrapped = await provider.wrap(tenantId, 1, material);
      await tx.insert(tenantKeys).values({ tenantId, version: 1, provider: provider.id, wrappedKey: wrapped, status: 'active' });
      return unwrapRow(tenantId, 1, wrapped);
    },
    async active(tx, tenantId) {
      const [row] = await tx
        .select()
        .from(tenantKeys)
        .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.status, 'active')))
        .orderBy(desc(tenantKeys.version))
        .limit(1);
      if (!row) throw keyUnavailable();
      return unwrapRow(tenantId, row.version, row.wrappedKey);
    },
    async version(tx, tenantId, version) {
      const [row] = await tx
        .select()
        .from(tenantKeys)
        .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.version, version)))
        .limit(1);
      if (!row || row.status === 'revoked') throw keyUnavailable();
      return unwrapRow(tenantId, row.version, row.wrappedKey);
    },
    sealJson: (key, ctx, value) => seal(key.dataKey, Buffer.from(JSON.stringify(value), 'utf8'), aad(ctx, key.version)),
    openJson: <T>(key: TenantKey, ctx: SealContext, sealed: Buffer) =>
      JSON.parse(open(key.dataKey, sealed, aad(ctx, key.version)).toString('utf8')) as T,
    blindIndex: (key, kind, normalised) => hmac(key.indexKey, `${kind}:${normalised}`).toString('base64url'),
  };
}
