import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleAuditLogDocument,
  ConsoleConsentSubjectsDocument,
  ConsoleSuppressConsentDocument,
  ConsoleUsageDocument,
  ConsoleViewerDocument,
  QueryContactsDocument,
} from '../../src/generated/graphql/graphql';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { startTestPact, type TestPact } from '../helpers/pact';

const hash = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

let pact: TestPact;
let dist: string;
let adminToken: string;

/** A console session cookie for a seeded user. */
async function cookieFor(email: string): Promise<string> {
  const res = await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** What the console sends: the persisted hash and variables, the cookie and the CSRF header. */
async function consoleCall<T>(cookie: string, document: unknown, variables: Record<string, unknown> = {}, tenant = 'demo') {
  const res = await fetch(`${pact.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-pact-csrf': '1', ...(tenant ? { 'x-tenant-id': tenant } : {}) },
    body: JSON.stringify({ documentId: hash(document), variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } };
}

interface AuditRow extends Record<string, unknown> {
  path: string;
  operation: string;
  outcome: string;
  result_count: number;
  consent_hidden: number;
  cost_microcents: number;
  user_id: string | null;
}
const lastAudit = async (path: string) =>
  (
    await pact.sql<AuditRow>(
      sql`select path, operation, outcome, result_count, consent_hidden, cost_microcents::int as cost_microcents, user_id from audit_log where tenant_id = ${pact.seed.demoTenantId} and path = ${path} order by seq desc limit 1`,
    )
  )[0];

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'pact-console-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/ui/assets/app.js"></script>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  pact = await startTestPact({ consoleDist: dist });
  adminToken = await pact.signIn('admin@pact.demo');
});
afterAll(async () => {
  await pact.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('serving the console', () => {
  it('redirects / to /ui/ and serves the app with a strict CSP on every client route', async () => {
    const root = await fetch(`${pact.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const json = await fetch(`${pact.url}/`, { headers: { accept: 'application/json' } });
    expect(((await json.json()) as { console: string }).console).toBe(`${pact.url}/ui/`);
    for (const path of ['/ui/', '/ui/contacts/123', '/ui/audit?path=UI']) {
      const page = await fetch(`${pact.url}${path}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
    }
    const asset = await fetch(`${pact.url}/ui/assets/app.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${pact.url}/ui/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${pact.url}/ui/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${pact.url}/ui/assets/%E0%A4%A.js`)).status).toBe(404);
    expect((await fetch(`${pact.url}/ui/assets/app.js`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the console session', () => {
  it('refuses a sign-in that is not JSON (a cross-site form cannot sign a browser in)', async () => {
    const res = await fetch(`${pact.url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=admin%40pact.demo&password=pact-demo',
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('marks the cookie Secure behind https', async () => {
    const secure = await startTestPact({ secureCookies: true, database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed } });
    try {
      const res = await fetch(`${secure.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'member@pact.demo', password: DEMO_PASSWORD }) });
      expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax; Secure/);
    } finally {
      await secure.close();
    }
  });

  it('refuses a cookie call without the CSRF header, and query text from a console session', async () => {
    const cookie = await cookieFor('admin@pact.demo');
    const noHeader = await fetch(`${pact.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-tenant-id': 'demo' },
      body: JSON.stringify({ documentId: hash(ConsoleViewerDocument) }),
    });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]?.extensions.reason).toBe('CSRF');
    const text = await pact.gql('{ viewer { role } }', {}, { cookie, tenant: 'demo' });
    expect(text.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_OPERATIONS_ONLY');
    const ok = await consoleCall<{ viewer: { role: string; tenants: { slug: string }[] } }>(cookie, ConsoleViewerDocument);
    expect(ok.body.data?.viewer.role).toBe('admin');
  });

  it('lists every tenant of a user for the tenant switcher', async () => {
    const cookie = await cookieFor('owner@pact.demo');
    const none = await consoleCall(cookie, ConsoleViewerDocument, {}, '');
    expect(none.body.errors?.[0]?.extensions?.code).toBe('TENANT_REQUIRED');
    const demo = await consoleCall<{ viewer: { role: string; tenants: { slug: string; role: string }[] } }>(cookie, ConsoleViewerDocument, {}, 'demo');
    expect(demo.body.data?.viewer.tenants.map((t) => [t.slug, t.role])).toEqual([
      ['globex', 'admin'],
      ['demo', 'owner'],
    ]);
    const globex = await consoleCall<{ viewer: { role: string } }>(cookie, ConsoleViewerDocument, {}, 'globex');
    expect(globex.body.data?.viewer.role).toBe('admin');
  });
});

describe('the same guarantees on the UI path as on /graphql and MCP', () => {
  it('answers the same operation with the same consent count, PII, audit counts and cost on ui, graphql and mcp', async () => {
    type Contacts = { contacts: { consent_filtered: number; returned: number; items: { id: string; name: string | null; email: string | null }[] } };
    const variables = { first: 10 };
    const cookie = await cookieFor('admin@pact.demo');
    const ui = await consoleCall<Contacts>(cookie, QueryContactsDocument, variables);
    const uiRow = await lastAudit('ui');

    const key = await pact.mintKey(adminToken, ['read:contacts']);
    const api = await fetch(`${pact.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ documentId: hash(QueryContactsDocument), variables }),
    });
    const apiBody = (await api.json()) as { data: Contacts };
    const apiRow = await lastAudit('graphql');

    const client = new Client({ name: 'console-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const mcp = (await client.callTool({ name: 'query_contacts', arguments: variables })).structuredContent as Contacts['contacts'];
    await client.close();
    const mcpRow = await lastAudit('mcp');

    expect(ui.body.data?.contacts.consent_filtered).toBeGreaterThan(0);
    expect(ui.body.data?.contacts).toEqual(apiBody.data.contacts);
    expect(mcp.consent_filtered).toBe(ui.body.data?.contacts.consent_filtered);
    expect(mcp.items.map((c) => [c.id, c.email])).toEqual(ui.body.data?.contacts.items.map((c) => [c.id, c.email]));
    // PII is decrypted on every path alike.
    expect(ui.body.data?.contacts.items[0]?.email).toMatch(/@/);
    for (const row of [uiRow, apiRow, mcpRow]) {
      expect(row).toMatchObject({ outcome: 'ok', result_count: 10, consent_hidden: ui.body.data?.contacts.consent_filtered, cost_microcents: apiRow?.cost_microcents });
    }
    expect(uiRow?.user_id).toBe(pact.seed.users.find((u) => u.email === 'admin@pact.demo')?.id);
  });

  it('reflects a consent change made in the console in the counts every path reads', async () => {
    const cookie = await cookieFor('admin@pact.demo');
    type Overview = { consentOverview: { hidden: { contacts: number } } };
    const before = await consoleCall<Overview>(cookie, ConsoleConsentSubjectsDocument, { first: 5 });
    const [contact] = await pact.sql<{ id: string }>(sql`select id from contacts where tenant_id = ${pact.seed.demoTenantId} order by id limit 1`);
    const listed = await consoleCall<{ contacts: { items: { id: string; email: string }[]; consent_filtered: number } }>(cookie, QueryContactsDocument, { first: 100 });
    const target = listed.body.data?.contacts.items.find((c) => c.id === contact?.id) ?? listed.body.data?.contacts.items[0];
    expect(target?.email).toMatch(/@/);
    const suppressed = await consoleCall<{ suppressConsent: { status: string } }>(cookie, ConsoleSuppressConsentDocument, { subject: { kind: 'EMAIL', value: target?.email }, reason: 'console test' });
    expect(suppressed.body.data?.suppressConsent.status).toBe('SUPPRESSED');
    const after = await consoleCall<Overview>(cookie, ConsoleConsentSubjectsDocument, { first: 5 });
    expect(after.body.data?.consentOverview.hidden.contacts).toBe((before.body.data?.consentOverview.hidden.contacts ?? 0) + 1);
    const api = await pact.gql<{ contacts: { consentFiltered: number } }>('{ contacts(first: 1) { consentFiltered } }', {}, { token: adminToken, tenant: 'demo' });
    expect(api.body.data?.contacts.consentFiltered).toBe(after.body.data?.consentOverview.hidden.contacts);
    const [row] = await pact.sql<AuditRow>(sql`select path, outcome from audit_log where tenant_id = ${pact.seed.demoTenantId} and operation = 'suppressConsent' order by seq desc limit 1`);
    expect(row).toMatchObject({ path: 'ui', outcome: 'ok' });
  });
});

describe('the queries behind the pages', () => {
  it("lists a deal's activities, and nothing for a deal consent hides", async () => {
    const [deal] = await pact.sql<{ deal_id: string; n: number }>(
      sql`select a.deal_id, count(*)::int as n from activities a join deals d on d.id = a.deal_id
          where a.tenant_id = ${pact.seed.demoTenantId} and not d.consent_hidden and a.contact_id is null group by a.deal_id order by n desc limit 1`,
    );
    expect(deal).toBeDefined();
    const q = 'query($id: ID!) { dealActivities(dealId: $id) { returned consentFiltered items { id subject } } }';
    const res = await pact.gql<{ dealActivities: { returned: number; consentFiltered: number } }>(q, { id: deal?.deal_id }, { token: adminToken, tenant: 'demo' });
    expect(res.body.data?.dealActivities.returned).toBeGreaterThanOrEqual(deal?.n ?? 1);
    const [hidden] = await pact.sql<{ id: string }>(sql`select id from deals where tenant_id = ${pact.seed.demoTenantId} and consent_hidden limit 1`);
    const none = await pact.gql<{ dealActivities: { returned: number } }>(q, { id: hidden?.id }, { token: adminToken, tenant: 'demo' });
    expect(none.body.data?.dealActivities.returned).toBe(0);
  });

  it('searches the audit log (read:audit) for owners, admins and auditor keys, and refuses members', async () => {
    const admin = await cookieFor('admin@pact.demo');
    const byUi = await consoleCall<{ auditLog: { items: { path: string; userEmail: string | null }[] } }>(admin, ConsoleAuditLogDocument, { filter: { path: 'UI' }, first: 5 });
    expect(byUi.body.data?.auditLog.items.length).toBeGreaterThan(0);
    expect(byUi.body.data?.auditLog.items.every((e) => e.path === 'UI')).toBe(true);

    const auditor = await pact.mintKey(adminToken, ['read:audit']);
    const viaKey = await pact.gql<{ auditLog: { returned: number }; auditVerification: { ok: boolean } }>(
      '{ auditLog(first: 3) { returned } auditVerification { ok } }',
      {},
      { token: auditor },
    );
    expect(viaKey.body.errors).toBeUndefined();
    expect(viaKey.body.data?.auditLog.returned).toBe(3);
    expect(viaKey.body.data?.auditVerification.ok).toBe(true);
    const noContacts = await pact.gql('{ contacts(first: 1) { returned } }', {}, { token: auditor });
    expect(noContacts.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const member = await cookieFor('member@pact.demo');
    const refused = await consoleCall(member, ConsoleAuditLogDocument, { first: 5 });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // The refusal is audited, and the user filter finds it.
    const byUser = await consoleCall<{ auditLog: { items: { userEmail: string | null; outcome: string }[] } }>(admin, ConsoleAuditLogDocument, {
      filter: { userEmail: 'Member@Pact.Demo' },
      first: 5,
    });
    expect(byUser.body.data?.auditLog.items[0]).toMatchObject({ userEmail: 'member@pact.demo', outcome: 'DENIED' });
    expect(byUser.body.data?.auditLog.items.every((e) => e.userEmail === 'member@pact.demo')).toBe(true);
  });

  it('reports usage and cost by day and tool as the ledger holds them (read:usage)', async () => {
    const cookie = await cookieFor('manager@pact.demo');
    const usage = await consoleCall<{ usage: { totalCents: number; totalCalls: number; tools: { operation: string; costCents: number }[]; days: { costCents: number }[] } }>(
      cookie,
      ConsoleUsageDocument,
      {},
    );
    expect(usage.body.errors).toBeUndefined();
    const [ledger] = await pact.sql<{ micro: string; n: number }>(
      sql`select coalesce(sum(cost_microcents), 0)::text as micro, count(*)::int as n from usage_ledger where tenant_id = ${pact.seed.demoTenantId} and at >= current_date - 29`,
    );
    const report = usage.body.data?.usage;
    // The usage query itself is free: it adds no ledger row.
    expect(report?.totalCalls).toBe(ledger?.n);
    expect(report?.totalCents).toBeGreaterThan(0);
    expect(report?.days.reduce((n, d) => n + d.costCents, 0)).toBeCloseTo(report?.totalCents ?? -1, 6);
    expect(report?.tools.find((t) => t.operation === 'query_contacts' || t.operation === 'contacts')).toBeDefined();
    const member = await cookieFor('member@pact.demo');
    expect((await consoleCall(member, ConsoleUsageDocument, {})).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

// Keep `print` referenced: sending a persisted operation's exact text is the other accepted shape.
void print;
