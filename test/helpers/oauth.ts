import { createHash, randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export const REDIRECT_URI = 'http://127.0.0.1:43117/callback';

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * An in-memory OAuth client for the official SDK client: it "opens" the authorization URL by
 * fetching it without following redirects (the server auto-approves in tests) and keeps the code
 * and state of the redirect it gets back.
 */
export class HeadlessOAuthClient implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  lastState = '';
  code: string | null = null;
  /** The query of the redirect back (code, state, iss). */
  callback: URLSearchParams | null = null;
  returnedState: string | null = null;
  authorizationUrl: URL | null = null;

  constructor(private readonly metadata: Partial<OAuthClientMetadata> = {}) {}

  get redirectUrl() {
    return REDIRECT_URI;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Headless test client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...this.metadata,
    };
  }

  state() {
    this.lastState = randomBytes(12).toString('base64url');
    return this.lastState;
  }

  clientInformation() {
    return this.information;
  }

  saveClientInformation(info: OAuthClientInformationMixed) {
    this.information = info;
  }

  tokens() {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }

  async redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`authorization did not redirect: ${res.status} ${await res.text()}`);
    const back = new URL(location);
    this.callback = back.searchParams;
    this.code = back.searchParams.get('code');
    this.returnedState = back.searchParams.get('state');
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    return this.verifier;
  }
}

/** Cookie jar of one header: `name=value` pairs from Set-Cookie. */
export function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

export interface BrowserResult {
  /** Where the browser was sent back to (the client's redirect URI with code or error). */
  location: URL;
  consentHtml: string;
  cookie: string;
}

/**
 * Drives the real sign-in and consent pages as a browser would: follows the authorization
 * redirect, posts the sign-in form, reads the consent page and posts the decision.
 */
export async function browserAuthorize(
  base: string,
  authorizeUrl: URL | string,
  user: { email: string; password: string; tenant?: string; decision?: 'approve' | 'deny' },
): Promise<BrowserResult> {
  const start = await fetch(authorizeUrl, { redirect: 'manual' });
  const consentUrl = start.headers.get('location');
  if (start.status !== 302 || !consentUrl) throw new Error(`authorize answered ${start.status}: ${await start.text()}`);
  const anonymous = await fetch(new URL(consentUrl, base), { redirect: 'manual' });
  const signInUrl = new URL(anonymous.headers.get('location') ?? '', base);
  const requestId = signInUrl.searchParams.get('request') ?? '';
  const signedIn = await fetch(new URL('/oauth/sign-in', base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(base).origin },
    body: new URLSearchParams({ request: requestId, email: user.email, password: user.password }),
  });
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  const cookie = cookiesOf(signedIn);
  const page = await fetch(new URL(signedIn.headers.get('location') ?? '', base), { headers: { cookie } });
  const consentHtml = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(consentHtml)?.[1] ?? '';
  const tenants = [...consentHtml.matchAll(/(?:option|input type="hidden" name="tenant") value="([^"]+)"/g)].map((m) => m[1] ?? '');
  const tenantId = user.tenant ?? tenants[0] ?? '';
  const decided = await fetch(new URL('/oauth/consent', base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(base).origin },
    body: new URLSearchParams({ request: requestId, csrf, tenant: tenantId, decision: user.decision ?? 'approve' }),
  });
  const location = decided.headers.get('location');
  if (decided.status !== 303 || !location) throw new Error(`consent answered ${decided.status}: ${await decided.text()}`);
  return { location: new URL(location), consentHtml, cookie };
}
