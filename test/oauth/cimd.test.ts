import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { mapResolver, startDocumentServer, type DocumentServer } from '../helpers/document-server';
import { REDIRECT_URI, browserAuthorize, pkce } from '../helpers/oauth';
import { startTestPact, type TestPact } from '../helpers/pact';

let docs: DocumentServer;
let pact: TestPact;
/** A second instance on the same database without the development allowance. */
let strict: TestPact;

const resolver = mapResolver({
  'client.test': ['127.0.0.1'],
  'internal.test': ['10.0.0.7'],
  'meta.test': ['169.254.169.254'],
  'ula.test': ['fd00:ec2::254'],
});

const doc = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ client_id: id, client_name: 'Doc <b>Client</b>', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', ...extra });

/** Serves a document at `path` (its client_id is its own URL unless `extra` says otherwise) and returns that URL. */
function serve(path: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): string {
  const id = `${docs.url}${path}`;
  docs.routes.set(path, { body: doc(id, extra), headers });
  return id;
}

beforeAll(async () => {
  docs = await startDocumentServer();
  pact = await startTestPact({ clientMetadata: { allowPrivate: true, resolver, timeoutMs: 500 } });
  strict = await startTestPact({ database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed }, clientMetadata: { resolver } });
});
afterAll(async () => {
  await strict.close();
  await pact.close();
  await docs.close();
});

