import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/services/auth/authenticator';
import { persistedText, startTestPact, type TestPact } from '../helpers/pact';
import { ConsoleViewerDocument } from '../../src/generated/graphql/graphql';

let pact: TestPact;
beforeAll(async () => {
  pact = await startTestPact();
});
afterAll(() => pact.close());

const securityEvents = async () => (await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events`))[0]?.n ?? 0;

describe('sign-in', () => {
  it('gives a browser session cookie and a pact_sess_ token for tools', async () => {
    const browser = await fetch(`${pact.url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'Manager@Pact.Demo', password: 'pact-demo' }),
    });
    expect(browser.status).toBe(200);
    const cookie = browser.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^pact_session=pact_sess_[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax/);
    expect(((await browser.json()) as { token?: string }).token).toBeUndefined();
    // A console session runs persisted operations only (GraphiQL, in development, may send text).
    const viaCookie = await pact.gql<{ viewer: { role: string; tenantSlug: string } }>(persistedText(ConsoleViewerDocument), {}, { cookie: cookie.split(';')[0] ?? '' });
    expect(viaCookie.body.data?.viewer).toMatchObject({ role: 'manager', tenantSlug: 'demo' });

    const token = await pact.signIn('member@pact.demo');
    expect(token).toMatch(/^pact_sess_/);
    const viaToken = await pact.gql<{ viewer: { role: string; scopes: string[] } }>('{ viewer { role scopes } }', {}, { token });
    expect(viaToken.body.data?.viewer).toEqual({
      role: 'member',
      scopes: ['call:federated', 'read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'write:crm'],
    });
  });

  it('stores only hashes of session tokens', async () => {
    const token = await pact.signIn('admin@pact.demo');
    const rows = await pact.sql<{ n: number }>(sql`select count(*)::int as n from user_sessions where token_hash = ${token}`);
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses a wrong password or unknown e-mail with 401 and the same code, recording a security event', async () => {
    const before = await securityEvents();
    for (const body of [
      { email: 'owner@pact.demo', password: 'wrong' },
      { email: 'nobody@pact.demo', password: 'pact-demo' },
    ]) {
      const res = await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'E-mail or password is incorrect.' } });
    }
    expect(await securityEvents()).toBe(before + 2);
  });

  it('answers malformed sign-in bodies with 400', async () => {
    const res = await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('asks a user of several tenants to choose one with X-Tenant-ID', async () => {
    const token = await pact.signIn('owner@pact.demo');
    const none = await pact.gql('{ viewer { tenantSlug } }', {}, { token });
    expect(none.status).toBe(400);
    expect(none.body.errors?.[0]?.extensions).toMatchObject({ code: 'TENANT_REQUIRED', tenants: expect.arrayContaining(['demo', 'globex']) });
    const demo = await pact.gql('{ viewer { tenantSlug role } }', {}, { token, tenant: 'demo' });
    expect(demo.body.data).toEqual({ viewer: { tenantSlug: 'demo', role: 'owner' } });
    const globex = await pact.gql('{ viewer { tenantSlug role } }', {}, { token, tenant: pact.seed.secondTenantId });
    expect(globex.body.data).toEqual({ viewer: { tenantSlug: 'globex', role: 'admin' } });
    const unknown = await pact.gql('{ viewer { tenantSlug } }', {}, { token, tenant: 'initech' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('UNKNOWN_TENANT');
  });

  it('signing out ends the session', async () => {
    const token = await pact.signIn('member@pact.demo');
    const out = await fetch(`${pact.url}/auth/sign-out`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(out.status).toBe(200);
    const res = await pact.gql('{ viewer { role } }', {}, { token });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('bearer credentials on /graphql', () => {
  it.each([
    ['no credentials', undefined],
    ['an unknown API key', 'pact_live_notarealkey'],
    ['an unknown session token', 'pact_sess_notarealsession'],
    ['a token of no known kind', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
  ])('answers %s with 401 UNAUTHENTICATED, writes a security event and no data', async (_, token) => {
    const before = await securityEvents();
    const res = await pact.gql('{ accounts { returned } }', {}, { token });
    expect(res.status).toBe(401);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await securityEvents()).toBe(before + 1);
  });
});

describe('API keys', () => {
  it('are minted with chosen scopes, shown once, stored only as a hash, and resolve to role api', async () => {
    const owner = await pact.signIn('admin@pact.demo');
    const minted = await pact.gql<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string; scopes: string[] } } }>(
      'mutation { createApiKey(input: { name: "ci", scopes: ["read:deals", "read:accounts"] }) { secret apiKey { id prefix scopes } } }',
      {},
      { token: owner },
    );
    const created = minted.body.data?.createApiKey;
    expect(created?.secret).toMatch(/^pact_live_[A-Za-z0-9_-]{32}$/);
    expect(created?.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created?.apiKey.scopes).toEqual(['read:deals', 'read:accounts']);
    const stored = await pact.sql<{ secret_hash: string }>(sql`select secret_hash from api_keys where id = ${created?.apiKey.id}`);
    expect(stored[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created?.secret);
    const viewer = await pact.gql('{ viewer { role scopes userId } }', {}, { token: created?.secret });
    expect(viewer.body.data).toEqual({ viewer: { role: 'api', scopes: ['read:accounts', 'read:deals'], userId: null } });
    const listed = await pact.gql<{ apiKeys: Record<string, unknown>[] }>('{ apiKeys { id name scopes } }', {}, { token: owner });
    expect(listed.body.data?.apiKeys.find((k) => k.id === created?.apiKey.id)).toEqual({ id: created?.apiKey.id, name: 'ci', scopes: ['read:deals', 'read:accounts'] });
    expect(JSON.stringify(listed.body)).not.toContain('pact_live_');
  });

  it('stop working at once when revoked, with a specific reason', async () => {
    const owner = await pact.signIn('admin@pact.demo');
    const key = await pact.mintKey(owner, ['read:accounts']);
    expect((await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key })).status).toBe(200);
    const [row] = await pact.sql<{ id: string }>(sql`select id from api_keys where secret_hash = ${hashSecret(key)}`);
    const revoked = await pact.gql<{ revokeApiKey: { revokedAt: string | null } }>(
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id: row?.id },
      { token: owner },
    );
    expect(revoked.body.data?.revokeApiKey.revokedAt).toBeTruthy();
    const after = await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key });
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });
  });

  it('refuses unknown scopes and admin scopes at mint, writing nothing', async () => {
    const owner = await pact.signIn('admin@pact.demo');
    const [before] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from api_keys`);
    for (const scopes of [['read:everything'], ['admin:keys'], []]) {
      const res = await pact.gql('mutation($s: [String!]!) { createApiKey(input: { name: "x", scopes: $s }) { secret } }', { s: scopes }, { token: owner });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.data).toBeNull();
    }
    const [after] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from api_keys`);
    expect(after?.n).toBe(before?.n);
  });

  it('people mint keys within their own scopes; a key never manages keys (the role gate is in test/graphql/roles)', async () => {
    const manager = await pact.signIn('manager@pact.demo');
    const res = await pact.gql('mutation { createApiKey(input: { name: "x", scopes: ["read:deals"] }) { secret } }', {}, { token: manager });
    expect(res.body.errors).toBeUndefined();
    const key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:deals', 'write:crm']);
    const byKey = await pact.gql('{ apiKeys { id } }', {}, { token: key });
    expect(byKey.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin', 'manager', 'member'], role: 'api' });
  });
});
