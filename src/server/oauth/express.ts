import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { findBadText } from '../../lib/text';

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
 * Body-parser failures (malformed JSON or form, too large, wrong charset) as RFC 6749 JSON errors
 * with their 4xx status, instead of express's HTML error page.
 */
const jsonErrors: ErrorRequestHandler = (error: { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown }, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error.status === 'number' ? error.status : typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const description = status === 413 ? 'Request body too large.' : status === 415 ? 'Unsupported content type or charset.' : 'Malformed request body.';
    res.status(status).json(invalidRequest(description));
    return;
  }
  res.status(500).json({ error: 'server_error', error_description: 'Internal Server Error' });
};

/**
 * The authorization server's HTTP endpoints on the MCP SDK's handlers (request validation, client
 * authentication, PKCE S256 verification, RFC 7591 registration, RFC 7009 revocation), mounted at
 * `/oauth/*` and served as a Node request listener beside the Fetch-API app.
 */
export function createOAuthEndpoints(provider: OAuthServerProvider, rateLimit: OAuthRateLimit = {}) {
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer on a private network, rate limits key on the client's address, not the balancer's.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // Hosted clients (Claude's connector) reach the token and registration endpoints from a few
  // addresses on behalf of all their users: their per-address limits are wider than the SDK's.
  const limit = (defaults: { windowMs: number; max: number }) => (rateLimit === false ? false : { ...defaults, ...rateLimit });
  const form = express.urlencoded({ extended: false });
  // The SDK's handlers parse their own bodies; parsing first (the same parsers) lets refuseBadText see them.
  app.use('/oauth/authorize', form, refuseBadText, authorizationHandler({ provider, rateLimit: limit({ windowMs: 15 * 60_000, max: 100 }) }));
  app.use('/oauth/token', form, basicClientAuth, refuseBadText, tokenHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use('/oauth/revoke', form, basicClientAuth, refuseBadText, revocationHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use(
    '/oauth/register',
    express.json(),
    refuseBadText,
    clientRegistrationHandler({ clientsStore: provider.clientsStore, rateLimit: limit({ windowMs: 60 * 60_000, max: 300 }), clientSecretExpirySeconds: 0 }),
  );
  app.use(jsonErrors);
  return (req: IncomingMessage, res: ServerResponse) => void app(req, res);
}
