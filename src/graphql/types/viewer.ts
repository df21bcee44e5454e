import type { Principal } from '../../services/auth/principal';
import { callerProfile } from '../../services/auth/users';
import { builder } from '../builder';
import { svc } from '../context';

interface ViewerTenantShape {
  id: string;
  slug: string;
  name: string;
  role: string;
}

const ViewerTenant = builder.objectRef<ViewerTenantShape>('ViewerTenant').implement({
  description: 'A tenant the signed-in user belongs to, with their role there.',
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    role: t.exposeString('role'),
  }),
});

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
    tenants: t.field({
      type: [ViewerTenant],
      description: "The signed-in user's tenants (send one as X-Tenant-ID); other callers see the tenant they act in.",
      resolve: (p) => p.tenants ?? [{ id: p.tenantId, slug: p.tenantSlug, name: p.tenantSlug, role: p.role }],
    }),
    displayName: t.string({
      nullable: true,
      description: "The signed-in user's display name; null for API keys.",
      resolve: async (_, __, ctx) => (await callerProfile(svc(ctx)))?.displayName ?? null,
    }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: Viewer, resolve: (_, __, ctx) => ctx.principal }));
