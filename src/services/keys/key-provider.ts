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
