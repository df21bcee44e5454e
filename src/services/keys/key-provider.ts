import { deriveKey, open, seal } from '../../lib/crypto';

/**
 * Wraps and unwraps a tenant's data keys with the tenant's key-encryption key. An external KMS
 * implements the same interface; the key never leaves it.
 */
export interface KeyProvider {
  readonly id: string;
  wrap(tenantId: string, version: number, dataKey: Buffer): Promise<Buffer>;
  unwrap(tenantId: string, version: number, wrapped: Buffer): Promise<Buffer>;
}

/**
 * The `version` under which the local (or KMS) provider wraps a tenant's own BYOK material. Data-key
 * versions start at 1, so the associated data of the two never coincide.
 */
export const BYOK_MATERIAL_VERSION = 0;

/** The provider id recorded on data-key versions wrapped by a tenant's own material. */
export const BYOK_PROVIDER_ID = 'byok';

const aad = (tenantId: string, version: number) => `pact:kek:v1|${tenantId}|${version}`;

/** Local provider: each tenant's KEK is derived from `PACT_MASTER_KEY` with HKDF. */
export function createLocalKeyProvider(masterKey: Buffer): KeyProvider {
  const kek = (tenantId: string) => deriveKey(masterKey, `pact/kek/${tenantId}`);
  return {
    id: 'local',
    wrap: async (tenantId, version, dataKey) => seal(kek(tenantId), dataKey, aad(tenantId, version)),
    unwrap: async (tenantId, version, wrapped) => open(kek(tenantId), wrapped, aad(tenantId, version)),
  };
}

/** BYOK provider: the tenant's own 32 bytes are its KEK (AES-256-GCM, tenant and version as associated data). */
export function createByokKeyProvider(material: Buffer): KeyProvider {
  if (material.length !== 32) throw new Error('BYOK material must be 32 bytes');
  return {
    id: BYOK_PROVIDER_ID,
    wrap: async (tenantId, version, dataKey) => seal(material, dataKey, aad(tenantId, version)),
    unwrap: async (tenantId, version, wrapped) => open(material, wrapped, aad(tenantId, version)),
  };
}
