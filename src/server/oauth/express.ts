import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js';
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js';
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import express, { type RequestHandler } from 'express';
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

/**
 * The authorization server's HTTP endpoints on the MCP SDK's handlers (request validation, client
 * authentication, PKCE S256 verification, RFC 7591 registration, RFC 7009 revocation), mounted at
 * `/oauth/*` and served as a Node request listener beside the Fetch-API app.
 */
export function createOAuthEndpoints(provider: OAuthServerProvider, rateLimit: OAuthRateLimit = {}, issuer?: string) {
  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer on a private network, rate limits key on the client's address, not the balancer's.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // Hosted clients (Claude's connector) reach the token and registration endpoints from a few
  // addresses on behalf of all their users: their per-address limits are wider than the SDK's.
  const limit = (defaults: { windowMs: number; max: number }) => (rateLimit === false ? false : { ...defaults, ...rateLimit });
  const form = express.urlencoded({ extended: false });
  if (issuer) app.use('/oauth/authorize', issOnRedirects(issuer));
  app.use('/oauth/authorize', authorizationHandler({ provider, rateLimit: limit({ windowMs: 15 * 60_000, max: 100 }) }));
  app.use('/oauth/token', form, basicClientAuth, tokenHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use('/oauth/revoke', form, basicClientAuth, revocationHandler({ provider, rateLimit: limit({ windowMs: 60_000, max: 600 }) }));
  app.use(
    '/oauth/register',
    registrationEndpoint(provider.clientsStore, { rateLimit: limit({ windowMs: 60 * 60_000, max: 300 }), clientSecretExpirySeconds: 0 }),
  );
  return (req: IncomingMessage, res: ServerResponse) => void app(req, res);
}
