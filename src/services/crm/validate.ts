import { and, eq } from 'drizzle-orm';
import { memberships } from '../../db/schema';
import { ErrorCode, PactError } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { requireId } from '../input';


/** Checks that a user id is a member of the caller's tenant; returns it (or null). */
export async function assertMember(ctx: ServiceContext, userId: string | null | undefined): Promise<string | null> {
  if (userId === null || userId === undefined) return null;
  requireId(userId, 'ownerId');
  const [row] = await ctx.tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.tenantId, ctx.principal.tenantId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, '`ownerId` is not a member of this tenant.', { field: 'ownerId' });
  return userId;
}
