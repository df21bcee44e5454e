import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { tenantKeyMaterial, tenantKeyRotations, tenantKeys } from '../../db/schema';
import { randomKey } from '../../lib/crypto';
import { ErrorCode, PactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { createUnwrappedKeyCache } from './key-cache';
import { BYOK_MATERIAL_VERSION, BYOK_PROVIDER_ID, createByokKeyProvider, type KeyProvider } from './key-provider';
import { createKeyRows, type KeyRow } from './key-rows';
import { blindIndex, keyUnavailable, materialOf, openJson, sealJson, toKey, type SealContext, type TenantKey } from './sealing';

export { keyUnavailable, undecryptable, type SealContext, type TenantKey } from './sealing';

export type KeyStatus = 'active' | 'retired' | 'revoked';

/** One data-key version as administrators see it; never key material. */
export interface KeyVersionInfo {
  version: number;
  status: KeyStatus;
  /** What wraps this version: `byok` (the tenant's own material), `local`, or a KMS id. */
  provider: string;
  /** Seals counted under this version (an upper bound: a write statement reserves before it seals). */
  encryptions: number;
  createdAt: Date;
}

/** Where the tenant's key-encryption key comes from, and whether the tenant revoked it. */
export interface KekInfo {
  provider: string;
  byok: boolean;
  revoked: boolean;
}

export interface KeyServiceOptions {
  /**
   * Seals allowed under one data-key version: the write that passes it rolls over to a new version
   * (and records a rotation to re-encrypt older rows). AES-GCM with random nonces is safe up to 2^32.
   */
  rotateAfter?: number;
  /** How long an unwrapped key stays in this process's cache (ms). Revocation does not wait for it. */
  cacheTtlMs?: number;
  /** Upper bound of cached unwrapped keys. */
  cacheMaxEntries?: number;
}

export const DEFAULT_ROTATE_AFTER = 2 ** 31;
export const DEFAULT_KEY_CACHE_TTL_MS = 60_000;

export interface KeyService {
  /** Seals allowed per version before the next write rolls over. */
  readonly rotateAfter: number;
  /** Creates version 1 for a new tenant. */
  createInitialKey(tx: Db, tenantId: string): Promise<TenantKey>;
  /** The active version, for blind indexes (the index key is the same in every version); counts nothing. */
  active(tx: Db, tenantId: string): Promise<TenantKey>;
  /**
   * Counts `count` seals on the active version (one statement, which also locks the version row until
   * commit) and returns it. Past `rotateAfter`, rolls over to a new version first unless
   * `rollover: false` (re-encryption itself never rolls over).
   */
  reserve(tx: Db, tenantId: string, count: number, options?: { rollover?: boolean }): Promise<TenantKey>;
  /** Counts seals already made under `version` (bulk seeding). */
  countEncryptions(tx: Db, tenantId: string, version: number, count: number): Promise<void>;
  /** A version that may decrypt (active or retired); KEY_UNAVAILABLE when revoked or unknown. */
  version(tx: Db, tenantId: string, version: number): Promise<TenantKey>;
  versions(tx: Db, tenantId: string): Promise<KeyVersionInfo[]>;
  kek(tx: Db, tenantId: string): Promise<KekInfo>;
  /**
   * Starts a rotation: version n+1 (a fresh data key, the same index key) becomes active, the old one
   * retired, any running rotation superseded, and a running rotation targeting n+1 recorded.
   */
  rollover(tx: Db, tenantId: string, reason: 'requested' | 'threshold'): Promise<{ key: TenantKey; rotationId: string }>;
  /** Re-wraps every live version under the tenant's current KEK; contact rows are not touched. */
  rewrap(tx: Db, tenantId: string): Promise<number>;
  /** BYOK: the tenant's 32 bytes become its KEK; every live version is re-wrapped under them. */
  setMaterial(tx: Db, tenantId: string, material: Buffer): Promise<void>;
  /** Revokes every version for good: wrapped keys and BYOK material are destroyed. */
  revoke(tx: Db, tenantId: string): Promise<void>;
  /** Seals a JSON value bound to tenant, table, row, field and key version. */
  sealJson(key: TenantKey, ctx: SealContext, value: unknown): Buffer;
  /** Opens what `sealJson` sealed; a PactError (reason PII_INTEGRITY) when it does not authenticate. */
  openJson<T>(key: TenantKey, ctx: SealContext, sealed: Buffer): T;
  /** Keyed blind index of a normalised value (never global: per-tenant key). */
  blindIndex(key: TenantKey, kind: string, normalised: string): string;
}

export function createKeyService(base: KeyProvider, options: KeyServiceOptions = {}): KeyService {
  const rotateAfter = options.rotateAfter ?? DEFAULT_ROTATE_AFTER;
  const ttl = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
  const maxEntries = options.cacheMaxEntries ?? 10_000;

  const cache = createUnwrappedKeyCache(ttl, maxEntries);
  const keyRows = createKeyRows();
  const rowsOf = keyRows.of;
  const forget = keyRows.forget;
  const lockRows = keyRows.lock;

  const byokProvider = async (tx: Db, tenantId: string): Promise<KeyProvider | null> => {
    const [row] = await tx.select().from(tenantKeyMaterial).where(eq(tenantKeyMaterial.tenantId, tenantId)).limit(1);
    if (!row) return null;
    if (row.status !== 'active' || !row.wrappedMaterial || row.provider !== base.id) throw keyUnavailable();
    try {
      return createByokKeyProvider(await base.unwrap(tenantId, BYOK_MATERIAL_VERSION, row.wrappedMaterial));
    } catch {
      throw keyUnavailable();
    }
  };

  /** The provider that new versions (and re-wraps) use: the tenant's own material once set. */
  const currentKek = async (tx: Db, tenantId: string): Promise<KeyProvider> => (await byokProvider(tx, tenantId)) ?? base;

  const providerFor = async (tx: Db, tenantId: string, id: string): Promise<KeyProvider> => {
    if (id === base.id) return base;
    if (id === BYOK_PROVIDER_ID) {
      const byok = await byokProvider(tx, tenantId);
      if (byok) return byok;
    }
    throw keyUnavailable();
  };

  const unwrapRow = async (tx: Db, tenantId: string, row: KeyRow): Promise<TenantKey> => {
    if (row.status === 'revoked') throw keyUnavailable();
    const hit = cache.get(tenantId, row);
    if (hit) return hit;
    const provider = await providerFor(tx, tenantId, row.provider);
    let material: Buffer;
    try {
      material = await provider.unwrap(tenantId, row.version, row.wrappedKey);
    } catch {
      throw keyUnavailable();
    }
    if (material.length !== 64) throw keyUnavailable();
    const key = toKey(row.version, material);
    cache.set(tenantId, row, key);
    return key;
  };

  /** Unwraps every live version with the provider it was wrapped with, then wraps each with `target`. */
  const rewrapAll = async (tx: Db, tenantId: string, live: KeyRow[], target: () => Promise<KeyProvider>): Promise<number> => {
    const unwrapped = await Promise.all(live.map((row) => unwrapRow(tx, tenantId, row)));
    const provider = await target();
    for (const key of unwrapped) {
      const wrappedKey = await provider.wrap(tenantId, key.version, materialOf(key));
      await tx
        .update(tenantKeys)
        .set({ wrappedKey, provider: provider.id })
        .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.version, key.version)));
    }
    forget(tx, tenantId);
    return unwrapped.length;
  };

  const liveRows = async (tx: Db, tenantId: string): Promise<KeyRow[]> => {
    const rows = await lockRows(tx, tenantId);
    if (!rows.some((r) => r.status === 'active')) throw keyUnavailable();
    return rows.filter((r) => r.status !== 'revoked');
  };

  const service: KeyService = {
    rotateAfter,

    async createInitialKey(tx, tenantId) {
      const material = Buffer.concat([randomKey(), randomKey()]);
      const wrappedKey = await base.wrap(tenantId, 1, material);
      await tx.insert(tenantKeys).values({ tenantId, version: 1, provider: base.id, wrappedKey, status: 'active' });
      forget(tx, tenantId);
      return toKey(1, material);
    },

    async active(tx, tenantId) {
      const row = (await rowsOf(tx, tenantId)).find((r) => r.status === 'active');
      if (!row) throw keyUnavailable();
      return unwrapRow(tx, tenantId, row);
    },

    async reserve(tx, tenantId, count, { rollover = true } = {}) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const [row] = await tx
          .update(tenantKeys)
          .set({ encryptions: sql`${tenantKeys.encryptions} + ${count}` })
          .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.status, 'active')))
          .returning();
        // None: revoked, or (PostgreSQL) a concurrent rotation retired the row this statement waited on.
        if (!row) continue;
        if (rollover && row.encryptions > rotateAfter && row.encryptions - count > 0) {
          await service.rollover(tx, tenantId, 'threshold');
          continue;
        }
        return unwrapRow(tx, tenantId, row);
      }
      throw keyUnavailable();
    },

    async countEncryptions(tx, tenantId, version, count) {
      await tx
        .update(tenantKeys)
        .set({ encryptions: sql`${tenantKeys.encryptions} + ${count}` })
        .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.version, version)));
    },

    async version(tx, tenantId, version) {
      const row = (await rowsOf(tx, tenantId)).find((r) => r.version === version);
      if (!row) throw keyUnavailable();
      return unwrapRow(tx, tenantId, row);
    },

    async versions(tx, tenantId) {
      return (await rowsOf(tx, tenantId)).map((r) => ({
        version: r.version,
        status: r.status,
        provider: r.provider,
        encryptions: r.encryptions,
        createdAt: r.createdAt,
      }));
    },

    async kek(tx, tenantId) {
      const rows = await rowsOf(tx, tenantId);
      const [material] = await tx
        .select({ status: tenantKeyMaterial.status })
        .from(tenantKeyMaterial)
        .where(eq(tenantKeyMaterial.tenantId, tenantId))
        .limit(1);
      const revoked = material?.status === 'revoked' || !rows.some((r) => r.status === 'active');
      return { provider: material ? BYOK_PROVIDER_ID : base.id, byok: Boolean(material), revoked };
    },

    async rollover(tx, tenantId, reason) {
      const rows = await lockRows(tx, tenantId);
      const current = rows.find((r) => r.status === 'active');
      if (!current) throw keyUnavailable();
      const { indexKey } = await unwrapRow(tx, tenantId, current);
      const version = Math.max(...rows.map((r) => r.version)) + 1;
      const kek = await currentKek(tx, tenantId);
      const material = Buffer.concat([randomKey(), indexKey]);
      const wrappedKey = await kek.wrap(tenantId, version, material);
      const now = new Date();
      await tx
        .update(tenantKeys)
        .set({ status: 'retired' })
        .where(and(eq(tenantKeys.tenantId, tenantId), eq(tenantKeys.version, current.version)));
      await tx.insert(tenantKeys).values({ tenantId, version, provider: kek.id, wrappedKey, status: 'active' });
      await tx
        .update(tenantKeyRotations)
        .set({ status: 'superseded', updatedAt: now, finishedAt: now })
        .where(and(eq(tenantKeyRotations.tenantId, tenantId), eq(tenantKeyRotations.status, 'running')));
      const rotationId = newId();
      await tx.insert(tenantKeyRotations).values({ id: rotationId, tenantId, targetVersion: version, reason, status: 'running' });
      forget(tx, tenantId);
      return { key: toKey(version, material), rotationId };
    },

    async rewrap(tx, tenantId) {
      const live = await liveRows(tx, tenantId);
      return rewrapAll(tx, tenantId, live, () => currentKek(tx, tenantId));
    },

    async setMaterial(tx, tenantId, material) {
      if (material.length !== 32) throw new PactError(ErrorCode.BadUserInput, 'Key material must be 32 bytes.');
      const live = await liveRows(tx, tenantId);
      await tx.select().from(tenantKeyMaterial).where(eq(tenantKeyMaterial.tenantId, tenantId)).for('update');
      await rewrapAll(tx, tenantId, live, async () => {
        const wrappedMaterial = await base.wrap(tenantId, BYOK_MATERIAL_VERSION, material);
        await tx
          .insert(tenantKeyMaterial)
          .values({ tenantId, provider: base.id, wrappedMaterial, status: 'active' })
          .onConflictDoUpdate({
            target: tenantKeyMaterial.tenantId,
            set: { provider: base.id, wrappedMaterial, status: 'active', updatedAt: new Date() },
          });
        return createByokKeyProvider(material);
      });
    },

    async revoke(tx, tenantId) {
      const now = new Date();
      await lockRows(tx, tenantId);
      await tx.update(tenantKeys).set({ status: 'revoked', wrappedKey: Buffer.alloc(0) }).where(eq(tenantKeys.tenantId, tenantId));
      await tx
        .update(tenantKeyMaterial)
        .set({ status: 'revoked', wrappedMaterial: null, updatedAt: now })
        .where(eq(tenantKeyMaterial.tenantId, tenantId));
      await tx
        .update(tenantKeyRotations)
        .set({ status: 'aborted', updatedAt: now, finishedAt: now })
        .where(and(eq(tenantKeyRotations.tenantId, tenantId), eq(tenantKeyRotations.status, 'running')));
      forget(tx, tenantId);
      cache.evict(tenantId);
    },

    sealJson,
    openJson,
    blindIndex,
  };
  return service;
}
