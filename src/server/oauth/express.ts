import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { maskFailure } from '../../lib/faults';
import type { Logger } from '../../lib/logger';
import { currentRequest, noteFailure } from '../../lib/request-context';
import { findBadText } from '../../lib/text';
import { issOnRedirects, registrationEndpoint } from './middleware';

/** express-rate-limit overrides for every OAuth endpoint (per instance, per client address); `false` turns them off. */
export type OAuthRateLimit = { windowMs?: number; max?: number } | false;

/** The endpoints the SDK's handlers serve. */
export const OAUTH_ENDPOINTS = new Set(['/oauth/authorize', '/oauth/token', '/oauth/register', '/oauth/revoke']);

/**
 * RFC 6749 §2.3.1 `client_secret_basic`: the SDK's client authentication reads the body only, so a
 * Basic header is copied into `client_id` / `client_secret` (form-decoded) before it runs.
 */
const basicClientAuth: RequestHandler = (req, _res, next) => {
  const header = req.headers.authorization;
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (match?.[1]) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      try {
        body.client_id ??= decode(decoded.slice(0, colon));
        body.client_secret ??= decode(decoded.slice(colon + 1));
        req.body = body;
      } catch {
        // A malformed header leaves the body as sent; client authentication then refuses it.
      }
    }
  }
  next();
};

const invalidRequest = (description: string) => ({ error: 'invalid_request', error_description: description });

/** Parameters that are not storable text (a lone surrogate, U+0000) or nest absurdly deep: refused before any look-up. */
const refuseBadText: RequestHandler = (req, res, next) => {
  const found = findBadText(req.query) ?? findBadText(req.body);
  if (!found) return next();
  res.status(400).json(invalidRequest(`Parameter ${found.path} ${found.problem}.`));
};


/**
 * The provider with every unexpected (non-OAuth) rejection remembered for the request: the SDK's
 * handlers answer such errors with a bare `server_error` and drop the error itself.
 */
function notingFailures<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (property === 'clientsStore' && typeof value === 'object' && value !== null) return notingFailures(value);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const note = (error: unknown) => {
          if (!(error instanceof OAuthError)) noteFailure(error);
          throw error;
        };
        try {
          const result: unknown = value.apply(object, args);
          return result instanceof Promise ? result.catch(note) : result;
        } catch (error) {
          return note(error);
        }
      };
    },
  });
}

/**
 * A 5xx JSON answer (the SDK's `server_error`, or ours) is masked, carries the request id, becomes a
 * 503 `temporarily_unavailable` with Retry-After while the database is unreachable, and is logged
 * with the failure behind it.
 */
const maskServerErrors =
  (logger: Logger): RequestHandler =>
  (req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 500) return send(body);
      const context = currentRequest();
      const masked = maskFailure(context?.failure);
      const where = { method: req.method, path: req.path };
      if (masked.status === 503) logger.warn({ err: context?.failure, ...where }, 'database unavailable');
      else logger.error({ err: context?.failure, ...where }, 'unexpected error');
      res.status(masked.status);
      for (const [name, value] of Object.entries(masked.headers)) res.setHeader(name, value);
      return send({
        error: masked.status === 503 ? 'temporarily_unavailable' : 'server_error',
        error_description: masked.message,
        request_id: context?.requestId ?? null,
      });
    };
    next();
  };

/** Errors passed to express (unreadable bodies, anything thrown): never express' default page. */
const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const description = status === 413 ? 'Request body too large.' : status === 415 ? 'Unsupported content type or charset.' : 'Malformed request body.';
    res.status(status).json(invalidRequest(description));
    return;
  }
  noteFailure(error);
  res.status(500).json({ error: 'server_error' });
};

/**
 * The authorization server's HTTP endpoints on the MCP SDK's handlers (request validation, client
 * authentication, PKCE S256 verification, RFC 7591 registration, RFC 7009 revocation), mounted at
 * `/oauth/*` and served as a Node request listener beside the Fetch-API app.
 */
export function createOAuthEndpoints(oauthProvider: OAuthServerProvider, rateLimit: OAuthRateLimit | undefined, logger: Logger, issuer?: string) {
  const provider = notingFailures(oauthProvider);
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer on a private network, rate limits key on the client's address, not the balancer's.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // Hosted clients (Claude's connector) reach the token and registration endpoints from a few
  // addresses on behalf of all their users: their per-address limits are wider than the SDK's.
  const limit = (defaults: { windowMs: number; max: number }) => (rateLimit === false ? false : { ...defaults, ...rateLimit });
  const form = express.urlencoded({ extended: false });
  app.use(maskServerErrors(logger));
  if (issuer) app.use('/oauth/authorize', issOnRedirects(issuer));
  // The SDK's handlers parse their own bodies; parsing first (the same parsers) lets refuseBadText see them.
  app.use('/oauth/authorize', form, refuseBadText, authorizationHandler({ provider, rateLimit: limit({ windowMs: 15 * 60_000, max: 100 }) }));
  app.use('/oauth/token', form, basicClientAuth, refuseBadText, tokenHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use('/oauth/revoke', form, basicClientAuth, refuseBadText, revocationHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use(
    '/oauth/register',
    express.json(),
    refuseBadText,
    ...registrationEndpoint(provider.clientsStore, { rateLimit: limit({ windowMs: 60 * 60_000, max: 300 }), clientSecretExpirySeconds: 0 }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: 'invalid_request', error_description: 'No such OAuth endpoint.' });
  });
  app.use(errorHandler);
  return (req: IncomingMessage, res: ServerResponse) => void app(req, res);
}
