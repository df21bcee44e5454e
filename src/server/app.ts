import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { isPactError } from '../lib/errors';
import { RETRY_AFTER_S, maskFailure } from '../lib/faults';
import { REQUEST_ID_HEADER, currentRequest, runInRequest } from '../lib/request-context';
import { textProblem } from '../lib/text';
import { SESSION_COOKIE } from '../services/auth/authenticator';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import { clientIp, credentialsOf, sessionCookie } from '../pipeline/credentials';
import { httpPolicy, refuseForeignHost, type HttpPolicy, type ListenAddress } from '../pipeline/http-guards';
import { OAUTH_ENDPOINTS, createOAuthEndpoints, type OAuthRateLimit } from './oauth/express';
import { createOAuthProvider, type AutoApprove } from './oauth/provider';
import { pactResources } from '../pipeline/resources';
import { createOAuthRoutes } from './oauth/routes';
import { CONSOLE_CSRF_HEADER, createConsoleFiles } from './console';
import { createPactYoga, type PactYoga, type YogaOptions } from '../pipeline/yoga';

export interface AppOptions {
  services: Services;
  publicUrl: string;
  /** Serve GraphiQL at /graphql (development). */
  graphiql?: boolean;
  /** Production hardening (no introspection or suggestions for API keys). */
  production?: boolean;
  /** Browser origins allowed to call the API with credentials. */
  allowedOrigins?: string[];
  /** Take the client address from the first `X-Forwarded-For` hop (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /** Where the server listens: with a loopback host, `localhost`, `127.0.0.1` and `[::1]` on its port are this server too. */
  listen?: ListenAddress;
  /** Query-limit overrides (tests). */
  hardening?: YogaOptions['hardening'];
  /** When persisted operations are prepared (see YogaOptions); `at-start` by default. */
  preparePersisted?: YogaOptions['preparePersisted'];
  /** The MCP endpoint, served at /mcp and /mcp/ (the composition root supplies it). */
  mcp?: (yoga: PactYoga, http: HttpPolicy) => { handle(request: Request): Promise<Response> };
  /** The built console (default: console/dist, written by `npm run build:console`). */
  consoleDist?: string;
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

const HEALTH_TIMEOUT_MS = 3000;
const MAX_RPC_BODY = 1024 * 1024;

/** The JSON-RPC id of a request body, when it can still be read and names one. */
async function rpcIdOf(request: Request): Promise<string | number | null> {
  const known = currentRequest()?.rpcId;
  if (known !== undefined) return known;
  if (request.bodyUsed || request.method !== 'POST') return null;
  try {
    const text = await request.text();
    if (text.length > MAX_RPC_BODY) return null;
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

const SignIn = z.object({
  email: z.string().min(1).max(254).refine((s) => textProblem(s) === null),
  password: z.string().min(1).max(1024).refine((s) => textProblem(s) === null),
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
    ...(options.preparePersisted ? { preparePersisted: options.preparePersisted } : {}),
  });
  const http = httpPolicy(options.publicUrl, options.listen, options.allowedOrigins);
  const mcp = options.mcp?.(yoga, http);
  const cookieFlags = `Path=/; HttpOnly; SameSite=Lax${options.secureCookies ? '; Secure' : ''}`;
  const oauthRoutes = createOAuthRoutes({ services, resources, cookieFlags });
  const oauthEndpoints = createOAuthEndpoints(
    createOAuthProvider({ services, resources, autoApprove: options.oauth?.autoApprove }),
    options.oauth?.rateLimit,
    logger,
    resources.issuer,
  );

  const consoleFiles = createConsoleFiles(options.consoleDist);

  const signIn = async (request: Request): Promise<Response> => {
    // A cross-site form cannot send JSON: refusing other bodies keeps sign-in CSRF (login CSRF) out.
    if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
      return json(errorBody('BAD_REQUEST', 'Send a JSON body (Content-Type: application/json): {"email": "...", "password": "..."}.'), 415);
    }
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
      const payload = { userId: result.userId, expiresAt: result.expiresAt.toISOString(), tenants: result.tenants.map(({ id, slug, name, role }) => ({ id, slug, name, role })) };
      if (parsed.data.kind === 'token') return json({ ...payload, token: result.token });
      return json(payload, 200, {
        'set-cookie': sessionCookie(result.token, result.expiresAt, cookieFlags),
      });
    } catch (error) {
      if (!isPactError(error)) throw error;
      await recordSecurityEvent(services.database, logger, {
        kind: 'sign_in_failed',
        path: 'auth',
        ip: clientIp(),
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

  /** Logs an unexpected error (with the request id the logger adds) and returns its masked form. */
  const logFailure = (error: unknown, request: Request) => {
    const masked = maskFailure(error);
    const where = { method: request.method, path: new URL(request.url).pathname };
    // The client closed the connection before the answer: nobody to answer, nothing went wrong here.
    if (request.signal.aborted) logger.debug({ ...where }, 'client went away before the answer');
    else if (masked.status === 503) logger.warn({ err: error, ...where }, 'database unavailable');
    else logger.error({ err: error, ...where }, 'unexpected error');
    return { ...masked, requestId: currentRequest()?.requestId ?? null };
  };

  const failure = (error: unknown, request: Request): Response => {
    const masked = logFailure(error, request);
    return json({ error: { code: masked.code, message: masked.message, requestId: masked.requestId } }, masked.status, masked.headers);
  };

  /** MCP's boundary: an unexpected error becomes a JSON-RPC error object carrying the request id. */
  const mcpCall = async (endpoint: NonNullable<typeof mcp>, request: Request): Promise<Response> => {
    try {
      return await endpoint.handle(request);
    } catch (error) {
      const masked = logFailure(error, request);
      const body = {
        jsonrpc: '2.0',
        id: await rpcIdOf(request),
        error: { code: -32603, message: masked.message, data: { code: masked.code, requestId: masked.requestId } },
      };
      return json(body, masked.status, masked.headers);
    }
  };

  /** Liveness and database reachability: 503 (no detail) while the database cannot be queried. */
  const health = async (): Promise<Response> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        services.database.readSystem((db) => services.database.rows(db, sql`select 1`)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
        }),
      ]);
      return json({ ok: true, database: 'up' });
    } catch (error) {
      logger.warn({ err: error }, 'health check: database unreachable');
      return json({ ok: false, database: 'unreachable' }, 503, { 'retry-after': String(RETRY_AFTER_S) });
    } finally {
      clearTimeout(timer);
    }
  };

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === '/graphql' || path === '/graphql/') {
      const foreignHost = await refuseForeignHost(services, request, http, 'graphql');
      if (foreignHost) return json({ errors: [{ message: foreignHost, extensions: { code: 'FORBIDDEN', reason: 'FOREIGN_HOST' } }] }, 403);
      // Cookie-authenticated calls (the console, GraphiQL) must carry a header a cross-site page cannot set without a CORS preflight.
      const creds = credentialsOf(request);
      if (creds.sessionCookie && !creds.bearer && request.method !== 'OPTIONS' && !request.headers.has(CONSOLE_CSRF_HEADER)) {
        if (options.graphiql && request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html')) return yoga.fetch(request);
        const message = `A signed-in browser call must send the ${CONSOLE_CSRF_HEADER} header (CSRF protection).`;
        return json({ errors: [{ message, extensions: { code: 'FORBIDDEN', reason: 'CSRF' } }] }, 403);
      }
      return yoga.fetch(request);
    }
    if (mcp && (path === '/mcp' || path === '/mcp/')) return mcpCall(mcp, request);
    if (path === '/auth/sign-in') {
      return request.method === 'POST' ? signIn(request) : json(errorBody('METHOD_NOT_ALLOWED', 'Use POST.'), 405, { allow: 'POST' });
    }
    if (path === '/auth/sign-out') {
      return request.method === 'POST' ? signOut(request) : json(errorBody('METHOD_NOT_ALLOWED', 'Use POST.'), 405, { allow: 'POST' });
    }
    if (path === '/ui') return new Response(null, { status: 308, headers: { location: '/ui/' } });
    if (path.startsWith('/ui/')) return consoleFiles(request, path);
    const oauth = await oauthRoutes.handle(request, path);
    if (oauth) return oauth;
    if (path === '/healthz') return health();
    if (path === '/') {
      // Browsers go to the console; API clients asking for JSON get the entry points.
      if (!(request.headers.get('accept') ?? '').includes('application/json')) return new Response(null, { status: 302, headers: { location: '/ui/' } });
      return json({ name: 'Pact', console: `${options.publicUrl}/ui/`, graphql: `${options.publicUrl}/graphql`, signIn: `${options.publicUrl}/auth/sign-in` });
    }
    return json(errorBody('NOT_FOUND', `No route for ${path}.`), 404);
  };

  // The error boundary of every Fetch-API route: no framework default error page ever answers.
  const handler = createHandler(async (request: Request) => {
    try {
      return await route(request);
    } catch (error) {
      return failure(error, request);
    }
  });

  const listener = (req: IncomingMessage, res: ServerResponse) =>
    runInRequest((context) => {
      res.setHeader(REQUEST_ID_HEADER, context.requestId);
      const forwarded = options.trustProxy ? req.headers['x-forwarded-for'] : undefined;
      const hop = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      context.clientIp = (hop || req.socket.remoteAddress) ?? null;
      const path = (req.url ?? '/').split('?')[0]?.replace(/(.)\/$/, '$1') ?? '/';
      if (OAUTH_ENDPOINTS.has(path)) return oauthEndpoints(req, res);
      void handler(req, res);
    });

  return { handler, listener, yoga };
}
