import { revokeTenantKey, rotateEncryptionKey, setTenantKeyMaterial, tenantKeyring, type KeyVersionView, type KeyringView, type RotationView } from '../../services/key-admin/admin';
import { builder } from '../builder';
import { svc } from '../context';

const KeyStatus = builder.enumType('TenantKeyStatus', {
  description: 'ACTIVE seals new data; RETIRED only decrypts; REVOKED is destroyed.',
  values: { ACTIVE: { value: 'active' }, RETIRED: { value: 'retired' }, REVOKED: { value: 'revoked' } } as const,
});

const RotationStatus = builder.enumType('KeyRotationStatus', {
  values: {
    RUNNING: { value: 'running', description: 'Re-encryption under way; call rotateEncryptionKey (or `npm run keys:rotate`) to continue.' },
    DONE: { value: 'done' },
    SUPERSEDED: { value: 'superseded', description: 'A newer rotation took over before this one finished.' },
    ABORTED: { value: 'aborted', description: 'The key was revoked.' },
  } as const,
});

const RotationReason = builder.enumType('KeyRotationReason', {
  values: {
    REQUESTED: { value: 'requested' },
    THRESHOLD: { value: 'threshold', description: 'A write found the active version past its seal threshold.' },
  } as const,
});

const TenantKeyVersion = builder.objectRef<KeyVersionView>('TenantKeyVersion').implement({
  description: "One version of the tenant's data key. Key material is never shown.",
  fields: (t) => ({
    version: t.exposeInt('version'),
    status: t.field({ type: KeyStatus, resolve: (v) => v.status }),
    provider: t.exposeString('provider', { description: 'What wraps it: `byok` (your material), `local`, or a KMS.' }),
    encryptions: t.exposeFloat('encryptions', { description: 'Seals made under this version (an upper bound).' }),
    sealedContacts: t.int({ description: 'Contacts whose PII is sealed under this version.', resolve: (v) => v.sealedContacts() }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const KeyRotation = builder.objectRef<RotationView>('KeyRotation').implement({
  description: 'A data-key rotation: a new version became active and older contacts are re-encrypted under it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    targetVersion: t.exposeInt('targetVersion'),
    reason: t.field({ type: RotationReason, resolve: (r) => r.reason }),
    status: t.field({ type: RotationStatus, resolve: (r) => r.status }),
    reencrypted: t.exposeFloat('reencrypted'),
    unreadable: t.exposeFloat('unreadable', { description: 'Rows whose ciphertext failed its integrity check; left as they are.' }),
    remaining: t.int({ description: 'Contacts not yet under the target version.', resolve: (r) => r.remaining() }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const TenantKeyring = builder.objectRef<KeyringView>('TenantKeyring').implement({
  description: "The tenant's envelope keys: the key-encryption key's provider, data-key versions and rotations.",
  fields: (t) => ({
    provider: t.exposeString('provider', { description: 'The key-encryption key: `byok` once you supplied material, else `local` or a KMS.' }),
    byok: t.exposeBoolean('byok'),
    revoked: t.exposeBoolean('revoked', { description: 'The keys were revoked: personal data can no longer be read or written.' }),
    rotateAfter: t.exposeFloat('rotateAfter', { description: 'Seals per version after which the next write starts a new version.' }),
    versions: t.field({ type: [TenantKeyVersion], resolve: (k) => k.versions }),
    rotation: t.field({ type: KeyRotation, nullable: true, description: 'The latest rotation.', resolve: (k) => k.rotation }),
  }),
});

builder.queryField('tenantKeys', (t) =>
  t.field({
    type: TenantKeyring,
    scope: 'admin:keys',
    description: "The tenant's encryption keys: versions, status, seal counters and providers (never key material).",
    resolve: (_, __, ctx) => tenantKeyring(svc(ctx)),
  }),
);

builder.mutationFields((t) => ({
  rotateEncryptionKey: t.field({
    type: KeyRotation,
    scope: 'admin:keys',
    description:
      'Starts a data-key rotation (a new active version; old versions keep decrypting) or continues the running one, re-encrypting up to 20,000 contacts per call. Call again while status is RUNNING.',
    resolve: (_, __, ctx) => rotateEncryptionKey(svc(ctx)),
  }),
  setTenantKeyMaterial: t.field({
    type: TenantKeyring,
    scope: 'admin:keys',
    description:
      "BYOK: your 32 random bytes (base64; pass them as a variable) become this tenant's key-encryption key, and every key version is re-wrapped under them. Stored only wrapped by the server's key.",
    args: { material: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => setTenantKeyMaterial(svc(ctx), args.material),
  }),
  revokeTenantKey: t.field({
    type: TenantKeyring,
    scope: 'admin:keys',
    description:
      "Revokes the tenant's keys for good: every version and your BYOK material are destroyed, so contact names, e-mails and phones can no longer be read or written. Everything else keeps working. Irreversible.",
    resolve: (_, __, ctx) => revokeTenantKey(svc(ctx)),
  }),
}));
