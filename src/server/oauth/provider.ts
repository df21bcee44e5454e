import { InvalidScopeError, InvalidTargetError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { Response } from 'express';
import type { Services } from '../../services/index';
import { OAUTH_SCOPES } from '../../services/oauth/scopes';
import { messagePage, pageHeaders } from './pages';
import { canonicalResource, type PactResources } from '../../pipeline/resources';

/** Signs a user in without a browser and approves every requested scope: for tests only. */
export interface AutoApprove {
  email: string;
  password: string;
  /** Tenant id or slug; the user's first tenant when omitted. */
  tenant?: string;
}

export interface ProviderOptions {
  services: Services;
  resources: PactResources;
  /** Test-only headless sign-in; createApp refuses it in production. */
  autoApprove?: AutoApprove | undefined;
}

/** The redirect that answers an authorization request: `code` or `error`, `state` and `iss` (RFC 9207). */
export function authorizationResponse(redirectUri: string, issuer: string, state: string | null, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (state !== null) url.searchParams.set('state', state);
  url.searchParams.set('iss', issuer);
  return url.href;
}

/**
 * Pact's authorization server behind the MCP SDK's OAuth handlers, which validate requests and
 * verify PKCE (S256 only). This provider keeps the state in PostgreSQL, sends the browser to the
 * sign-in and consent pages, and issues tokens bound to the chosen tenant and resource.
 */
export function createOAuthProvider(options: ProviderOptions): OAuthServerProvider {
  const { services, resources } = options;
  const grants = services.oauth.grants;
  return {
    get clientsStore() {
      return services.oauth.clients;
    },

    async authorize(client, params, res: Response) {
      if (!client.redirect_uris.includes(params.redirectUri)) {
        res
          .status(400)
          .set(pageHeaders())
          .send(messagePage('Unregistered redirect', `The redirect URI ${params.redirectUri} is not registered for this client (exact match required).`));
        return;
      }
      const requested = params.scopes?.filter(Boolean) ?? [];
      const registered = client.scope?.split(' ').filter(Boolean) ?? [];
      const scopes = requested.length > 0 ? requested : registered.length > 0 ? registered : [...OAUTH_SCOPES];
      const unknown = scopes.find((s) => !(OAUTH_SCOPES as readonly string[]).includes(s));
      if (unknown) throw new InvalidScopeError(`Scope ${unknown} is not offered; choose from: ${OAUTH_SCOPES.join(' ')}.`);
      const resource = canonicalResource(resources, params.resource?.href ?? resources.mcp[0]);
      if (!resources.all.has(resource)) {
        throw new InvalidTargetError(`Tokens are issued only for ${[...resources.all].join(', ')}; not for ${resource}.`);
      }
      const requestId = await grants.createRequest({
        clientId: client.client_id,
        redirectUri: params.redirectUri,
        state: params.state,
        scopes: [...new Set(scopes)],
        codeChallenge: params.codeChallenge,
        resource,
      });
      if (options.autoApprove) {
        const auto = options.autoApprove;
        const signedIn = await services.auth.signIn(auto.email, auto.password, 'token');
        await services.auth.signOut(signedIn.token);
        const tenant = signedIn.tenants.find((t) => auto.tenant === undefined || t.id === auto.tenant || t.slug === auto.tenant);
        const request = await grants.request(requestId);
        if (!tenant || !request || !(await grants.decide(requestId))) throw new Error('auto-approve: no such tenant or request');
        const code = await grants.issueCode(request, signedIn.userId, tenant.id, request.scopes);
        res.redirect(302, authorizationResponse(params.redirectUri, resources.issuer, params.state ?? null, { code }));
        return;
      }
      res.redirect(302, `${resources.issuer}/oauth/consent?request=${encodeURIComponent(requestId)}`);
    },

    challengeForAuthorizationCode: (client, code) => grants.challengeFor(client.client_id, code),

    exchangeAuthorizationCode: (client, code, _verifier, redirectUri, resource) =>
      grants.exchangeCode(client.client_id, code, redirectUri, resource && canonicalResource(resources, resource.href)),

    exchangeRefreshToken: (client, refreshToken, scopes, resource) =>
      grants.refresh(client.client_id, refreshToken, scopes, resource && canonicalResource(resources, resource.href)),

    async verifyAccessToken(token) {
      const found = await grants.accessToken(token);
      if (!found || found.token.revokedAt || found.token.expiresAt <= new Date()) throw new InvalidTokenError('Invalid or expired access token.');
      return {
        token,
        clientId: found.token.clientId,
        scopes: found.token.scopes,
        expiresAt: Math.floor(found.token.expiresAt.getTime() / 1000),
        resource: new URL(found.token.resource),
      };
    },

    revokeToken: (client, request) => grants.revoke(client.client_id, request.token),
  };
}
