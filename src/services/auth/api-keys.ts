import { and, desc, eq, getTableColumns, isNull } from 'drizzle-orm';
import { apiKeys } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import type { ServiceContext } from '../context';
import { requireId } from '../crm/paging';
import { requiredText } from '../crm/validate';
import { hashSecret, newApiKeySecret } from './authenticator';
import { API_KEY_SCOPES, type Scope } from './scopes';

export type ApiKeyRecord = Omit<typeof apiKeys.$inferSelect, 'secretHash'>;

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

function requireUser(ctx: ServiceContext): string {
  if (ctx.principal.kind !== 'user' || !ctx.principal.userId) {
    throw new PactError(ErrorCode.Forbidden, 'Only a signed-in owner or admin can manage API keys.');
  }
  return ctx.principal.userId;
}

export async function mintApiKey(
  ctx: ServiceContext,
  input: { name: string; scopes: readonly string[]; trustedDocumentsOnly?: boolean | null | undefined; isDemo?: boolean },
): Promise<MintedKey> {
  const userId = input.isDemo ? ctx.principal.userId : requireUser(ctx);
  const scopes = checkScopes(input.scopes);
  const secret = newApiKeySecret();
  const [row] = await ctx.tx
    .insert(apiKeys)
    .values({
      id: newId(),
      tenantId: ctx.principal.tenantId,
      name: requiredText(input.name, 'name', 100),
      prefix: secret.slice(0, 14),
      secretHash: hashSecret(secret),
      scopes,
      createdByUserId: userId,
      isDemo: input.isDemo ?? false,
      trustedDocumentsOnly: input.trustedDocumentsOnly ?? false,
    })
    .returning(publicColumns);
  if (!row) throw new Error('insert returned nothing');
  return { apiKey: row, secret };
}

export async function listApiKeys(ctx: ServiceContext, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
  requireUser(ctx);
  return ctx.tx
    .select(publicColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), includeRevoked ? undefined : isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyRecord> {
  requireUser(ctx);
  requireId(id);
  const [row] = await ctx.tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning(publicColumns);
  if (row) return row;
  const [already] = await ctx.tx
    .select(publicColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, ctx.principal.tenantId), eq(apiKeys.id, id)));
  if (!already) throw new PactError(ErrorCode.NotFound, 'API key not found.');
  return already;
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
