import { grantMemberScope, listMembers, revokeMemberScope, type Member } from '../../services/auth/members';
import { ADMIN_ROLES, GRANTABLE_SCOPES } from '../../services/auth/scopes';
import { builder } from '../builder';
import { svc } from '../context';

const MemberRef = builder.objectRef<Member>('Member').implement({
  description: 'A person of the tenant: their role, the scopes given to them beyond it, and every scope they hold.',
  fields: (t) => ({
    userId: t.exposeID('userId'),
    email: t.exposeString('email'),
    displayName: t.exposeString('displayName'),
    role: t.exposeString('role', { description: 'owner, admin, manager or member.' }),
    extraScopes: t.exposeStringList('extraScopes', { description: `Scopes given beyond the role (any of ${GRANTABLE_SCOPES.join(', ')}).` }),
    scopes: t.exposeStringList('scopes', { description: 'Every scope the member holds in this tenant: the role’s and the given ones.' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
  }),
});

/** Owners and admins see and change who holds what. */
const memberAdmins = { roles: ADMIN_ROLES, roleAction: 'Managing members’ scopes' } as const;

builder.queryField('members', (t) =>
  t.field({
    type: [MemberRef],
    ...memberAdmins,
    description: "The tenant's members with their roles and scopes (owners and admins).",
    resolve: (_, __, ctx) => listMembers(svc(ctx)),
  }),
);

const scopeArgs = (t: Parameters<Parameters<typeof builder.mutationFields>[0]>[0]) => ({
  userId: t.arg.id({ required: true }),
  scope: t.arg.string({ required: true, description: `One of ${GRANTABLE_SCOPES.join(', ')}.` }),
});

builder.mutationFields((t) => ({
  grantMemberScope: t.field({
    type: MemberRef,
    ...memberAdmins,
    description:
      'Gives a member a read-only scope beyond their role: `read:audit` makes a read-only auditor (audit log and its verification), `read:usage` and `read:consent` show the ledger and the consent records. Takes effect on their next call.',
    args: scopeArgs(t),
    resolve: (_, args, ctx) => grantMemberScope(svc(ctx), String(args.userId), args.scope),
  }),
  revokeMemberScope: t.field({
    type: MemberRef,
    ...memberAdmins,
    description: 'Takes a given scope back from a member (their role’s scopes stay). Takes effect on their next call.',
    args: scopeArgs(t),
    resolve: (_, args, ctx) => revokeMemberScope(svc(ctx), String(args.userId), args.scope),
  }),
}));
