import { SESSION_COOKIE, type Credentials } from '../services/auth/authenticator';

const cookieValue = (header: string | null, name: string): string | null => {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
};

/** What a request presents: a bearer token, a console session cookie, and `X-Tenant-ID`. */
export function credentialsOf(request: Request): Credentials {
  const auth = request.headers.get('authorization');
  const match = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return {
    bearer: match?.[1] ?? (auth ? auth.trim() || null : null),
    sessionCookie: cookieValue(request.headers.get('cookie'), SESSION_COOKIE),
    tenant: request.headers.get('x-tenant-id'),
  };
}

export const clientIp = (request: Request): string | null =>
  request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? null;
