import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport, UnauthorizedError as ModernUnauthorizedError } from '@modelcontextprotocol/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { mapResolver, selfSignedCertificate, startDocumentServer } from '../helpers/document-server';
import { HeadlessOAuthClient, REDIRECT_URI } from '../helpers/oauth';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;

beforeAll(async () => {
  pact = await startTestPact({ oauth: { autoApprove: { email: 'owner@pact.demo', password: DEMO_PASSWORD, tenant: 'demo' } } });
});
afterAll(() => pact.close());

/** Connects the official SDK client with nothing but the server URL, completing OAuth on the first 401. */
async function connectWithOAuth(path: '/mcp/' | '/mcp', oauth = new HeadlessOAuthClient()) {
  const url = new URL(`${pact.url}${path}`);
  const first = new Client({ name: 'oauth-test', version: '1.0.0' });
  await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }))).rejects.toBeInstanceOf(UnauthorizedError);
  expect(oauth.code).toBeTruthy();
  const transport = new StreamableHTTPClientTransport(url, { authProvider: oauth });
  await transport.finishAuth(oauth.code ?? '');
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
  return { client, oauth };
}

describe('the official SDK client connects with only the URL (discovery, registration, PKCE, consent, tokens)', () => {
  it.each(['/mcp/', '/mcp'] as const)('on %s: registers, authorizes, and calls tools with a tenant-bound token', async (path) => {
    const { client, oauth } = await connectWithOAuth(path);
    const auth = oauth.authorizationUrl;
    expect(auth?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth?.searchParams.get('resource')).toBe(`${pact.url}${path}`);
    expect(oauth.returnedState).toBe(oauth.lastState);
    expect(oauth.saved?.access_token).toMatch(/^pact_oat_/);
    expect(oauth.saved?.refresh_token).toMatch(/^pact_ort_/);
    expect(oauth.saved?.scope?.split(' ').sort()).toEqual(['call:federated', 'offline_access', 'read:accounts', 'read:contacts', 'read:deals', 'read:workflows']);

    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('query_accounts');
    const result = await client.callTool({ name: 'query_accounts', arguments: { first: 3 } });
    expect((result.structuredContent as { returned: number }).returned).toBe(3);
    const briefing = (await client.callTool({ name: 'read_briefing', arguments: {} })).structuredContent as { scope: string; owner_name: string };
    expect(briefing).toMatchObject({ scope: 'user', owner_name: 'Owner (Demo)' });
    await client.close();

    const [row] = await pact.sql<{ path: string; client: string; tenant_id: string; user_id: string | null; outcome: string }>(
      sql`select path::text, client, tenant_id, user_id, outcome::text from audit_log where operation = 'query_accounts' order by at desc, id desc limit 1`,
    );
    expect(row).toMatchObject({ path: 'mcp', client: `oauth:${oauth.information?.client_id}`, tenant_id: pact.seed.demoTenantId, outcome: 'ok' });
    expect(row?.user_id).toBeTruthy();
  });

  it('the v2 client (2026-07-28) connects with only the URL too, and its calls are audited under its OAuth client', async () => {
    const url = new URL(`${pact.url}/mcp/`);
    const oauth = new HeadlessOAuthClient();
    const options = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const;
    const first = new ModernClient({ name: 'oauth-v2', version: '1.0.0' }, options);
    await expect(first.connect(new ModernTransport(url, { authProvider: oauth }))).rejects.toBeInstanceOf(ModernUnauthorizedError);
    expect(oauth.authorizationUrl?.searchParams.get('resource')).toBe(`${pact.url}/mcp/`);
    expect(oauth.callback?.get('iss')).toBe(pact.url);
    await new ModernTransport(url, { authProvider: oauth }).finishAuth(oauth.callback ?? new URLSearchParams());
    expect(oauth.saved?.access_token).toMatch(/^pact_oat_/);
    const client = new ModernClient({ name: 'oauth-v2', version: '1.0.0' }, options);
    await client.connect(new ModernTransport(url, { authProvider: oauth }));
    expect((await client.listTools()).tools).toHaveLength(9);
    const result = await client.callTool({ name: 'query_accounts', arguments: { first: 2 } });
    expect((result.structuredContent as { returned: number }).returned).toBe(2);
    await client.close();
    const [row] = await pact.sql<{ client: string; outcome: string }>(
      sql`select client, outcome::text from audit_log where operation = 'query_accounts' order by at desc, id desc limit 1`,
    );
    expect(row).toEqual({ client: `oauth:${oauth.information?.client_id}`, outcome: 'ok' });
  });

  it('refreshes with a rotated refresh token when the access token expires', async () => {
    const { client, oauth } = await connectWithOAuth('/mcp/');
    const before = oauth.saved;
    await pact.sql(sql`update oauth_tokens set expires_at = now() - interval '1 second' where kind = 'access'`);
    await client.close();
    const again = new Client({ name: 'oauth-test', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { authProvider: oauth }));
    expect((await again.listTools()).tools.length).toBeGreaterThan(0);
    expect(oauth.saved?.access_token).not.toBe(before?.access_token);
    expect(oauth.saved?.refresh_token).not.toBe(before?.refresh_token);
    await again.close();
  });

  it('cannot be enabled in a production configuration', () => {
    expect(() =>
      createApp({
        services: pact.services,
        publicUrl: pact.url,
        production: true,
        oauth: { autoApprove: { email: 'owner@pact.demo', password: DEMO_PASSWORD } },
      }),
    ).toThrow(/cannot run in production/);
  });

  it('never writes tokens or codes to the logs', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../src/lib/logger');
    const logged = await startTestPact({
      database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed },
      logger: createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } }),
      oauth: { autoApprove: { email: 'owner@pact.demo', password: DEMO_PASSWORD } },
    });
    try {
      const oauth = new HeadlessOAuthClient({ client_name: `logs ${randomBytes(4).toString('hex')}` });
      const url = new URL(`${logged.url}/mcp/`);
      await expect(new Client({ name: 'l', version: '1' }).connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }))).rejects.toThrow();
      await new StreamableHTTPClientTransport(url, { authProvider: oauth }).finishAuth(oauth.code ?? '');
      const client = new Client({ name: 'l', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
      await client.callTool({ name: 'query_accounts', arguments: { first: 1 } });
      await client.close();
      const all = lines.join('\n');
      expect(all).not.toContain(oauth.saved?.access_token ?? 'missing');
      expect(all).not.toContain(oauth.saved?.refresh_token ?? 'missing');
      expect(all).not.toContain(oauth.code ?? 'missing');
      expect(all).not.toMatch(/pact_o[ar]t_/);
    } finally {
      await logged.close();
    }
  });
});

