import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Database, Db } from '../../db/client';
import { compileSelect } from '../../db/compiled';
import { apiKeys, memberships, type oauthTokens, tenants, userSessions, users } from '../../db/schema';
import { randomToken, sha256Hex } from '../../lib/crypto';
import { ErrorCode, PactError, unauthenticated } from '../../lib/errors';
import { newId, isUuid } from '../../lib/ids';
import type { CallPath, Principal } from './principal';
import { isScope, memberScopes, type MemberRole } from './scopes';

export const API_KEY_PREFIX = 'pact_live_';
export const SESSION_PREFIX = 'pact_sess_';
/** OAuth access tokens (issued by `services/oauth`). */
export const ACCESS_TOKEN_PREFIX = 'pact_oat_';

/** An OAuth access token's grant as the authorization server stores it (`services/oauth` provides the look-up). */
export interface AccessTokenLookup {
  accessToken(
    token: string,
  ): Promise<{ token: typeof oauthTokens.$inferSelect; tenantSlug: string; role: MemberRole | null; extraScopes: string[] | null } | null>;
}
export const SESSION_COOKIE = 'pact_session';
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

/** What a request presents; the HTTP layer extracts it, the MCP layer too. */
export interface Credentials {
  bearer: string | null;
  sessionCookie: string | null;
  /** `X-Tenant-ID`: a tenant id or slug. */
  tenant: string | null;
}

export interface SignInResult {
  token: string;
  userId: string;
  expiresAt: Date;
  tenants: { id: string; slug: string; name: string; role: MemberRole; extraScopes: string[] }[];
}

export interface Authenticator {
  /** Resolves credentials to a principal, or throws UNAUTHENTICATED / TENANT_REQUIRED / UNKNOWN_TENANT. */
  authenticate(credentials: Credentials, path: CallPath): Promise<Principal>;
  signIn(email: string, password: string, kind: 'browser' | 'token'): Promise<SignInResult>;
  signOut(token: string): Promise<void>;
  /** The signed-in user behind a live session token and their tenants, or null. */
  session(token: string): Promise<SessionUser | null>;
}

export interface SessionUser {
  userId: string;
  email: string;
  displayName: string;
  tenants: SignInResult['tenants'];
}

export const hashSecret = (secret: string): string => sha256Hex(secret);
export const hashPassword = (password: string): Promise<string> => argonHash(password);
export const newApiKeySecret = (): string => `${API_KEY_PREFIX}${randomToken(24)}`;

const dummyHash = argonHash('pact-timing-equaliser');

/** A user's tenants and role in each, by tenant name. */
const tenantsOf = (tx: Db, userId: string): Promise<SignInResult['tenants']> =>
  tx
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role, extraScopes: memberships.extraScopes })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(tenants.name);
const keyRevoked = () =>
  new PactError(ErrorCode.Unauthenticated, 'This API key has been revoked.', { reason: 'KEY_REVOKED' });

const KEY_BY_SECRET = compileSelect((db) =>
  db
    .select({ key: apiKeys, tenantSlug: tenants.slug })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(eq(apiKeys.secretHash, sql.placeholder('secretHash')))
    .limit(1),
);

