import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { z } from 'zod';
import { isPactError } from '../lib/errors';
import { SESSION_COOKIE } from '../services/auth/authenticator';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import { clientIp, credentialsOf, sessionCookie } from './credentials';
import { OAUTH_ENDPOINTS, createOAuthEndpoints, type OAuthRateLimit } from './oauth/express';
import { createOAuthProvider, type AutoApprove } from './oauth/provider';
import { pactResources } from './oauth/resources';
import { createOAuthRoutes } from './oauth/routes';
import { createPactYoga, type PactYoga, type YogaOptions } from './yoga';

export interface AppOptions {
  services: Services;
  publicUrl: string;
  /** Serve GraphiQL at /graphql (development). */
  graphiql?: boolean;
  /** Production hardening (no introspection or suggestions for API keys). */
  production?: boolean;
  /** Browser origins allowed to call the API with credentials. */
  allowedOrigins?: string[];
  /** Query-limit overrides (tests). */
  hardening?: YogaOptions['hardening'];
  /** The MCP endpoint, served at /mcp and /mcp/ (the composition root supplies it). */
  mcp?: (yoga: PactYoga) => { handle(request: Request): Promise<Response> };
  /** Mark the session cookie Secure (https deployments). */
  secureCookies?: boolean;
  oauth?: {
    /** Tests only: sign a user in and approve without a browser. Refused with `production`. */
    autoApprove?: AutoApprove;
    /** Overrides of the OAuth endpoints' per-instance rate limits; `false` turns them off (tests). */
    rateLimit?: OAuthRateLimit;
  };
}

export interface PactApp {
  /** The Fetch-API handler (everything but the OAuth endpoints the SDK's express handlers serve). */
  handler: ReturnType<typeof createHandler>;
  /** The Node request listener that serves every route. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  yoga: PactYoga;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });

const createHandler = (fn: (request: Request) => Promise<Response>) => createServerAdapter(fn);

const errorBody = (code: string, message: string) => ({ error: { code, message } });

const SignIn = z.object({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
  /** `token` returns a `pact_sess_` bearer for tools; `browser` (default) sets the console cookie. */
  kind: z.enum(['browser', 'token']).default('browser'),
});

/** The HTTP application: `/graphql`, `/mcp`, OAuth (`/oauth/*`, `/.well-known/*`), `/auth/sign-in`, `/auth/sign-out`, `/healthz`. */
export function createApp(options: AppOptions): PactApp {
  const { services } = options;
  const logger = services.logger;
  if (options.production && options.oauth?.autoApprove) throw new Error('OAuth auto-approve is a test facility and cannot run in production.');
  const resources = pactResources(options.publicUrl);
  const yoga = createPactYoga({
    services,
    audiences: new Set([resources.graphql]),
    graphiql: options.graphiql ?? false,
    production: options.production ?? false,
    allowedOrigins: options.allowedOrigins ?? [],
    ...(options.hardening ? { hardening: options.hardening } : {}),
  });
  const mcp = options.mcp?.(yoga);
  const cookieFlags = `Path=/; HttpOnly; SameSite=Lax${options.secureCookies ? '; Secure' : ''}`;
  const oauthRoutes = createOAuthRoutes({ services, resources, cookieFlags });
  const oauthEndpoints = createOAuthEndpoints(
    createOAuthProvider({ services, resources, autoApprove: options.oauth?.autoApprove }),
    options.oauth?.rateLimit,
    resources.issuer,
  );

  const signIn = async (request: Request): Promise<Response> => {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json(errorBody('BAD_REQUEST', 'Send a JSON body: {"email": "...", "password": "..."}.'), 400);
    }
    const parsed = SignIn.safeParse(body);
    if (!parsed.success) return json(errorBody('BAD_REQUEST', 'Send a JSON body: {"email": "...", "password": "..."}.'), 400);
    try {
      const result = await services.auth.signIn(parsed.data.email, parsed.data.password, parsed.data.kind);
      const payload = { userId: result.userId, expiresAt: result.expiresAt.toISOString(), tenants: result.tenants };
      if (parsed.data.kind === 'token') return json({ ...payload, token: result.token });
      return json(payload, 200, {
        'set-cookie': sessionCookie(result.token, result.expiresAt, cookieFlags),
      });
    } catch (error) {
      if (!isPactError(error)) throw error;
      await recordSecurityEvent(services.database, logger, {
        kind: 'sign_in_failed',
        path: 'auth',
        ip: clientIp(request),
        userAgent: request.headers.get('user-agent'),
      });
      return json(errorBody(error.code, error.message), 401);
    }
  };

  const signOut = async (request: Request): Promise<Response> => {
    const creds = credentialsOf(request);
    const token = creds.bearer ?? creds.sessionCookie;
    if (token) await services.auth.signOut(token);
    return json({ ok: true }, 200, { 'set-cookie': `${SESSION_COOKIE}=; ${cookieFlags}; Max-Age=0` });
  };

  const handler = createHandler(async (request: Request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === '/graphql' || path === '/graphql/') return yoga.fetch(request);
    if (mcp && (path === '/mcp' || path === '/mcp/')) return mcp.handle(request);
    if (path === '/auth/sign-in') {
      return request.method === 'POST' ? signIn(request) : json(errorBody('METHOD_NOT_ALLOWED', 'Use POST.'), 405, { allow: 'POST' });
    }
    if (path === '/auth/sign-out') {
      return request.method === 'POST' ? signOut(request) : json(errorBody('METHOD_NOT_ALLOWED', 'Use POST.'), 405, { allow: 'POST' });
    }
    const oauth = await oauthRoutes.handle(request, path);
    if (oauth) return oauth;
    if (path === '/healthz') return json({ ok: true });
    if (path === '/') {
      return json({ name: 'Pact', graphql: `${options.publicUrl}/graphql`, signIn: `${options.publicUrl}/auth/sign-in` });
    }
    return json(errorBody('NOT_FOUND', `No route for ${path}.`), 404);
  });

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]?.replace(/(.)\/$/, '$1') ?? '/';
    if (OAUTH_ENDPOINTS.has(path)) return oauthEndpoints(req, res);
    void handler(req, res);
  };

  return { handler, listener, yoga };
}
