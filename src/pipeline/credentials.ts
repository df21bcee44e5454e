import { ErrorCode, PactError, isPactError } from '../lib/errors';
import { currentRequest } from '../lib/request-context';
import { SESSION_COOKIE, type Credentials } from '../services/auth/authenticator';
import type { CallPath, Principal } from '../services/auth/principal';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';

const cookieValue = (header: string | null, name: string): string | null => {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return null;
    }
  }
  return null;
};

/**
 * What a request presents: a bearer token, a console session cookie, and `X-Tenant-ID`. With
 * `cookies: false` (the MCP path) the session cookie is ignored: browser credentials never count there.
 */
export function credentialsOf(request: Request, options: { cookies?: boolean } = {}): Credentials {
  const auth = request.headers.get('authorization');
  const match = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return {
    bearer: match?.[1] ?? (auth ? auth.trim() || null : null),
    sessionCookie: options.cookies === false ? null : cookieValue(request.headers.get('cookie'), SESSION_COOKIE),
    tenant: request.headers.get('x-tenant-id'),
  };
}

/** The console session cookie for a signed-in session, living as long as the session. */
export const sessionCookie = (token: string, expiresAt: Date, flags: string): string =>
  `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${flags}; Max-Age=${Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000))}`;

/** The client address of the request being served (see `PACT_TRUST_PROXY`). */
export const clientIp = (): string | null => currentRequest()?.clientIp ?? null;

/** An OAuth token presented to a resource it was not issued for (RFC 8707). */
export const wrongAudience = () =>
  new PactError(ErrorCode.Unauthenticated, 'This access token was issued for another resource; request a token for this one.', {
    reason: 'WRONG_AUDIENCE',
  });

/**
 * Authenticates a request's credentials for `path` (on `mcp` only `Authorization: Bearer` counts,
 * never the console cookie); an OAuth access token must have been issued for one of `audiences`. A refusal (before any tenant is known) is recorded as a security event
 * and rethrown for the caller to answer in its own protocol.
 */
export async function authenticateRequest(
  services: Services,
  request: Request,
  path: CallPath,
  audiences: ReadonlySet<string>,
): Promise<Principal> {
  try {
    const principal = await services.auth.authenticate(credentialsOf(request, { cookies: path !== 'mcp' }), path);
    if (principal.kind === 'oauth' && !audiences.has(principal.resource ?? '')) throw wrongAudience();
    return principal;
  } catch (error) {
    if (isPactError(error)) {
      await recordSecurityEvent(services.database, services.logger, {
        kind: error.code === ErrorCode.Unauthenticated ? 'unauthenticated' : error.code.toLowerCase(),
        path,
        ip: clientIp(),
        userAgent: request.headers.get('user-agent'),
        tenantHint: request.headers.get('x-tenant-id'),
        detail: { code: error.code, reason: error.extensions.reason ?? null },
      });
    }
    throw error;
  }
}
