import { InvalidClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { OAuthClientMetadataSchema, type OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { safeFetch, SafeFetchError, type Resolver } from '../../lib/safe-fetch';

/** How Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document) are fetched. */
export interface ClientMetadataOptions {
  /** `PACT_ALLOW_PRIVATE_UPSTREAMS`: documents on loopback or private hosts, and http on them (development). */
  allowPrivate?: boolean;
  /** Host name → addresses (tests); the system resolver by default. */
  resolver?: Resolver;
  /** Largest document accepted (default 5 KiB, as the draft suggests). */
  maxBytes?: number;
  /** Deadline of one fetch (default 5 s). */
  timeoutMs?: number;
  /** Extra trusted CA for https documents (tests). */
  ca?: string | Buffer;
}

/** Cache lifetime bounds in seconds: HTTP caching headers are honoured within them. */
export const METADATA_CACHE = { floor: 60, fallback: 300, cap: 24 * 3600 } as const;

/** Whether a client_id names a metadata document (an http(s) URL) rather than a registered client. */
export const isMetadataDocumentId = (clientId: string) => /^https?:\/\//i.test(clientId);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why `clientId` is not a usable document URL, or null: https (http on loopback with the allowance), a path, no fragment, credentials or dot segments. */
export function clientIdUrlProblem(clientId: string, allowPrivate = false): string | null {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return 'it must be an https URL';
  if (url.username || url.password) return 'it must not contain credentials';
  if (url.hash || clientId.includes('#')) return 'it must not contain a fragment';
  if (url.pathname === '/') return 'it must contain a path';
  if (url.href !== clientId) return 'it must be in normal form (no dot segments, lower-case host, no default port)';
  return null;
}

/** Seconds a document may be cached: `Cache-Control: max-age`, else `Expires`, clamped to {@link METADATA_CACHE}. */
export function cacheSeconds(headers: Headers, now = Date.now()): number {
  const clamp = (s: number) => Math.min(METADATA_CACHE.cap, Math.max(METADATA_CACHE.floor, Math.floor(s)));
  const control = headers.get('cache-control') ?? '';
  if (/(?:^|,)\s*(?:no-store|no-cache)\b/i.test(control)) return METADATA_CACHE.floor;
  const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(control);
  if (maxAge?.[1]) return clamp(Number(maxAge[1]));
  const expires = headers.get('expires');
  if (expires) {
    const at = Date.parse(expires);
    const date = Date.parse(headers.get('date') ?? '');
    return Number.isNaN(at) ? METADATA_CACHE.floor : clamp((at - (Number.isNaN(date) ? now : date)) / 1000);
  }
  return METADATA_CACHE.fallback;
}

export interface FetchedClient {
  client: OAuthClientInformationFull;
  expiresAt: Date;
}

const refuse = (clientId: string, why: string) => new InvalidClientError(`Client ID Metadata Document ${clientId} refused: ${why}.`);

/**
 * Fetches and validates a client's metadata document: 200 only (redirects are not followed),
 * JSON, `client_id` equal to the URL, a `client_name`, `redirect_uris`, and a public client
 * (`token_endpoint_auth_method` `none` or absent, no secret). `checkMetadata` applies the rules
 * registration applies (redirect URIs, grant types, scopes).
 */
export async function fetchClientMetadata(
  clientId: string,
  options: ClientMetadataOptions,
  checkMetadata: (metadata: Record<string, unknown>) => string | null,
): Promise<FetchedClient> {
  const maxBytes = options.maxBytes ?? 5 * 1024;
  let res;
  try {
    res = await safeFetch(clientId, {
      allowPrivate: options.allowPrivate ?? false,
      maxBytes,
      timeoutMs: options.timeoutMs ?? 5_000,
      maxRedirects: 0,
      headers: { accept: 'application/json' },
      ...(options.resolver ? { resolver: options.resolver } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    });
  } catch (error) {
    if (error instanceof SafeFetchError) throw refuse(clientId, error.message);
    throw error;
  }
  if (res.status >= 300 && res.status < 400) throw refuse(clientId, `it answered HTTP ${res.status}; redirects are not followed`);
  if (res.status !== 200) throw refuse(clientId, `it answered HTTP ${res.status}`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) throw refuse(clientId, `its content type is "${type}", not application/json`);
  let doc: unknown;
  try {
    doc = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw refuse(clientId, 'it is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw refuse(clientId, 'it is not a JSON object');
  const raw = doc as Record<string, unknown>;
  if (raw.client_id !== clientId) throw refuse(clientId, 'its client_id does not equal its URL');
  if ('client_secret' in raw || 'client_secret_expires_at' in raw) throw refuse(clientId, 'it contains a client secret');
  const method = raw.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none') throw refuse(clientId, `token_endpoint_auth_method "${String(method)}" is not supported: a metadata-document client is public ("none")`);
  if (typeof raw.client_name !== 'string' || raw.client_name.trim() === '') throw refuse(clientId, 'it has no client_name');
  if (!Array.isArray(raw.redirect_uris) || raw.redirect_uris.length === 0) throw refuse(clientId, 'it lists no redirect_uris');
  const parsed = OAuthClientMetadataSchema.safeParse(raw);
  if (!parsed.success) throw refuse(clientId, `its metadata is malformed (${parsed.error.issues[0]?.path.join('.') ?? 'document'})`);
  const problem = checkMetadata({ ...parsed.data, application_type: raw.application_type });
  if (problem) throw refuse(clientId, problem);
  const client = {
    ...parsed.data,
    ...(raw.application_type !== undefined ? { application_type: raw.application_type } : {}),
    client_id: clientId,
    token_endpoint_auth_method: 'none',
  } as OAuthClientInformationFull;
  return { client, expiresAt: new Date(Date.now() + cacheSeconds(res.headers) * 1000) };
}
