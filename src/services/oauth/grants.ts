import { InvalidGrantError, InvalidScopeError, InvalidTargetError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Database, Db } from '../../db/client';
import { memberships, oauthCodes, oauthRequests, oauthTokens, tenants } from '../../db/schema';
import { randomToken, sha256Hex } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import { OFFLINE_ACCESS } from './scopes';
import { ACCESS_TOKEN_PREFIX } from '../auth/authenticator';

export const REFRESH_TOKEN_PREFIX = 'pact_ort_';

/** Lifetimes in seconds. */
export interface GrantTtls {
  request: number;
  code: number;
  access: number;
  refresh: number;
}

export const DEFAULT_TTLS: GrantTtls = { request: 15 * 60, code: 5 * 60, access: 60 * 60, refresh: 30 * 24 * 3600 };

/** A validated authorization request awaiting the user's sign-in and consent. */
export interface PendingRequest {
  id: string;
  clientId: string;
  redirectUri: string;
  state: string | null;
  scopes: string[];
  codeChallenge: string;
  resource: string;
  userId: string | null;
}

export interface NewRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string;
  resource: string;
}

const hash = (secret: string) => sha256Hex(secret);
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);

/**
 * Authorization requests, codes and tokens. Codes are single use; a replayed code revokes what it
 * minted. Refresh tokens rotate: each use mints a new pair in the same family, and a rotated
 * refresh token presented again revokes the whole family (RFC 9700 §4.14).
 */
