import { and, asc, eq, sql } from 'drizzle-orm';
import { memberships, users } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { record, type ServiceContext } from '../context';
import { requireId } from '../input';
import { GRANTABLE_SCOPES, ROLE_SCOPES, memberScopes, type MemberRole, type Scope } from './scopes';

/** A person of the tenant: role, the scopes given beyond it, and every scope they hold. */
export interface Member {
  userId: string;
  email: string;
  displayName: string;
  role: MemberRole;
  extraScopes: Scope[];
  scopes: Scope[];
  joinedAt: Date;
}

type Row = Omit<Member, 'scopes' | 'extraScopes'> & { extraScopes: string[] };

const toMember = (row: Row): Member => {
  const held = memberScopes(row.role, row.extraScopes);
  return {
    ...row,
    extraScopes: GRANTABLE_SCOPES.filter((s) => row.extraScopes.includes(s)),
    scopes: [...held].sort(),
  };
};

const selectMembers = (ctx: ServiceContext) =>
  ctx.tx
    .select({
      userId: memberships.userId,
      email: users.email,
      displayName: users.displayName,
      role: memberships.role,
      extraScopes: memberships.extraScopes,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId));

/** Every member of the caller's tenant, by e-mail. */
export async function listMembers(ctx: ServiceContext): Promise<Member[]> {
  const rows = await selectMembers(ctx).where(eq(memberships.tenantId, ctx.principal.tenantId)).orderBy(asc(users.email));
  record(ctx, rows.length);
  return rows.map(toMember);
}

function grantable(scope: string): Scope {
  const found = GRANTABLE_SCOPES.find((s) => s === scope);
  if (!found) {
    throw badInput(ErrorCode.BadUserInput, `Scope '${scope}' cannot be given to a member; grantable scopes: ${GRANTABLE_SCOPES.join(', ')}.`, { field: 'scope' });
  }
  return found;
}

async function findMember(ctx: ServiceContext, userId: string): Promise<Row> {
  requireId(userId, 'userId');
  const [row] = await selectMembers(ctx).where(and(eq(memberships.tenantId, ctx.principal.tenantId), eq(memberships.userId, userId)));
  if (!row) throw new PactError(ErrorCode.NotFound, 'No member of this tenant has this user id.');
  return row;
}

/**
 * Gives a member a scope beyond their role (`read:audit` makes a read-only auditor). A scope the
 * role already holds is refused (CONFLICT: nothing to give); giving it twice changes nothing.
 */
export async function grantMemberScope(ctx: ServiceContext, userId: string, scope: string): Promise<Member> {
  const wanted = grantable(scope);
  const member = await findMember(ctx, userId);
  if (ROLE_SCOPES[member.role].includes(wanted)) {
    throw new PactError(ErrorCode.Conflict, `A${member.role === 'owner' || member.role === 'admin' ? 'n' : ''} ${member.role} already holds ${wanted} by role.`, { field: 'scope' });
  }
  if (member.extraScopes.includes(wanted)) return toMember(member);
  const [updated] = await ctx.tx
    .update(memberships)
    .set({ extraScopes: sql`array_append(${memberships.extraScopes}, ${wanted})` })
    .where(and(eq(memberships.tenantId, ctx.principal.tenantId), eq(memberships.userId, member.userId)))
    .returning({ extraScopes: memberships.extraScopes });
  return toMember({ ...member, extraScopes: updated?.extraScopes ?? [...member.extraScopes, wanted] });
}

/** Takes a given scope back (the role's own scopes are not touched); revoking one not given changes nothing. */
export async function revokeMemberScope(ctx: ServiceContext, userId: string, scope: string): Promise<Member> {
  const wanted = grantable(scope);
  const member = await findMember(ctx, userId);
  if (!member.extraScopes.includes(wanted)) return toMember(member);
  const [updated] = await ctx.tx
    .update(memberships)
    .set({ extraScopes: sql`array_remove(${memberships.extraScopes}, ${wanted})` })
    .where(and(eq(memberships.tenantId, ctx.principal.tenantId), eq(memberships.userId, member.userId)))
    .returning({ extraScopes: memberships.extraScopes });
  return toMember({ ...member, extraScopes: updated?.extraScopes ?? member.extraScopes.filter((s) => s !== wanted) });
}