describe('the official SDK client with a Client ID Metadata Document (no registration)', () => {
  it('uses its https metadata URL as client_id: the document is fetched over TLS at the pinned address, and tools answer', async () => {
    const tls = selfSignedCertificate(['client.test']);
    const docs = await startDocumentServer(tls);
    const metadataUrl = `https://client.test:${docs.port}/oauth/client.json`;
    docs.routes.set('/oauth/client.json', {
      headers: { 'cache-control': 'max-age=3600' },
      body: JSON.stringify({ client_id: metadataUrl, client_name: 'SDK CIMD client', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
    });
    const cimd = await startTestPact({
      database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed },
      oauth: { autoApprove: { email: 'owner@pact.demo', password: DEMO_PASSWORD, tenant: 'demo' } },
      clientMetadata: { allowPrivate: true, resolver: mapResolver({ 'client.test': ['127.0.0.1'] }), ca: tls.cert },
    });
    try {
      const registered = async () => (await pact.sql<{ n: number }>(sql`select count(*)::int as n from oauth_clients where kind = 'registered'`))[0]?.n;
      const before = await registered();
      const oauth = new (class extends HeadlessOAuthClient {
        clientMetadataUrl = metadataUrl;
      })();
      const url = new URL(`${cimd.url}/mcp/`);
      await expect(new Client({ name: 'cimd', version: '1' }).connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }))).rejects.toBeInstanceOf(UnauthorizedError);
      expect(oauth.authorizationUrl?.searchParams.get('client_id')).toBe(metadataUrl);
      await new StreamableHTTPClientTransport(url, { authProvider: oauth }).finishAuth(oauth.code ?? '');
      const client = new Client({ name: 'cimd', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('query_accounts');
      await client.close();
      expect(await registered()).toBe(before);
      expect(docs.hits.get('/oauth/client.json')).toBe(1);
      expect(docs.hosts).toEqual([`client.test:${docs.port}`]);
      const [token] = await pact.sql<{ client_id: string }>(sql`select client_id from oauth_tokens where kind = 'access' order by created_at desc limit 1`);
      expect(token?.client_id).toBe(metadataUrl);
    } finally {
      await cimd.close();
      await docs.close();
    }
  });
});
