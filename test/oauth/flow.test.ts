import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { REDIRECT_URI, browserAuthorize, pkce } from '../helpers/oauth';
import { dbError, startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let clientId: string;

beforeAll(async () => {
  pact = await startTestPact();
  clientId = (await register({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', client_name: 'Flow test' })).body.client_id as string;
});
afterAll(() => pact.close());

async function register(metadata: Record<string, unknown>) {
  const res = await fetch(`${pact.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface AuthorizeParams {
  challenge: string;
  scope?: string;
  state?: string;
  resource?: string | null;
  redirect?: string;
  client?: string;
  method?: string;
}

function authorizeUrl(p: AuthorizeParams): URL {
  const url = new URL(`${pact.url}/oauth/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.client ?? clientId);
  url.searchParams.set('redirect_uri', p.redirect ?? REDIRECT_URI);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', p.method ?? 'S256');
  url.searchParams.set('scope', p.scope ?? 'read:accounts read:contacts read:deals read:workflows offline_access');
  url.searchParams.set('state', p.state ?? 'st-1');
  if (p.resource !== null) url.searchParams.set('resource', p.resource ?? `${pact.url}/mcp/`);
  return url;
}

async function token(body: Record<string, string>) {
  const res = await fetch(`${pact.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, ...body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Signs in on the real pages, approves, and exchanges the code: a fresh grant. */
async function grant(options: Partial<AuthorizeParams> & { email?: string; tenant?: string } = {}) {
  const { verifier, challenge } = pkce();
  const { location } = await browserAuthorize(pact.url, authorizeUrl({ challenge, ...options }), {
    email: options.email ?? 'owner@pact.demo',
    password: DEMO_PASSWORD,
    tenant: options.tenant ?? pact.seed.demoTenantId,
  });
  const code = location.searchParams.get('code') ?? '';
  const tokens = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, resource: options.resource ?? `${pact.url}/mcp/` });
  expect(tokens.status).toBe(200);
  return { code, verifier, tokens: tokens.body };
}

const mcp = (accessToken: string, body: unknown = { jsonrpc: '2.0', id: 1, method: 'tools/list' }, path = '/mcp/') =>
  fetch(`${pact.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(body),
  });

const callTool = (accessToken: string, name: string, args: Record<string, unknown> = {}) =>
  mcp(accessToken, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } });

describe('discovery', () => {
  it('serves protected-resource metadata for each spelling of the MCP URL and at the root, naming the resource used', async () => {
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp/', '/mcp/'],
      ['/.well-known/oauth-protected-resource/mcp', '/mcp'],
      ['/.well-known/oauth-protected-resource', '/mcp/'],
    ] as const) {
      const res = await fetch(`${pact.url}${path}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ resource: `${pact.url}${resource}`, authorization_servers: [pact.url], bearer_methods_supported: ['header'] });
      expect(body.scopes_supported).toEqual(['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'call:federated', 'offline_access']);
    }
  });

  it('serves RFC 8414 authorization-server metadata listing S256 only, registration and revocation', async () => {
    const body = (await (await fetch(`${pact.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: pact.url,
      authorization_endpoint: `${pact.url}/oauth/authorize`,
      token_endpoint: `${pact.url}/oauth/token`,
      registration_endpoint: `${pact.url}/oauth/register`,
      revocation_endpoint: `${pact.url}/oauth/revoke`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
  });

  it('answers an unauthenticated MCP call with 401 naming the metadata and the scopes', async () => {
    for (const [path, doc] of [
      ['/mcp/', '/.well-known/oauth-protected-resource/mcp/'],
      ['/mcp', '/.well-known/oauth-protected-resource/mcp'],
    ] as const) {
      const res = await fetch(`${pact.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${pact.url}${doc}", scope="read:accounts read:contacts read:deals read:workflows call:federated offline_access"`,
      );
    }
  });
});

describe('sign-in and consent pages', () => {
  it('signs in, lists the requested scopes and the user’s tenants, and returns code and state to the exact redirect URI', async () => {
    const { verifier, challenge } = pkce();
    const state = 'a state/with?odd=chars&more';
    const demo = pact.seed.demoTenantId;
    const globex = pact.seed.secondTenantId;
    const result = await browserAuthorize(pact.url, authorizeUrl({ challenge, state }), { email: 'owner@pact.demo', password: DEMO_PASSWORD, tenant: globex });
    for (const scope of ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'offline_access']) {
      expect(result.consentHtml).toContain(`<code>${scope}</code>`);
    }
    expect(result.consentHtml).toContain(`value="${demo}"`);
    expect(result.consentHtml).toContain(`value="${globex}"`);
    expect(result.consentHtml).toContain('Flow test');
    expect(`${result.location.origin}${result.location.pathname}`).toBe(REDIRECT_URI);
    expect(result.location.searchParams.get('state')).toBe(state);
    expect(result.location.searchParams.get('iss')).toBe(pact.url);

    const tokens = await token({ grant_type: 'authorization_code', code: result.location.searchParams.get('code') ?? '', code_verifier: verifier, redirect_uri: REDIRECT_URI });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const res = await callTool(tokens.body.access_token ?? '', 'query_accounts', { first: 50 });
    const body = (await res.json()) as { result: { structuredContent: { items: { id: string }[] } } };
    const ids = body.result.structuredContent.items.map((a) => a.id);
    const owned = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where id in ${ids} and tenant_id = ${globex}`);
    expect(owned[0]?.n).toBe(ids.length);
    const [row] = await pact.sql<{ tenant_id: string }>(sql`select tenant_id from audit_log where path = 'mcp' order by at desc, id desc limit 1`);
    expect(row?.tenant_id).toBe(globex);
  });

  it('refuses a wrong password on the sign-in page without issuing anything', async () => {
    const { challenge } = pkce();
    const start = await fetch(authorizeUrl({ challenge }), { redirect: 'manual' });
    const requestId = new URL(start.headers.get('location') ?? '', pact.url).searchParams.get('request') ?? '';
    const res = await fetch(`${pact.url}/oauth/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request: requestId, email: 'owner@pact.demo', password: 'wrong' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('E-mail or password is incorrect.');
  });

  it('returns access_denied with the state when the user denies', async () => {
    const { challenge } = pkce();
    const { location } = await browserAuthorize(pact.url, authorizeUrl({ challenge, state: 'deny-me' }), {
      email: 'member@pact.demo',
      password: DEMO_PASSWORD,
      decision: 'deny',
    });
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('deny-me');
    expect(location.searchParams.get('iss')).toBe(pact.url);
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('adds iss (RFC 9207) to the error redirects the request validation sends back', async () => {
    const { challenge } = pkce();
    const missing = authorizeUrl({ challenge, state: 'no-pkce' });
    missing.searchParams.delete('code_challenge');
    const wrongType = authorizeUrl({ challenge, state: 'token-type' });
    wrongType.searchParams.set('response_type', 'token');
    for (const [url, error, state] of [
      [authorizeUrl({ challenge, method: 'plain', state: 'plain' }), 'invalid_request', 'plain'],
      [missing, 'invalid_request', 'no-pkce'],
      [wrongType, 'invalid_request', 'token-type'],
      [authorizeUrl({ challenge, scope: 'write:everything', state: 'scope' }), 'invalid_scope', 'scope'],
      [authorizeUrl({ challenge, resource: 'https://elsewhere.example/mcp', state: 'target' }), 'invalid_target', 'target'],
    ] as const) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get('location') ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
      expect(back.searchParams.get('error'), state).toBe(error);
      expect(back.searchParams.get('state')).toBe(state);
      expect(back.searchParams.get('iss')).toBe(pact.url);
      expect(back.searchParams.getAll('iss')).toHaveLength(1);
    }
  });

  it('refuses a consent decision posted without the form token of the signed-in browser', async () => {
    const { challenge } = pkce();
    const start = await fetch(authorizeUrl({ challenge }), { redirect: 'manual' });
    const requestId = new URL(start.headers.get('location') ?? '', pact.url).searchParams.get('request') ?? '';
    const session = await pact.signIn('owner@pact.demo');
    const res = await fetch(`${pact.url}/oauth/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `pact_session=${session}` },
      body: new URLSearchParams({ request: requestId, csrf: 'forged', tenant: pact.seed.demoTenantId, decision: 'approve' }),
    });
    expect(res.status).toBe(403);
    const codes = await pact.sql<{ n: number }>(sql`select count(*)::int as n from oauth_codes where created_at > now() - interval '5 seconds' and user_id is not null and redirect_uri = ${'never'}`);
    expect(codes[0]?.n).toBe(0);
  });
});

describe('negative cases', () => {
  it('refuses a wrong PKCE verifier, and PKCE is required (S256 only)', async () => {
    const { challenge } = pkce();
    const { location } = await browserAuthorize(pact.url, authorizeUrl({ challenge }), { email: 'owner@pact.demo', password: DEMO_PASSWORD });
    const res = await token({ grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '', code_verifier: pkce().verifier, redirect_uri: REDIRECT_URI });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');

    const plain = await fetch(authorizeUrl({ challenge, method: 'plain' }), { redirect: 'manual' });
    expect(new URL(plain.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const missing = authorizeUrl({ challenge });
    missing.searchParams.delete('code_challenge');
    const none = await fetch(missing, { redirect: 'manual' });
    expect(new URL(none.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a reused authorization code and revokes the tokens it issued', async () => {
    const { code, verifier, tokens } = await grant();
    expect((await mcp(tokens.access_token ?? '')).status).toBe(200);
    const again = await token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expect((await mcp(tokens.access_token ?? '')).status).toBe(401);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('answers an expired access token with 401 invalid_token', async () => {
    const { tokens } = await grant();
    await pact.sql(sql`update oauth_tokens set expires_at = now() - interval '1 second' where kind = 'access' and created_at > now() - interval '10 seconds'`);
    const res = await mcp(tokens.access_token ?? '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('revokes tokens at /oauth/revoke: the access token and, for a refresh token, the whole grant', async () => {
    const first = await grant();
    const revoke = (value: string) =>
      fetch(`${pact.url}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, token: value }),
      });
    expect((await revoke(first.tokens.access_token ?? '')).status).toBe(200);
    const res = await mcp(first.tokens.access_token ?? '');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);

    const second = await grant();
    expect((await revoke(second.tokens.refresh_token ?? '')).status).toBe(200);
    expect((await mcp(second.tokens.access_token ?? '')).status).toBe(401);
    expect((await token({ grant_type: 'refresh_token', refresh_token: second.tokens.refresh_token ?? '' })).body.error).toBe('invalid_grant');
  });

  it('binds tokens to their resource: a /graphql token is refused at /mcp and an MCP token at /graphql', async () => {
    const forGraphql = await grant({ resource: `${pact.url}/graphql` });
    const res = await mcp(forGraphql.tokens.access_token ?? '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const viaGraphql = await pact.gql('{ viewer { role tenantSlug } }', {}, { token: forGraphql.tokens.access_token });
    expect(viaGraphql.body.data).toEqual({ viewer: { role: 'owner', tenantSlug: 'demo' } });

    const forMcp = await grant();
    const refused = await pact.gql('{ viewer { role } }', {}, { token: forMcp.tokens.access_token });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'WRONG_AUDIENCE' });
    for (const path of ['/mcp', '/mcp/']) expect((await mcp(forMcp.tokens.access_token ?? '', undefined, path)).status).toBe(200);

    const { challenge } = pkce();
    const foreign = await fetch(authorizeUrl({ challenge, resource: 'https://evil.example/mcp/' }), { redirect: 'manual' });
    const back = new URL(foreign.headers.get('location') ?? '');
    expect(back.searchParams.get('error')).toBe('invalid_target');
    expect(back.searchParams.get('state')).toBe('st-1');
  });

  it('answers a missing tool scope with 403 insufficient_scope naming it, so the client can step up', async () => {
    const narrow = await grant({ scope: 'read:accounts' });
    expect(narrow.tokens.scope).toBe('read:accounts');
    expect(narrow.tokens.refresh_token).toBeUndefined();
    const res = await callTool(narrow.tokens.access_token ?? '', 'query_contacts', { first: 1 });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="read:contacts", resource_metadata="/);
    const [row] = await pact.sql<{ outcome: string; operation: string }>(sql`select outcome::text, operation from audit_log order by at desc, id desc limit 1`);
    expect(row).toEqual({ outcome: 'denied', operation: 'query_contacts' });
    expect((await callTool(narrow.tokens.access_token ?? '', 'query_accounts', { first: 1 })).status).toBe(200);
  });

  it('rotates refresh tokens, and a rotated refresh token presented again revokes the whole grant', async () => {
    const { tokens } = await grant();
    const rotated = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await mcp(rotated.body.access_token ?? '')).status).toBe(200);

    const replay = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await mcp(rotated.body.access_token ?? '')).status).toBe(401);
    expect((await token({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token ?? '' })).body.error).toBe('invalid_grant');
  });

  it('refuses registrations whose redirect URIs are not https or loopback http, and changes nothing', async () => {
    const before = (await pact.sql<{ n: number }>(sql`select count(*)::int as n from oauth_clients`))[0]?.n;
    for (const [uri, message] of [
      ['javascript:alert(1)', /./],
      ['http://evil.example/callback', /non-loopback/],
      ['ftp://127.0.0.1/cb', /./],
      ['https://app.example/cb#frag', /./],
    ] as const) {
      const res = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
      expect(String(res.body.error_description)).toMatch(message);
    }
    expect((await pact.sql<{ n: number }>(sql`select count(*)::int as n from oauth_clients`))[0]?.n).toBe(before);
    const ok = await register({ redirect_uris: ['https://claude.example/api/mcp/auth_callback', 'http://localhost:6274/cb'], client_name: 'ok' });
    expect(ok.status).toBe(201);
    expect(ok.body.client_secret).toEqual(expect.any(String));
    const stored = await pact.sql<{ secret_sealed: Buffer | null }>(sql`select secret_sealed from oauth_clients where client_id = ${String(ok.body.client_id)}`);
    expect(stored[0]?.secret_sealed?.toString('latin1')).not.toContain(String(ok.body.client_secret));
  });

  it('applies application_type to registration: native allows an app scheme and loopback, web only https, absent keeps https and loopback', async () => {
    const cases: [Record<string, unknown>, number, RegExp | string | undefined][] = [
      [{ application_type: 'native', redirect_uris: ['com.example.app:/oauth/callback', 'http://127.0.0.1:7777/cb', 'https://app.example/cb'] }, 201, 'native'],
      [{ application_type: 'native', redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'] }, 201, 'native'],
      [{ application_type: 'native', redirect_uris: ['file:///tmp/cb'] }, 400, /file scheme, which no app may claim/],
      [{ application_type: 'native', redirect_uris: ['http://evil.example/cb'] }, 400, /non-loopback/],
      [{ application_type: 'web', redirect_uris: ['https://app.example/cb'] }, 201, 'web'],
      [{ application_type: 'web', redirect_uris: ['http://127.0.0.1:7777/cb'] }, 400, /application_type "web" requires https/],
      [{ application_type: 'web', redirect_uris: ['com.example.app:/cb'] }, 400, /application_type "web" requires https/],
      [{ redirect_uris: ['com.example.app:/oauth/callback'] }, 400, /needs application_type "native"/],
      [{ redirect_uris: ['http://localhost:7777/cb'] }, 201, undefined],
      [{ application_type: 'desktop', redirect_uris: ['https://app.example/cb'] }, 400, /application_type "desktop" is not supported/],
    ];
    for (const [metadata, status, expected] of cases) {
      const res = await register({ token_endpoint_auth_method: 'none', ...metadata });
      expect(res.status, JSON.stringify(metadata)).toBe(status);
      if (status === 201) {
        expect(res.body.application_type).toBe(expected);
        const [row] = await pact.sql<{ type: string | null }>(sql`select metadata->>'application_type' as type from oauth_clients where client_id = ${String(res.body.client_id)}`);
        expect(row?.type ?? undefined).toBe(expected);
      } else {
        expect(res.body.error).toBe('invalid_client_metadata');
        expect(String(res.body.error_description)).toMatch(expected as RegExp);
      }
    }
  });

  it('requires an exact redirect URI: another port on loopback is refused without redirecting', async () => {
    const { challenge } = pkce();
    const res = await fetch(authorizeUrl({ challenge, redirect: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const unknown = await fetch(authorizeUrl({ challenge, client: 'no-such-client' }), { redirect: 'manual' });
    expect(unknown.status).toBe(400);
  });

  it('keeps each request’s state: two interleaved authorizations each get their own back', async () => {
    const a = pkce();
    const b = pkce();
    const [ra, rb] = await Promise.all([
      browserAuthorize(pact.url, authorizeUrl({ challenge: a.challenge, state: 'state-A' }), { email: 'owner@pact.demo', password: DEMO_PASSWORD }),
      browserAuthorize(pact.url, authorizeUrl({ challenge: b.challenge, state: 'state-B' }), { email: 'admin@pact.demo', password: DEMO_PASSWORD }),
    ]);
    expect(ra.location.searchParams.get('state')).toBe('state-A');
    expect(rb.location.searchParams.get('state')).toBe('state-B');
    const swapped = await token({ grant_type: 'authorization_code', code: ra.location.searchParams.get('code') ?? '', code_verifier: b.verifier, redirect_uri: REDIRECT_URI });
    expect(swapped.body.error).toBe('invalid_grant');
  });

  it('authenticates confidential clients with client_secret_basic and refuses a wrong secret', async () => {
    const reg = await register({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic', client_name: 'confidential' });
    const id = String(reg.body.client_id);
    const secret = String(reg.body.client_secret);
    const { verifier, challenge } = pkce();
    const { location } = await browserAuthorize(pact.url, authorizeUrl({ challenge, client: id }), { email: 'owner@pact.demo', password: DEMO_PASSWORD });
    const exchange = (pass: string) =>
      fetch(`${pact.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${pass}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '', code_verifier: verifier, redirect_uri: REDIRECT_URI }),
      });
    const wrong = await exchange('nope');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    expect((await exchange(secret)).status).toBe(200);
  });

  it('never accepts a token in the query string', async () => {
    const { tokens } = await grant();
    const res = await fetch(`${pact.url}/mcp/?access_token=${tokens.access_token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(res.status).toBe(401);
  });

  it('keeps OAuth state out of the application role’s reach (requests run as pact_app)', async () => {
    for (const table of ['oauth_clients', 'oauth_requests', 'oauth_codes', 'oauth_tokens']) {
      const message = await dbError(pact.database.withTenant(pact.seed.demoTenantId, (tx) => pact.database.rows(tx, sql.raw(`select count(*) from ${table}`))));
      expect(message).toMatch(/permission denied/);
    }
  });

  it('ends a token when its user leaves the tenant', async () => {
    const { tokens } = await grant({ email: 'member@pact.demo' });
    expect((await mcp(tokens.access_token ?? '')).status).toBe(200);
    await pact.sql(sql`delete from memberships where user_id = (select id from users where email = 'member@pact.demo')`);
    expect((await mcp(tokens.access_token ?? '')).status).toBe(401);
  });
});
