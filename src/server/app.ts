import { createServerAdapter } from '@whatwg-node/server';
import { z } from 'zod';
import { isPactError } from '../lib/errors';
import { SESSION_COOKIE } from '../services/auth/authenticator';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import { clientIp, credentialsOf } from './credentials';
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
}

export interface PactApp {
  /** The Fetch-API handler; also a Node request listener. */
  handler: ReturnType<typeof createHandler>;
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

/** The HTTP application: `/graphql`, `/auth/sign-in`, `/auth/sign-out`, `/healthz`. */
export function createApp(options: AppOptions): PactApp {
  const { services } = options;
  const logger = services.logger;
  const yoga = createPactYoga({
    services,
    graphiql: options.graphiql ?? false,
    production: options.production ?? false,
    allowedOrigins: options.allowedOrigins ?? [],
    ...(options.hardening ? { hardening: options.hardening } : {}),
  });
  const mcp = options.mcp?.(yoga);
  const cookieFlags = `Path=/; HttpOnly; SameSite=Lax${options.secureCookies ? '; Secure' : ''}`;

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
        'set-cookie': `${SESSION_COOKIE}=${encodeURIComponent(result.token)}; ${cookieFlags}; Max-Age=${30 * 24 * 3600}`,
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
    if (path === '/healthz') return json({ ok: true });
    if (path === '/') {
      return json({ name: 'Pact', graphql: `${options.publicUrl}/graphql`, signIn: `${options.publicUrl}/auth/sign-in` });
    }
    return json(errorBody('NOT_FOUND', `No route for ${path}.`), 404);
  });

  return { handler, yoga };
}
