import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { oauthClients } from '../../db/schema';
import { open, seal } from '../../lib/crypto';
import { OAUTH_SCOPES } from './scopes';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
const AUTH_METHODS = new Set(['none', 'client_secret_post', 'client_secret_basic']);

/** Why a redirect URI may not be registered, or null when it may: https anywhere, http on loopback only. */
export function redirectUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI "${uri}" is not an absolute URL`;
  }
  if (url.hash) return `redirect URI "${uri}" must not contain a fragment`;
  if (url.username || url.password) return `redirect URI "${uri}" must not contain credentials`;
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? null
      : `redirect URI "${uri}" uses http on a non-loopback host: use https, or http on localhost, 127.0.0.1 or [::1]`;
  }
  return `redirect URI "${uri}" uses the ${url.protocol.replace(/:$/, '')} scheme: only https, or http on a loopback host, is allowed`;
}

const aad = (clientId: string) => `pact:oauth-client-secret:v1|${clientId}`;

/**
 * Dynamically registered clients (RFC 7591), stored in PostgreSQL so every instance knows them.
 * Registration refuses redirect URIs other than https or loopback http, and grant types or
 * scopes Pact does not serve. A confidential client's secret is sealed with `secretKey`.
 */
export function createClientsStore(database: Database, secretKey: Buffer): OAuthRegisteredClientsStore {
  return {
    async getClient(clientId) {
      if (clientId.length > 200) return undefined;
      const [row] = await database.readSystem((tx) => tx.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1));
      if (!row) return undefined;
      const secret = row.secretSealed ? open(secretKey, row.secretSealed, aad(row.clientId)).toString('utf8') : undefined;
      return {
        ...(row.metadata as Omit<OAuthClientInformationFull, 'client_id' | 'redirect_uris'>),
        client_id: row.clientId,
        redirect_uris: row.redirectUris,
        ...(secret ? { client_secret: secret } : {}),
        ...(row.secretExpiresAt ? { client_secret_expires_at: Math.floor(row.secretExpiresAt.getTime() / 1000) } : {}),
      };
    },

    async registerClient(client) {
      if (client.redirect_uris.length === 0) throw new InvalidClientMetadataError('redirect_uris must list at least one URI');
      for (const uri of client.redirect_uris) {
        const problem = redirectUriProblem(uri);
        if (problem) throw new InvalidClientMetadataError(problem);
      }
      for (const grant of client.grant_types ?? []) {
        if (!GRANT_TYPES.has(grant)) throw new InvalidClientMetadataError(`grant type "${grant}" is not supported: use authorization_code and refresh_token`);
      }
      for (const type of client.response_types ?? []) {
        if (type !== 'code') throw new InvalidClientMetadataError(`response type "${type}" is not supported: use code`);
      }
      const method = client.token_endpoint_auth_method ?? 'client_secret_post';
      if (!AUTH_METHODS.has(method)) {
        throw new InvalidClientMetadataError(`token_endpoint_auth_method "${method}" is not supported: use none, client_secret_post or client_secret_basic`);
      }
      const unknownScope = client.scope?.split(' ').find((s) => s && !(OAUTH_SCOPES as readonly string[]).includes(s));
      if (unknownScope) throw new InvalidClientMetadataError(`scope "${unknownScope}" is not offered: choose from ${OAUTH_SCOPES.join(', ')}`);
      const full = { client_id: randomUUID(), client_id_issued_at: Math.floor(Date.now() / 1000), ...client } as OAuthClientInformationFull;
      const { client_id, client_secret, client_secret_expires_at, redirect_uris, ...metadata } = full;
      await database.withSystem((tx) =>
        tx.insert(oauthClients).values({
          clientId: client_id,
          metadata,
          redirectUris: redirect_uris,
          secretSealed: client_secret ? seal(secretKey, Buffer.from(client_secret, 'utf8'), aad(client_id)) : null,
          secretExpiresAt: client_secret_expires_at ? new Date(client_secret_expires_at * 1000) : null,
        }),
      );
      return full;
    },
  };
}