function authorizeUrl(base: string, clientId: string, challenge: string, redirect = REDIRECT_URI): URL {
  const url = new URL(`${base}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'read:accounts offline_access',
    state: 'cimd-state',
    resource: `${base}/mcp/`,
  })) {
    url.searchParams.set(k, v);
  }
  return url;
}

const form = (base: string, path: string, body: Record<string, string>) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });

/** Starts an authorization and returns the refusal: status, body, and whether it redirected. */
async function refused(base: string, clientId: string, redirect = REDIRECT_URI) {
  const res = await fetch(authorizeUrl(base, clientId, pkce().challenge, redirect), { redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, location: res.headers.get('location'), text, description: (() => { try { return String((JSON.parse(text) as { error_description?: string }).error_description); } catch { return text; } })() };
}

describe('Client ID Metadata Documents', () => {
  it('advertises metadata-document clients and iss in authorization responses', async () => {
    const body = (await (await fetch(`${pact.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(body.client_id_metadata_document_supported).toBe(true);
    expect(body.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('accepts a URL client_id without registration: consent names the client and the verified host, then tokens work', async () => {
    const clientId = serve('/flow.json', {}, { 'cache-control': 'max-age=600' });
    const { verifier, challenge } = pkce();
    const { location, consentHtml } = await browserAuthorize(pact.url, authorizeUrl(pact.url, clientId, challenge), { email: 'owner@pact.demo', password: DEMO_PASSWORD });
    expect(consentHtml).toContain('Doc &#60;b&#62;Client&#60;/b&#62;');
    expect(consentHtml).not.toContain('<b>Client</b>');
    expect(consentHtml).toContain(`published by <strong>127.0.0.1:${docs.port}</strong>`);
    expect(consentHtml).toContain('is the name the client gives itself');
    expect(location.searchParams.get('state')).toBe('cimd-state');
    expect(location.searchParams.get('iss')).toBe(pact.url);
    const code = location.searchParams.get('code') ?? '';

    const tokens = await form(pact.url, '/oauth/token', { grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    expect(tokens.status).toBe(200);
    const { access_token, refresh_token } = (await tokens.json()) as { access_token: string; refresh_token: string };
    const mcp = await fetch(`${pact.url}/mcp/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${access_token}` },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(mcp.status).toBe(200);

    const rows = await pact.sql<{ kind: string; n: number }>(
      sql`select c.kind, (select count(*)::int from oauth_tokens t where t.client_id = c.client_id) as n from oauth_clients c where c.client_id = ${clientId}`,
    );
    expect(rows).toEqual([{ kind: 'metadata_document', n: 2 }]);

    expect((await form(pact.url, '/oauth/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token, client_secret: 'made-up' })).status).toBe(200);
    expect((await form(pact.url, '/oauth/revoke', { client_id: clientId, token: access_token })).status).toBe(200);
    const revoked = await pact.sql<{ revoked: boolean }>(sql`select revoked_at is not null as revoked from oauth_tokens where client_id = ${clientId} and kind = 'access' order by created_at limit 1`);
    expect(revoked[0]?.revoked).toBe(true);
  });

  it('caches the document as its max-age allows, and fetches it again once expired', async () => {
    const clientId = serve('/cached.json', {}, { 'cache-control': 'public, max-age=600' });
    const start = async () => (await fetch(authorizeUrl(pact.url, clientId, pkce().challenge), { redirect: 'manual' })).status;
    expect(await start()).toBe(302);
    expect(await start()).toBe(302);
    expect(docs.hits.get('/cached.json')).toBe(1);
    const [row] = await pact.sql<{ ttl: number }>(sql`select extract(epoch from metadata_expires_at - now())::int as ttl from oauth_clients where client_id = ${clientId}`);
    expect(row?.ttl).toBeGreaterThan(590);
    expect(row?.ttl).toBeLessThanOrEqual(600);
    await pact.sql(sql`update oauth_clients set metadata_expires_at = now() - interval '1 second' where client_id = ${clientId}`);
    expect(await start()).toBe(302);
    expect(docs.hits.get('/cached.json')).toBe(2);
  });

  it('refuses a document whose client_id differs from its URL, or that lists no such redirect URI, without redirecting', async () => {
    const other = `${docs.url}/someone-else.json`;
    docs.routes.set('/mismatch.json', { body: doc(other) });
    const mismatch = await refused(pact.url, `${docs.url}/mismatch.json`);
    expect(mismatch).toMatchObject({ status: 400, location: null });
    expect(mismatch.description).toMatch(/client_id does not equal its URL/);

    const clientId = serve('/redirects.json');
    const unlisted = await refused(pact.url, clientId, 'http://127.0.0.1:43117/elsewhere');
    expect(unlisted).toMatchObject({ status: 400, location: null });
    const otherPort = await refused(pact.url, clientId, 'http://127.0.0.1:9999/callback');
    expect(otherPort).toMatchObject({ status: 400, location: null });
  });

  it('refuses documents that are too large, slow, not JSON, redirected, or carry a secret, saying why', async () => {
    const cases: [string, () => void, RegExp][] = [
      ['/large.json', () => serve('/large.json', { padding: 'x'.repeat(6000) }), /more than 5120 bytes/],
      ['/slow.json', () => docs.routes.set('/slow.json', { handler: () => undefined }), /did not answer within 500 ms/],
      ['/html.json', () => docs.routes.set('/html.json', { headers: { 'content-type': 'text/html' }, body: '<html></html>' }), /content type is "text\/html"/],
      ['/broken.json', () => docs.routes.set('/broken.json', { body: '{"client_id": ' }), /not valid JSON/],
      ['/moved.json', () => docs.routes.set('/moved.json', { status: 302, headers: { location: `${docs.url}/flow.json` } }), /HTTP 302; redirects are not followed/],
      ['/missing.json', () => undefined, /HTTP 404/],
      ['/secret.json', () => serve('/secret.json', { client_secret: 'shh' }), /client secret/],
      ['/basic.json', () => serve('/basic.json', { token_endpoint_auth_method: 'client_secret_basic' }), /public \("none"\)/],
      ['/nameless.json', () => serve('/nameless.json', { client_name: undefined }), /no client_name/],
      ['/script.json', () => serve('/script.json', { redirect_uris: ['javascript:alert(1)'] }), /malformed \(redirect_uris\.0\)/],
      ['/plain.json', () => serve('/plain.json', { redirect_uris: ['http://evil.example/cb'] }), /http on a non-loopback host/],
      ['/grant.json', () => serve('/grant.json', { grant_types: ['client_credentials'] }), /grant type "client_credentials" is not supported/],
    ];
    for (const [path, setup, message] of cases) {
      setup();
      const result = await refused(pact.url, `${docs.url}${path}`);
      expect(result.status, path).toBe(400);
      expect(result.location, path).toBeNull();
      expect(result.description, path).toMatch(message);
    }
    const stored = await pact.sql<{ n: number }>(sql`select count(*)::int as n from oauth_clients where client_id like ${`${docs.url}/%`} and client_id not in (${`${docs.url}/flow.json`}, ${`${docs.url}/cached.json`}, ${`${docs.url}/redirects.json`})`);
    expect(stored[0]?.n).toBe(0);
  });

  it('without the development allowance refuses documents on loopback, private, metadata and unique-local hosts before fetching', async () => {
    const clientId = serve('/strict.json');
    const before = docs.hits.get('/strict.json') ?? 0;
    for (const [id, message] of [
      [clientId, /must be an https URL/],
      [`https://127.0.0.1:${docs.port}/strict.json`, /loopback address: not fetched/],
      ['https://[::1]/strict.json', /loopback address: not fetched/],
      ['https://10.0.0.1/doc.json', /private address: not fetched/],
      ['https://192.168.4.4/doc.json', /private address: not fetched/],
      ['https://[fc00::1]/doc.json', /uniqueLocal address: not fetched/],
      ['https://[::ffff:a00:1]/doc.json', /embeds an IPv4 address that is a private address/],
      ['https://169.254.169.254/latest/meta-data', /metadata address/],
      [`https://client.test:${docs.port}/strict.json`, /resolves to an address that is a loopback address/],
      ['https://internal.test/doc.json', /resolves to an address that is a private address/],
      ['https://meta.test/doc.json', /resolves to an address that is a cloud metadata address/],
      ['https://ula.test/doc.json', /resolves to an address that is a cloud metadata address/],
      ['https://2130706433/doc.json', /normal form/],
      ['https://client.test/', /must contain a path/],
      ['https://u:p@client.test/doc.json', /credentials/],
    ] as const) {
      const result = await refused(strict.url, id);
      expect(result.status, id).toBe(400);
      expect(result.location, id).toBeNull();
      expect(result.description, id).toMatch(message);
    }
    expect(docs.hits.get('/strict.json') ?? 0).toBe(before);
  });
});
