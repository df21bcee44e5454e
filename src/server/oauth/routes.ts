import { isPactError } from '../../lib/errors';
import { textProblem } from '../../lib/text';
import type { SessionUser } from '../../services/auth/authenticator';
import { memberScopes, type MemberRole } from '../../services/auth/scopes';
import type { Services } from '../../services/index';
import type { PendingRequest } from '../../services/oauth/grants';
import { OAUTH_SCOPES, OFFLINE_ACCESS } from '../../services/oauth/scopes';
import { recordSecurityEvent } from '../../services/security-events';
import { clientIp, credentialsOf, sessionCookie } from '../../pipeline/credentials';
import { isMetadataDocumentId } from '../../services/oauth/client-metadata';
import { consentPage, messagePage, pageHeaders, signInPage, type ClientLabel } from './pages';
import { authorizationResponse } from './provider';
import type { PactResources } from '../../pipeline/resources';

export interface OAuthRoutesOptions {
  services: Services;
  resources: PactResources;
  /** Attributes of the console session cookie the sign-in page sets. */
  cookieFlags: string;
}

const jsonDoc = (body: unknown) =>
  new Response(JSON.stringify(body), {
    headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' },
  });

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { ...pageHeaders(), ...headers } });

const seeOther = (location: string, headers: Record<string, string> = {}) => new Response(null, { status: 303, headers: { location, ...headers } });

/** The `request` query parameter; text no request id can be (a lone surrogate, U+0000) reads as none. */
const requestParam = (request: Request): string => {
  const id = new URL(request.url).searchParams.get('request') ?? '';
  return textProblem(id) ? '' : id;
};

const expired = () =>
  html(messagePage('Link expired', 'This sign-in request has expired or was already used. Start again from the app you are connecting.'), 400);

/**
 * The discovery documents (RFC 8414, RFC 9728) and the browser half of the authorization flow:
 * the sign-in page and the consent page, where the user approves the scopes and picks a tenant.
 */
