import { listApiKeys, mintApiKey, revokeApiKey, type ApiKeyRecord, type MintedKey } from '../../services/auth/api-keys';
import { MEMBER_ROLES } from '../../services/auth/scopes';
import { builder } from '../builder';
import { svc } from '../context';

const ApiKey = builder.objectRef<ApiKeyRecord>('ApiKey').implement({
  description: 'A scoped API key (role `api`). The secret is shown only once, when minted.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the secret, to recognise it.' }),
    scopes: t.exposeStringList('scopes'),
    trustedDocumentsOnly: t.exposeBoolean('trustedDocumentsOnly'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    createdByUserId: t.exposeID('createdByUserId', { nullable: true, description: 'Who minted it; null for the demo key.' }),
    createdByEmail: t.exposeString('createdByEmail', { nullable: true, description: 'The e-mail of who minted it.' }),
  }),
});

const MintedApiKey = builder.objectRef<MintedKey>('MintedApiKey').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, resolve: (m) => m.apiKey }),
    secret: t.exposeString('secret', { description: 'The `pact_live_…` secret. Store it now: it is never shown again.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.stringList({
      required: true,
      description:
        'Any of read:accounts, read:contacts, read:deals, read:workflows, write:crm, write:consent, check:consent that the caller holds itself.',
    }),
    trustedDocumentsOnly: t.boolean({ description: 'Accept only persisted operations with this key.' }),
  }),
});

/** Signed-in people manage keys (owners and admins every key, others their own); an API key never does. */
const keyManagers = { roles: MEMBER_ROLES, roleAction: 'Managing API keys' } as const;

builder.queryField('apiKeys', (t) =>
  t.field({
    type: [ApiKey],
    ...keyManagers,
    description: 'Every key of the tenant for owners and admins; the keys the caller minted for managers and members.',
    args: { includeRevoked: t.arg.boolean() },
    resolve: (_, args, ctx) => listApiKeys(svc(ctx), args.includeRevoked ?? false),
  }),
);

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: MintedApiKey,
    ...keyManagers,
    description: "Mints a key with scopes no wider than the caller's own.",
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_, args, ctx) => mintApiKey(svc(ctx), args.input),
  }),
  revokeApiKey: t.field({
    type: ApiKey,
    ...keyManagers,
    description: "Revokes a key at once, on every instance. Managers and members revoke only their own keys.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => revokeApiKey(svc(ctx), String(args.id)),
  }),
}));