export function createGrantService(database: Database, ttls: GrantTtls = DEFAULT_TTLS) {
  const mintPair = async (
    tx: Db,
    grant: { familyId: string; clientId: string; userId: string; tenantId: string; scopes: string[]; resource: string },
  ): Promise<OAuthTokens> => {
    const access = `${ACCESS_TOKEN_PREFIX}${randomToken(32)}`;
    const refresh = grant.scopes.includes(OFFLINE_ACCESS) ? `${REFRESH_TOKEN_PREFIX}${randomToken(32)}` : null;
    const { familyId, clientId, userId, tenantId, scopes, resource } = grant;
    const row = (token: string, kind: 'access' | 'refresh', ttl: number) => ({
      id: newId(),
      tokenHash: hash(token),
      kind,
      expiresAt: inSeconds(ttl),
      familyId,
      clientId,
      userId,
      tenantId,
      scopes,
      resource,
    });
    await tx.insert(oauthTokens).values([row(access, 'access', ttls.access), ...(refresh ? [row(refresh, 'refresh', ttls.refresh)] : [])]);
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ttls.access,
      scope: grant.scopes.join(' '),
      ...(refresh ? { refresh_token: refresh } : {}),
    };
  };

  const revokeFamily = (tx: Db, familyId: string) =>
    tx.update(oauthTokens).set({ revokedAt: new Date() }).where(and(eq(oauthTokens.familyId, familyId), isNull(oauthTokens.revokedAt)));

  const isMember = async (tx: Db, userId: string, tenantId: string) => {
    const [row] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.userId, userId), eq(memberships.tenantId, tenantId)))
      .limit(1);
    return row !== undefined;
  };

  return {
    async createRequest(request: NewRequest): Promise<string> {
      const id = randomToken(24);
      await database.withSystem(async (tx) => {
        const stale = new Date(Date.now() - 24 * 3600 * 1000);
        await tx.delete(oauthRequests).where(lt(oauthRequests.expiresAt, stale));
        await tx.delete(oauthCodes).where(lt(oauthCodes.expiresAt, stale));
        await tx.insert(oauthRequests).values({ ...request, id, state: request.state ?? null, expiresAt: inSeconds(ttls.request) });
      });
      return id;
    },

    /** An open (undecided, unexpired) request, or null. */
    async request(id: string): Promise<PendingRequest | null> {
      if (id.length > 64) return null;
      const [row] = await database.readSystem((tx) =>
        tx
          .select()
          .from(oauthRequests)
          .where(and(eq(oauthRequests.id, id), isNull(oauthRequests.decidedAt), gt(oauthRequests.expiresAt, new Date())))
          .limit(1),
      );
      return row ?? null;
    },

    async attachUser(id: string, userId: string): Promise<void> {
      await database.withSystem((tx) => tx.update(oauthRequests).set({ userId }).where(eq(oauthRequests.id, id)));
    },

    /** Closes a request; false when it was already decided (a double submit). */
    async decide(id: string): Promise<boolean> {
      const rows = await database.withSystem((tx) =>
        tx
          .update(oauthRequests)
          .set({ decidedAt: new Date() })
          .where(and(eq(oauthRequests.id, id), isNull(oauthRequests.decidedAt)))
          .returning({ id: oauthRequests.id }),
      );
      return rows.length === 1;
    },

    /** Issues a code for an approved request, bound to the chosen tenant and the granted scopes. */
    async issueCode(request: PendingRequest, userId: string, tenantId: string, scopes: string[]): Promise<string> {
      const code = randomToken(32);
      await database.withSystem((tx) =>
        tx.insert(oauthCodes).values({
          codeHash: hash(code),
          clientId: request.clientId,
          userId,
          tenantId,
          redirectUri: request.redirectUri,
          scopes,
          codeChallenge: request.codeChallenge,
          resource: request.resource,
          familyId: newId(),
          expiresAt: inSeconds(ttls.code),
        }),
      );
      return code;
    },

    /** The PKCE challenge of an unused, unexpired code of this client. */
    async challengeFor(clientId: string, code: string): Promise<string> {
      const [row] = await database.readSystem((tx) =>
        tx.select().from(oauthCodes).where(eq(oauthCodes.codeHash, hash(code))).limit(1),
      );
      if (!row || row.clientId !== clientId) throw new InvalidGrantError('Unknown authorization code.');
      return row.codeChallenge;
    },

    async exchangeCode(clientId: string, code: string, redirectUri: string | undefined, resource: string | undefined): Promise<OAuthTokens> {
      const result = await database.withSystem(async (tx) => {
        const [row] = await tx.select().from(oauthCodes).where(eq(oauthCodes.codeHash, hash(code))).for('update').limit(1);
        if (!row || row.clientId !== clientId) return new InvalidGrantError('Unknown authorization code.');
        if (row.usedAt) {
          await revokeFamily(tx, row.familyId);
          return new InvalidGrantError('This authorization code was already used; the tokens it issued are revoked.');
        }
        if (row.expiresAt <= new Date()) return new InvalidGrantError('The authorization code has expired; authorize again.');
        if (redirectUri !== undefined && redirectUri !== row.redirectUri) return new InvalidGrantError('redirect_uri does not match the authorization request.');
        if (resource !== undefined && resource !== row.resource) return new InvalidTargetError(`The code was issued for ${row.resource}, not ${resource}.`);
        await tx.update(oauthCodes).set({ usedAt: new Date() }).where(eq(oauthCodes.codeHash, row.codeHash));
        if (!(await isMember(tx, row.userId, row.tenantId))) return new InvalidGrantError('The user no longer belongs to the tenant.');
        return mintPair(tx, row);
      });
      if (result instanceof Error) throw result;
      return result;
    },

    async refresh(clientId: string, token: string, scopes: string[] | undefined, resource: string | undefined): Promise<OAuthTokens> {
      const result = await database.withSystem(async (tx) => {
        const [row] = await tx.select().from(oauthTokens).where(eq(oauthTokens.tokenHash, hash(token))).for('update').limit(1);
        if (!row || row.kind !== 'refresh' || row.clientId !== clientId) return new InvalidGrantError('Unknown refresh token.');
        if (row.revokedAt) return new InvalidGrantError('The refresh token has been revoked; sign in again.');
        if (row.usedAt) {
          await revokeFamily(tx, row.familyId);
          return new InvalidGrantError('This refresh token was already used (rotated); every token of this grant is now revoked: sign in again.');
        }
        if (row.expiresAt <= new Date()) return new InvalidGrantError('The refresh token has expired; sign in again.');
        if (resource !== undefined && resource !== row.resource) return new InvalidTargetError(`The grant is for ${row.resource}, not ${resource}.`);
        const wider = scopes?.find((s) => !row.scopes.includes(s));
        if (wider) return new InvalidScopeError(`Scope ${wider} was not granted; request at most: ${row.scopes.join(' ')}.`);
        await tx.update(oauthTokens).set({ usedAt: new Date() }).where(eq(oauthTokens.id, row.id));
        if (!(await isMember(tx, row.userId, row.tenantId))) return new InvalidGrantError('The user no longer belongs to the tenant.');
        const granted = scopes && scopes.length > 0 ? [...new Set([...scopes, OFFLINE_ACCESS])] : row.scopes;
        return mintPair(tx, { ...row, scopes: granted });
      });
      if (result instanceof Error) throw result;
      return result;
    },

    /** RFC 7009: revokes a client's token; a refresh token takes its whole family with it. Unknown tokens are ignored. */
    async revoke(clientId: string, token: string): Promise<void> {
      await database.withSystem(async (tx) => {
        const [row] = await tx.select().from(oauthTokens).where(eq(oauthTokens.tokenHash, hash(token))).limit(1);
        if (!row || row.clientId !== clientId) return;
        if (row.kind === 'refresh') await revokeFamily(tx, row.familyId);
        else await tx.update(oauthTokens).set({ revokedAt: new Date() }).where(eq(oauthTokens.id, row.id));
      });
    },

    /** An access token's grant, for the authenticator: null when unknown. */
    async accessToken(token: string) {
      const [row] = await database.readSystem((tx) =>
        tx
          .select({ token: oauthTokens, tenantSlug: tenants.slug, role: memberships.role, extraScopes: memberships.extraScopes })
          .from(oauthTokens)
          .innerJoin(tenants, eq(tenants.id, oauthTokens.tenantId))
          .leftJoin(memberships, and(eq(memberships.tenantId, oauthTokens.tenantId), eq(memberships.userId, oauthTokens.userId)))
          .where(and(eq(oauthTokens.tokenHash, hash(token)), eq(oauthTokens.kind, 'access')))
          .limit(1),
      );
      return row ?? null;
    },
  };
}

export type GrantService = ReturnType<typeof createGrantService>;