export function createOAuthRoutes(options: OAuthRoutesOptions) {
  const { services, resources } = options;
  const { grants, clients, formTokens } = services.oauth;
  const issuer = resources.issuer;

  const authorizationServer = {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    scopes_supported: [...OAUTH_SCOPES],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
  };

  const protectedResource = (resource: string) => ({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [...OAUTH_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Pact',
  });

  const metadata = new Map<string, () => unknown>([
    ['/.well-known/oauth-authorization-server', () => authorizationServer],
    ['/.well-known/oauth-protected-resource', () => protectedResource(resources.mcp[0])],
    ['/.well-known/oauth-protected-resource/mcp/', () => protectedResource(resources.mcp[0])],
    ['/.well-known/oauth-protected-resource/mcp', () => protectedResource(resources.mcp[1])],
    ['/.well-known/oauth-protected-resource/graphql', () => protectedResource(resources.graphql)],
  ]);

  /** The client as the pages show it: its self-asserted name and, for a metadata-document client, the host that published it. */
  const clientOf = async (clientId: string): Promise<ClientLabel> => {
    const client = await Promise.resolve(clients.getClient(clientId)).catch(() => undefined);
    const name = client?.client_name ?? client?.client_uri ?? clientId;
    return isMetadataDocumentId(clientId) ? { name, verifiedHost: new URL(clientId).host } : { name };
  };

  const sessionOf = async (request: Request): Promise<{ token: string; user: SessionUser } | null> => {
    const token = credentialsOf(request).sessionCookie;
    if (!token) return null;
    const user = await services.auth.session(token);
    return user ? { token, user } : null;
  };

  const foreignPost = (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && origin !== new URL(issuer).origin;
  };

  const form = async (request: Request): Promise<Map<string, string>> => {
    const fields = new Map<string, string>();
    try {
      for (const [k, v] of await request.formData()) if (typeof v === 'string' && !textProblem(k) && !textProblem(v)) fields.set(k, v);
    } catch {
      // An unparseable body has no fields; the caller answers as for a missing request.
    }
    return fields;
  };

  const signIn = async (request: Request): Promise<Response> => {
    if (request.method === 'GET') {
      const id = requestParam(request);
      const pending = await grants.request(id);
      if (!pending) return expired();
      return html(signInPage({ requestId: id, client: await clientOf(pending.clientId) }));
    }
    if (request.method !== 'POST') return html(messagePage('Not allowed', 'Use the sign-in form.'), 405, { allow: 'GET, POST' });
    if (foreignPost(request)) return html(messagePage('Not allowed', 'This form may only be posted from Pact.'), 403);
    const fields = await form(request);
    const id = fields.get('request') ?? '';
    const pending = await grants.request(id);
    if (!pending) return expired();
    const email = (fields.get('email') ?? '').slice(0, 254);
    try {
      const result = await services.auth.signIn(email, (fields.get('password') ?? '').slice(0, 1024), 'browser');
      await grants.attachUser(id, result.userId);
      return seeOther(`/oauth/consent?request=${encodeURIComponent(id)}`, {
        'set-cookie': sessionCookie(result.token, result.expiresAt, options.cookieFlags),
      });
    } catch (error) {
      if (!isPactError(error)) throw error;
      await recordSecurityEvent(services.database, services.logger, {
        kind: 'sign_in_failed',
        path: 'oauth',
        ip: clientIp(),
        userAgent: request.headers.get('user-agent'),
      });
      const page = signInPage({ requestId: id, client: await clientOf(pending.clientId), email, error: error.message });
      return html(page, 401);
    }
  };

  const grantedScopes = (pending: PendingRequest, tenant: { role: MemberRole; extraScopes: string[] }) => {
    const allowed = new Set<string>([...memberScopes(tenant.role, tenant.extraScopes), OFFLINE_ACCESS]);
    return pending.scopes.filter((s) => allowed.has(s));
  };

  const consent = async (request: Request): Promise<Response> => {
    if (request.method === 'GET') {
      const id = requestParam(request);
      const pending = await grants.request(id);
      if (!pending) return expired();
      const session = await sessionOf(request);
      if (!session) return seeOther(`/oauth/sign-in?request=${encodeURIComponent(id)}`);
      if (session.user.tenants.length === 0) return html(messagePage('No workspace', 'Your account belongs to no Pact workspace yet.'), 403);
      const redirect = new URL(pending.redirectUri);
      const page = consentPage({
        requestId: id,
        formToken: formTokens.issue(id, session.token),
        client: await clientOf(pending.clientId),
        redirectHost: redirect.host,
        loopbackRedirect: ['localhost', '127.0.0.1', '[::1]'].includes(redirect.hostname),
        resource: pending.resource,
        userEmail: session.user.email,
        scopes: pending.scopes,
        tenants: session.user.tenants,
      });
      return new Response(page, { headers: pageHeaders([redirect.origin]) });
    }
    if (request.method !== 'POST') return html(messagePage('Not allowed', 'Use the consent form.'), 405, { allow: 'GET, POST' });
    if (foreignPost(request)) return html(messagePage('Not allowed', 'This form may only be posted from Pact.'), 403);
    const fields = await form(request);
    const id = fields.get('request') ?? '';
    const pending = await grants.request(id);
    if (!pending) return expired();
    const session = await sessionOf(request);
    if (!session) return seeOther(`/oauth/sign-in?request=${encodeURIComponent(id)}`);
    if (!formTokens.verify(id, session.token, fields.get('csrf') ?? '')) {
      return html(messagePage('Not allowed', 'This consent form was not issued to this browser session. Start again from your app.'), 403);
    }
    const decision = fields.get('decision');
    if (decision === 'deny') {
      if (!(await grants.decide(id))) return expired();
      return seeOther(authorizationResponse(pending.redirectUri, issuer, pending.state, { error: 'access_denied', error_description: 'The user denied access.' }));
    }
    if (decision !== 'approve') return html(messagePage('Choose', 'Choose Allow or Deny.'), 400);
    const tenant = session.user.tenants.find((t) => t.id === fields.get('tenant'));
    if (!tenant) return html(messagePage('Unknown workspace', 'Choose one of your workspaces.'), 400);
    if (!(await grants.decide(id))) return expired();
    const code = await grants.issueCode(pending, session.user.userId, tenant.id, grantedScopes(pending, tenant));
    return seeOther(authorizationResponse(pending.redirectUri, issuer, pending.state, { code }));
  };

  return {
    /** Answers an OAuth page or discovery document, or returns null for other paths. */
    async handle(request: Request, path: string): Promise<Response | null> {
      const doc = metadata.get(path);
      if (doc) {
        if (request.method === 'OPTIONS') {
          return new Response(null, { status: 204, headers: { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET' } });
        }
        return jsonDoc(doc());
      }
      if (path === '/oauth/sign-in') return signIn(request);
      if (path === '/oauth/consent') return consent(request);
      return null;
    },
  };
}
