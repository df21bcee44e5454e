import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidClientError, InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { oauthClients } from '../../db/schema';
import { open, seal } from '../../lib/crypto';
import { clientIdUrlProblem, fetchClientMetadata, isMetadataDocumentId, type ClientMetadataOptions } from './client-metadata';
import { OAUTH_SCOPES } from './scopes';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
const AUTH_METHODS = new Set(['none', 'client_secret_post', 'client_secret_basic']);
/** Schemes no app may claim as its own redirect: browser-executable, local files, other protocols. */
const NOT_APP_SCHEMES = new Set(['javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'filesystem', 'ws', 'wss', 'ftp', 'mailto', 'tel', 'sms']);

/** OIDC Dynamic Client Registration `application_type`; absent keeps Pact's earlier rules. */
export type ApplicationType = 'native' | 'web' | undefined;

/**
 * Why a redirect URI may not be registered, or null when it may. Every type: https anywhere.
 * Absent type: also http on loopback. `native`: also http on loopback and an app's own scheme
 * (`com.example.app:/callback`, RFC 8252 §7.1). `web`: https only.
 */
export function redirectUriProblem(uri: string, applicationType?: ApplicationType): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `redirect URI "${uri}" is not an absolute URL`;
  }
  if (url.hash || uri.includes('#')) return `redirect URI "${uri}" must not contain a fragment`;
  if (url.username || url.password) return `redirect URI "${uri}" must not contain credentials`;
  if (url.protocol === 'https:') return null;
  if (applicationType === 'web') return `redirect URI "${uri}" is not https: application_type "web" requires https redirect URIs`;
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? null
      : `redirect URI "${uri}" uses http on a non-loopback host: use https, or http on localhost, 127.0.0.1 or [::1]`;
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (applicationType === 'native' && !NOT_APP_SCHEMES.has(scheme)) return null;
  return applicationType === 'native'
    ? `redirect URI "${uri}" uses the ${scheme} scheme, which no app may claim`
    : `redirect URI "${uri}" uses the ${scheme} scheme: only https, or http on a loopback host, is allowed (an app's own scheme needs application_type "native")`;
}

/** Why client metadata (registered or from a metadata document) is refused, or null: redirect URIs, application type, grant and response types, scopes. */
export function clientMetadataProblem(client: {
  redirect_uris: string[];
  grant_types?: string[] | undefined;
  response_types?: string[] | undefined;
  scope?: string | undefined;
  application_type?: unknown;
}): string | null {
  const type = client.application_type;
  if (type !== undefined && type !== 'native' && type !== 'web') return `application_type "${String(type)}" is not supported: use native or web`;
  if (client.redirect_uris.length === 0) return 'redirect_uris must list at least one URI';
  for (const uri of client.redirect_uris) {
    const problem = redirectUriProblem(uri, type);
    if (problem) return problem;
  }
  for (const grant of client.grant_types ?? []) {
    if (!GRANT_TYPES.has(grant)) return `grant type "${grant}" is not supported: use authorization_code and refresh_token`;
  }
  for (const responseType of client.response_types ?? []) {
    if (responseType !== 'code') return `response type "${responseType}" is not supported: use code`;
  }
  const unknownScope = client.scope?.split(' ').find((s) => s && !(OAUTH_SCOPES as readonly string[]).includes(s));
  if (unknownScope) return `scope "${unknownScope}" is not offered: choose from ${OAUTH_SCOPES.join(', ')}`;
  return null;
}

const aad = (clientId: string) => `pact:oauth-client-secret:v1|${clientId}`;

export interface ClientsStoreOptions {
  /** How Client ID Metadata Documents are fetched; the defaults refuse private hosts. */
  metadataDocuments?: ClientMetadataOptions;
}

type ClientRow = typeof oauthClients.$inferSelect;

/**
 * OAuth clients, stored in PostgreSQL so every instance knows them: dynamically registered ones
 * (RFC 7591) and, for a `client_id` that is an https URL, the client its metadata document
 * describes (fetched SSRF-safely, cached in its row as its HTTP caching headers allow). Both obey
 * {@link clientMetadataProblem}. A confidential client's secret is sealed with `secretKey`.
 */
export function createClientsStore(database: Database, secretKey: Buffer, options: ClientsStoreOptions = {}): OAuthRegisteredClientsStore {
  const documents = options.metadataDocuments ?? {};
  const fromRow = (row: ClientRow): OAuthClientInformationFull => {
    const secret = row.secretSealed ? open(secretKey, row.secretSealed, aad(row.clientId)).toString('utf8') : undefined;
    return {
      ...(row.metadata as Omit<OAuthClientInformationFull, 'client_id' | 'redirect_uris'>),
      client_id: row.clientId,
      redirect_uris: row.redirectUris,
      ...(secret ? { client_secret: secret } : {}),
      ...(row.secretExpiresAt ? { client_secret_expires_at: Math.floor(row.secretExpiresAt.getTime() / 1000) } : {}),
    };
  };

  const documentClient = async (clientId: string, row: ClientRow | undefined): Promise<OAuthClientInformationFull> => {
    if (row?.metadataExpiresAt && row.metadataExpiresAt > new Date()) return fromRow(row);
    const problem = clientIdUrlProblem(clientId, documents.allowPrivate ?? false);
    if (problem) throw new InvalidClientError(`client_id ${clientId} is not a usable Client ID Metadata Document URL: ${problem}.`);
    const { client, expiresAt } = await fetchClientMetadata(clientId, documents, (metadata) =>
      clientMetadataProblem(metadata as Parameters<typeof clientMetadataProblem>[0]),
    );
    const { client_id, redirect_uris, ...metadata } = client;
    const values = { kind: 'metadata_document' as const, metadata, redirectUris: redirect_uris, metadataExpiresAt: expiresAt };
    await database.withSystem((tx) =>
      tx
        .insert(oauthClients)
        .values({ clientId: client_id, ...values })
        .onConflictDoUpdate({ target: oauthClients.clientId, set: values, where: eq(oauthClients.kind, 'metadata_document') }),
    );
    return client;
  };

  return {
    async getClient(clientId) {
      const isDocument = isMetadataDocumentId(clientId);
      if (clientId.length > (isDocument ? 1024 : 200)) return undefined;
      const [row] = await database.readSystem((tx) => tx.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1));
      if (row?.kind === 'registered') return fromRow(row);
      if (isDocument) return documentClient(clientId, row);
      return undefined;
    },

    async registerClient(client) {
      const problem = clientMetadataProblem(client as Parameters<typeof clientMetadataProblem>[0]);
      if (problem) throw new InvalidClientMetadataError(problem);
      const method = client.token_endpoint_auth_method ?? 'client_secret_post';
      if (!AUTH_METHODS.has(method)) {
        throw new InvalidClientMetadataError(`token_endpoint_auth_method "${method}" is not supported: use none, client_secret_post or client_secret_basic`);
      }
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
