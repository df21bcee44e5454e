import type { Principal } from '../../services/auth/principal';
import { callerProfile } from '../../services/auth/users';
import { builder } from '../builder';
import { svc } from '../context';

const Viewer = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the caller is: tenant, role and scopes.',
  fields: (t) => ({
    tenantId: t.exposeID('tenantId'),
    tenantSlug: t.exposeString('tenantSlug'),
    role: t.exposeString('role', { description: 'owner, admin, manager, member, or api for API keys.' }),
    scopes: t.stringList({ resolve: (p) => [...p.scopes].sort() }),
    userId: t.exposeID('userId', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
    email: t.string({
      nullable: true,
      description: "The signed-in user's e-mail; null for API keys.",
      resolve: async (_, __, ctx) => (await callerProfile(svc(ctx)))?.email ?? null,
    }),
    displayName: t.string({
      nullable: true,
      description: "The signed-in user's display name; null for API keys.",
      resolve: async (_, __, ctx) => (await callerProfile(svc(ctx)))?.displayName ?? null,
    }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: Viewer, resolve: (_, __, ctx) => ctx.principal }));
