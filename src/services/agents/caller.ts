import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';

/** The person behind a call: the signed-in user, or the user who created the API key. */
export interface CallerPerson {
  userId: string | null;
  /** Their display name (null for an API key without a creator on file). */
  name: string | null;
  /** Their role in the tenant (owner, admin, manager, member), when they are still a member. */
  role: string | null;
  /** The workspace's name, for signatures. */
  tenantName: string;
}

/**
 * Who "I" and "my deals" mean for this call: a session or OAuth token's user; for an API key, the
 * user who created it (keys are no person). One read on the primary keys of api_keys, users and
 * memberships.
 */
export async function callerPerson(ctx: ServiceContext): Promise<CallerPerson> {
  const { principal } = ctx;
  const who =
    principal.kind === 'api_key' && principal.apiKeyId
      ? sql`(select created_by_user_id from api_keys where tenant_id = ${principal.tenantId} and id = ${principal.apiKeyId})`
      : sql`${principal.userId}::uuid`;
  const [row] = await ctx.database.rows<{ user_id: string | null; name: string | null; role: string | null; tenant_name: string }>(
    ctx.tx,
    sql`select u.id as user_id, u.display_name as name, m.role::text as role, t.name as tenant_name
        from tenants t
        left join users u on u.id = ${who}
        left join memberships m on m.tenant_id = t.id and m.user_id = u.id
        where t.id = ${principal.tenantId}`,
  );
  return { userId: row?.user_id ?? null, name: row?.name ?? null, role: row?.role ?? null, tenantName: row?.tenant_name ?? 'the team' };
}
