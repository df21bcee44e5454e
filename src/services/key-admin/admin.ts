import { decodeKey } from '../../config/env';
import { ErrorCode, badInput } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { contactsNotUnder, contactsPerKeyVersion, dropSearchTokens, forgetEmailFingerprints } from '../crm/contact-keys';
import { latestRotation, rotateWithin, type RotationRecord } from './rotation';
import type { KekInfo, KeyVersionInfo } from '../keys/tenant-keys';

/** Rows one `rotateEncryptionKey` call re-encrypts at most; the next call continues. */
export const ROTATION_ROWS_PER_CALL = 20_000;

/** A key version as the admin API shows it, with how many contacts it seals (computed on demand). */
export interface KeyVersionView extends KeyVersionInfo {
  sealedContacts: () => Promise<number>;
}

/** The tenant's keys as the admin API shows them; never key material. */
export interface KeyringView extends KekInfo {
  rotateAfter: number;
  versions: KeyVersionView[];
  rotation: RotationView | null;
}

export interface RotationView extends RotationRecord {
  /** Contacts not yet under the target version (computed on demand). */
  remaining: () => Promise<number>;
}

const rotationView = (ctx: ServiceContext, rotation: RotationRecord): RotationView => ({
  ...rotation,
  remaining: () => contactsNotUnder(ctx.tx, ctx.principal.tenantId, rotation.targetVersion),
});

/** The tenant's key-encryption key, versions, counters and latest rotation. */
export async function tenantKeyring(ctx: ServiceContext): Promise<KeyringView> {
  const tenantId = ctx.principal.tenantId;
  const [kek, versions, rotation] = await Promise.all([
    ctx.keys.kek(ctx.tx, tenantId),
    ctx.keys.versions(ctx.tx, tenantId),
    latestRotation(ctx.tx, tenantId),
  ]);
  let counts: Promise<Map<number, number>> | undefined;
  const perVersion = () => (counts ??= contactsPerKeyVersion(ctx.tx, tenantId));
  return {
    ...kek,
    rotateAfter: ctx.keys.rotateAfter,
    versions: versions.map((v) => ({ ...v, sealedContacts: async () => (await perVersion()).get(v.version) ?? 0 })),
    rotation: rotation ? rotationView(ctx, rotation) : null,
  };
}

/** Starts a rotation (or continues the running one) and re-encrypts up to `ROTATION_ROWS_PER_CALL` rows. */
export async function rotateEncryptionKey(ctx: ServiceContext): Promise<RotationView> {
  const rotation = await rotateWithin(ctx.tx, ctx.keys, ctx.principal.tenantId, { maxRows: ROTATION_ROWS_PER_CALL });
  return rotationView(ctx, rotation);
}

/** Decodes BYOK material: exactly 32 bytes, base64 (or base64url, or 64 hex characters) as for PACT_MASTER_KEY. */
export function decodeKeyMaterial(material: string): Buffer {
  const bytes = decodeKey(material);
  if (!bytes) throw badInput(ErrorCode.BadUserInput, '`material` must be 32 bytes, base64-encoded.', { field: 'material' });
  if (bytes.every((b) => b === bytes[0])) throw badInput(ErrorCode.BadUserInput, '`material` must be random bytes.', { field: 'material' });
  return bytes;
}

/** BYOK: the tenant's own material becomes its KEK; every live version is re-wrapped under it. */
export async function setTenantKeyMaterial(ctx: ServiceContext, material: string): Promise<KeyringView> {
  await ctx.keys.setMaterial(ctx.tx, ctx.principal.tenantId, decodeKeyMaterial(material));
  return tenantKeyring(ctx);
}

/**
 * Revokes the tenant's keys for good: PII can no longer be read or written, the search tokens (which
 * no query can reach any more) are deleted, and e-mail blind indexes become keyless pseudonyms, so
 * no fingerprint of an address outlives the key while consent keeps hiding what it hid.
 */
export async function revokeTenantKey(ctx: ServiceContext): Promise<KeyringView> {
  await ctx.keys.revoke(ctx.tx, ctx.principal.tenantId);
  await dropSearchTokens(ctx.tx, ctx.principal.tenantId);
  await forgetEmailFingerprints(ctx.tx, ctx.principal.tenantId);
  return tenantKeyring(ctx);
}
