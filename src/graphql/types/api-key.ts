import { listApiKeys, mintApiKey, revokeApiKey, type ApiKeyRecord, type MintedKey } from '../../services/auth/api-keys';
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
    scopes: t.stringList({ required: true, description: 'Any of read:accounts, read:contacts, read:deals, read:workflows, write:crm, write:consent.' }),
    trustedDocumentsOnly: t.boolean({ description: 'Accept only persisted operations with this key.' }),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.field({
    type: [ApiKey],
    scope: 'admin:keys',
    args: { includeRevoked: t.arg.boolean() },
    resolve: (_, args, ctx) => listApiKeys(svc(ctx), args.includeRevoked ?? false),
  }),
);

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: MintedApiKey,
    scope: 'admin:keys',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_, args, ctx) => mintApiKey(svc(ctx), args.input),
  }),
  revokeApiKey: t.field({
    type: ApiKey,
    scope: 'admin:keys',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => revokeApiKey(svc(ctx), String(args.id)),
  }),
}));