export function createAuthenticator(database: Database, grants: AccessTokenLookup): Authenticator {
  const fromApiKey = async (secret: string, tenantHint: string | null, path: CallPath): Promise<Principal> => {
    const found = await database.readSystem(async (tx) => (await KEY_BY_SECRET.run(tx, { secretHash: hashSecret(secret) }))[0]);
    if (!found) throw unauthenticated('Invalid API key.');
    const { key, tenantSlug } = found;
    if (key.revokedAt) throw keyRevoked();
    if (tenantHint && tenantHint !== key.tenantId && tenantHint !== tenantSlug) {
      throw new PactError(ErrorCode.UnknownTenant, 'This API key does not belong to the tenant named in X-Tenant-ID.');
    }
    return {
      kind: 'api_key',
      tenantId: key.tenantId,
      tenantSlug,
      userId: null,
      apiKeyId: key.id,
      role: 'api',
      scopes: new Set(key.scopes.filter(isScope)),
      client: key.name,
      path,
      trustedDocumentsOnly: key.trustedDocumentsOnly,
    };
  };

  const fromSession = async (token: string, tenantHint: string | null, path: CallPath): Promise<Principal> => {
    const now = new Date();
    const result = await database.readSystem(async (tx) => {
      const [session] = await tx
        .select({ userId: userSessions.userId, kind: userSessions.kind })
        .from(userSessions)
        .where(
          and(eq(userSessions.tokenHash, hashSecret(token)), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now)),
        )
        .limit(1);
      if (!session) return null;
      const rows = await tx
        .select({ tenantId: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role, extraScopes: memberships.extraScopes })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .where(eq(memberships.userId, session.userId))
        .orderBy(tenants.name);
      return { session, rows };
    });
    if (!result) throw unauthenticated('Session expired or signed out; sign in again.');
    const { session, rows } = result;
    let membership = rows[0];
    if (tenantHint) {
      membership = rows.find((m) => m.tenantId === tenantHint || m.slug === tenantHint);
      if (!membership) throw new PactError(ErrorCode.UnknownTenant, `Unknown tenant '${tenantHint}' for this user.`);
    } else if (rows.length > 1) {
      throw new PactError(ErrorCode.TenantRequired, 'This user belongs to several tenants: set X-Tenant-ID.', {
        tenants: rows.map((m) => m.slug),
      });
    }
    if (!membership) throw new PactError(ErrorCode.UnknownTenant, 'This user belongs to no tenant.');
    return {
      kind: 'user',
      tenantId: membership.tenantId,
      tenantSlug: membership.slug,
      userId: session.userId,
      apiKeyId: null,
      role: membership.role,
      scopes: memberScopes(membership.role, membership.extraScopes),
      client: session.kind === 'browser' ? 'console' : 'session-token',
      path,
      trustedDocumentsOnly: false,
      tenants: rows.map((m) => ({ id: m.tenantId, slug: m.slug, name: m.name, role: m.role })),
    };
  };

  const fromOAuth = async (token: string, tenantHint: string | null, path: CallPath): Promise<Principal> => {
    const found = await grants.accessToken(token);
    if (!found) throw unauthenticated('Invalid access token.');
    const { token: row, tenantSlug, role, extraScopes } = found;
    if (row.revokedAt) throw new PactError(ErrorCode.Unauthenticated, 'This access token has been revoked; sign in again.', { reason: 'TOKEN_REVOKED' });
    if (row.expiresAt <= new Date()) {
      throw new PactError(ErrorCode.Unauthenticated, 'This access token has expired; refresh it or sign in again.', { reason: 'TOKEN_EXPIRED' });
    }
    if (!role) throw new PactError(ErrorCode.Unauthenticated, 'The user no longer belongs to this tenant.', { reason: 'MEMBERSHIP_ENDED' });
    if (tenantHint && tenantHint !== row.tenantId && tenantHint !== tenantSlug) {
      throw new PactError(ErrorCode.UnknownTenant, 'This access token was issued for another tenant than the one named in X-Tenant-ID.');
    }
    const held: ReadonlySet<string> = memberScopes(role, extraScopes ?? []);
    return {
      kind: 'oauth',
      tenantId: row.tenantId,
      tenantSlug,
      userId: row.userId,
      apiKeyId: null,
      role,
      scopes: new Set(row.scopes.filter(isScope).filter((s) => held.has(s))),
      client: `oauth:${row.clientId}`,
      path,
      trustedDocumentsOnly: false,
      resource: row.resource,
    };
  };

  return {
    async authenticate(credentials, path) {
      const hint = credentials.tenant?.trim() || null;
      if (hint !== null && !isUuid(hint) && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(hint)) {
        throw new PactError(ErrorCode.UnknownTenant, 'X-Tenant-ID must be a tenant id or slug.');
      }
      const bearer = credentials.bearer;
      if (bearer?.startsWith(API_KEY_PREFIX)) return fromApiKey(bearer, hint, path);
      if (bearer?.startsWith(SESSION_PREFIX)) return fromSession(bearer, hint, path);
      if (bearer?.startsWith(ACCESS_TOKEN_PREFIX)) return fromOAuth(bearer, hint, path);
      if (bearer) throw unauthenticated('Unrecognised bearer token: expected an OAuth access token, a pact_live_ API key or a pact_sess_ session token.');
      if (credentials.sessionCookie) return fromSession(credentials.sessionCookie, hint, 'ui');
      throw unauthenticated('Authentication required: send Authorization: Bearer <pact_live_… API key>.');
    },

    async signIn(email, password, kind) {
      const normalised = email.trim().toLowerCase();
      const user = await database.withSystem(async (tx) => {
        const [row] = await tx.select().from(users).where(eq(users.email, normalised)).limit(1);
        return row;
      });
      const ok = user ? await argonVerify(user.passwordHash, password) : (await argonVerify(await dummyHash, password), false);
      if (!user || !ok) throw unauthenticated('E-mail or password is incorrect.');
      const token = `${SESSION_PREFIX}${randomToken(32)}`;
      const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
      const tenantRows = await database.withSystem(async (tx) => {
        await tx.insert(userSessions).values({ id: newId(), userId: user.id, tokenHash: hashSecret(token), kind, expiresAt });
        return tenantsOf(tx, user.id);
      });
      return { token, userId: user.id, expiresAt, tenants: tenantRows };
    },

    async session(token) {
      return database.readSystem(async (tx) => {
        const [user] = await tx
          .select({ userId: users.id, email: users.email, displayName: users.displayName })
          .from(userSessions)
          .innerJoin(users, eq(users.id, userSessions.userId))
          .where(and(eq(userSessions.tokenHash, hashSecret(token)), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, new Date())))
          .limit(1);
        if (!user) return null;
        return { ...user, tenants: await tenantsOf(tx, user.userId) };
      });
    },

    async signOut(token) {
      await database.withSystem((tx) =>
        tx
          .update(userSessions)
          .set({ revokedAt: new Date() })
          .where(and(eq(userSessions.tokenHash, hashSecret(token)), or(isNull(userSessions.revokedAt)))),
      );
    },
  };
}
