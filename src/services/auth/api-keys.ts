import { and, desc, eq, getTableColumns, isNull } from 'drizzle-orm';
import { apiKeys, users } from '../../db/schema';
import { ErrorCode, PactError, badInput, forbiddenRole } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { requireId } from '../input';
import { requiredText } from '../input';
import { hashSecret, newApiKeySecret } from './authenticator';
import { API_KEY_SCOPES, ADMIN_ROLES, MEMBER_ROLES, ROLE_SCOPES, type Role, type Scope } from './scopes';

export type ApiKeyRecord = Omit<typeof apiKeys.$inferSelect, 'secretHash'> & {
  /** The e-mail of the user who minted it; null for the demo key or a deleted user. */
  createdByEmail: string | null;
};

export interface MintedKey {
  apiKey: ApiKeyRecord;
  /** The `pact_live_…` secret; shown once, never stored. */
  secret: string;
}

const { secretHash: _omit, ...publicColumns } = getTableColumns(apiKeys);

function checkScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0) throw badInput(ErrorCode.BadUserInput, 'An API key needs at least one scope.', { field: 'scopes' });
  const bad = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (bad.length > 0) {
    throw badInput(ErrorCode.BadUserInput, `Unknown or disallowed scope(s): ${bad.join(', ')}. Allowed: ${API_KEY_SCOPES.join(', ')}.`, {
      field: 'scopes',
    });
  }
  return [...new Set(scopes)] as Scope[];
}

/** People signed in with a session manage keys; an API key never does (the schema refuses role `api` first), nor a delegated token. */
function requireUser(ctx: ServiceContext): string {
  const { principal } = ctx;
  if (principal.role === 'api') throw forbiddenRole('Managing API keys', MEMBER_ROLES, principal.role);
  if (principal.kind !== 'user' || !principal.userId) {
    throw new PactError(ErrorCode.Forbidden, 'Managing API keys needs a signed-in session (`pact login` or the console), not a delegated access token.');
  }
  return principal.userId;
}

/** Owners and admins manage every key of the tenant; managers and members only the keys they minted. */
const managesAllKeys = (role: Role): boolean => (ADMIN_ROLES as readonly Role[]).includes(role);

/** A key may carry only scopes its minter holds: the roles that hold all of `scopes`. */
const rolesHolding = (scopes: readonly Scope[]) => MEMBER_ROLES.filter((role) => scopes.every((s) => ROLE_SCOPES[role].includes(s)));

const selectKeys = (ctx: ServiceContext) =>
  ctx.tx
    .select({ ...publicColumns, createdByEmail: users.email })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdByUserId));

async function findKey(ctx: ServiceContext, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await selectKeys(ctx).where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), eq(apiKeys.id, id)));
  return row;
}

export async function mintApiKey(
  ctx: ServiceContext,
  input: { name: string; scopes: readonly string[]; trustedDocumentsOnly?: boolean | null | undefined; isDemo?: boolean },
): Promise<MintedKey> {
  const userId = input.isDemo ? ctx.principal.userId : requireUser(ctx);
  const scopes = checkScopes(input.scopes);
  if (!input.isDemo) {
    const wider = scopes.filter((s) => !ctx.principal.scopes.has(s));
    if (wider.length > 0) {
      throw forbiddenRole(`Minting a key with ${wider.join(', ')}`, rolesHolding(wider), ctx.principal.role);
    }
  }
  const secret = newApiKeySecret();
  const id = newId();
  await ctx.tx.insert(apiKeys).values({
    id,
    tenantId: ctx.principal.tenantId,
    name: requiredText(input.name, 'name', 100),
    prefix: secret.slice(0, 14),
    secretHash: hashSecret(secret),
    scopes,
    createdByUserId: userId,
    isDemo: input.isDemo ?? false,
    trustedDocumentsOnly: input.trustedDocumentsOnly ?? false,
  });
  const row = await findKey(ctx, id);
  if (!row) throw new Error('inserted key not found');
  return { apiKey: row, secret };
}

/** The tenant's keys for owners and admins; the caller's own keys for managers and members. */
export async function listApiKeys(ctx: ServiceContext, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
  const userId = requireUser(ctx);
  return selectKeys(ctx)
    .where(
      and(
        eq(apiKeys.tenantId, ctx.principal.tenantId),
        managesAllKeys(ctx.principal.role) ? undefined : eq(apiKeys.createdByUserId, userId),
        includeRevoked ? undefined : isNull(apiKeys.revokedAt),
      ),
    )
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** Revokes a key (idempotent: an already revoked key is returned as it is). */
export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyRecord> {
  const userId = requireUser(ctx);
  requireId(id);
  const key = await findKey(ctx, id);
  if (!key) throw new PactError(ErrorCode.NotFound, 'API key not found.');
  if (key.createdByUserId !== userId && !managesAllKeys(ctx.principal.role)) {
    throw forbiddenRole("Revoking another user's API key", ADMIN_ROLES, ctx.principal.role);
  }
  if (key.revokedAt) return key;
  const [row] = await ctx.tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ revokedAt: apiKeys.revokedAt });
  return { ...key, revokedAt: row?.revokedAt ?? (await findKey(ctx, id))?.revokedAt ?? null };
}

/** Revokes every live demo key of the tenant (each `npm start` mints a fresh one). */
export async function revokeDemoKeys(ctx: ServiceContext): Promise<number> {
  const rows = await ctx.tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), eq(apiKeys.isDemo, true), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length;
}
