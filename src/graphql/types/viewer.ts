import type { Principal } from '../../services/auth/principal';
import { builder } from '../builder';

const Viewer = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the caller is: tenant, role and scopes.',
  fields: (t) => ({
    tenantId: t.exposeID('tenantId'),
    tenantSlug: t.exposeString('tenantSlug'),
    role: t.exposeString('role', { description: 'owner, admin, manager, member, or api for API keys.' }),
    scopes: t.stringList({ resolve: (p) => [...p.scopes].sort() }),
    userId: t.exposeID('userId', { nullable: true }),
    apiKeyId: t.exposeID('apiKeyId', { nullable: true }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: Viewer, resolve: (_, __, ctx) => ctx.principal }));
