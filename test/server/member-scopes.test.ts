import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleAuditLogDocument,
  ConsoleAuditVerificationDocument,
  ConsoleDealOutcomesDocument,
  ConsoleGrantMemberScopeDocument,
  ConsoleMembersDocument,
  ConsoleRevokeMemberScopeDocument,
  ConsoleUsageDocument,
  ConsoleViewerDocument,
} from '../../src/generated/graphql/graphql';
import { DEMO_PASSWORD } from '../../src/services/seed/demo';
import { startTestPact, type TestPact } from '../helpers/pact';

const hash = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

let pact: TestPact;
const cookies = new Map<string, string>();

async function cookieFor(email: string): Promise<string> {
  const known = cookies.get(email);
  if (known) return known;
  const res = await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }) });
  expect(res.status).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  cookies.set(email, cookie);
  return cookie;
}

type Errors = { message: string; extensions?: Record<string, unknown> }[];

/** A console call: the persisted hash, the cookie and the CSRF header, in tenant "demo". */
async function call<T>(email: string, document: unknown, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${pact.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: await cookieFor(email), 'x-pact-csrf': '1', 'x-tenant-id': 'demo' },
    body: JSON.stringify({ documentId: hash(document), variables }),
  });
  return (await res.json()) as { data?: T | null; errors?: Errors };
}

const userId = (email: string) => pact.seed.users.find((u) => u.email === email)?.id ?? '';
const extraScopes = async (email: string) =>
  (await pact.sql<{ s: string[] }>(sql`select extra_scopes as s from memberships where tenant_id = ${pact.seed.demoTenantId} and user_id = ${userId(email)}`))[0]?.s;

interface Member {
  userId: string;
  email: string;
  role: string;
  extraScopes: string[];
  scopes: string[];
}

beforeAll(async () => {
  pact = await startTestPact();
});
afterAll(() => pact?.close());

describe('the seeded read-only auditor (member + read:audit)', () => {
  it('holds the member scopes and read:audit, and reads the audit log and its verification', async () => {
    const viewer = await call<{ viewer: { role: string; scopes: string[] } }>('auditor@pact.demo', ConsoleViewerDocument);
    expect(viewer.data?.viewer).toEqual(
      expect.objectContaining({ role: 'member', scopes: ['call:federated', 'read:accounts', 'read:audit', 'read:contacts', 'read:deals', 'read:workflows', 'write:crm'] }),
    );
    const log = await call<{ auditLog: { returned: number; items: { userEmail: string | null }[] } }>('auditor@pact.demo', ConsoleAuditLogDocument, { first: 5 });
    expect(log.errors).toBeUndefined();
    // A fresh database: the auditor's own viewer call is the one row so far.
    expect(log.data?.auditLog.items).toEqual([expect.objectContaining({ userEmail: 'auditor@pact.demo', operation: 'viewer', outcome: 'OK', path: 'UI' })]);
    const verified = await call<{ auditVerification: { ok: boolean } }>('auditor@pact.demo', ConsoleAuditVerificationDocument);
    expect(verified.data?.auditVerification.ok).toBe(true);
  });

  it('is refused what owners and admins do, and what the role does not hold', async () => {
    const members = await call('auditor@pact.demo', ConsoleMembersDocument);
    expect(members.data).toBeNull();
    expect(members.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role: 'member' });
    const grant = await call('auditor@pact.demo', ConsoleGrantMemberScopeDocument, { userId: userId('member@pact.demo'), scope: 'read:audit' });
    expect(grant.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'] });
    expect(await extraScopes('member@pact.demo')).toEqual([]);
    const usage = await call('auditor@pact.demo', ConsoleUsageDocument);
    expect(usage.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:usage' });
  });

  it('may mint an API key carrying read:audit (a key can be an auditor too); a manager may not', async () => {
    const token = await pact.signIn('auditor@pact.demo');
    const key = await pact.mintKey(token, ['read:audit']);
    const viaKey = await pact.gql<{ auditLog: { returned: number } }>('{ auditLog(first: 2) { returned } }', {}, { token: key });
    expect(viaKey.body.data?.auditLog.returned).toBe(2);
    const manager = await pact.signIn('manager@pact.demo');
    const refused = await pact.gql('mutation { createApiKey(input: { name: "x", scopes: ["read:audit"] }) { secret } }', {}, { token: manager, tenant: 'demo' });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'] });
  });
});

describe('owners and admins give and take back member scopes', () => {
  it('lists the members with their roles and scopes', async () => {
    const res = await call<{ members: Member[] }>('admin@pact.demo', ConsoleMembersDocument);
    expect(res.data?.members.map((m) => [m.email, m.role, m.extraScopes])).toEqual([
      ['admin@pact.demo', 'admin', []],
      ['auditor@pact.demo', 'member', ['read:audit']],
      ['manager@pact.demo', 'manager', []],
      ['member@pact.demo', 'member', []],
      ['owner@pact.demo', 'owner', []],
    ]);
    expect(res.data?.members.find((m) => m.email === 'auditor@pact.demo')?.scopes).toContain('read:audit');
  });

  it('a plain member is refused the audit log until an admin grants read:audit, and again once it is revoked; each change audited', async () => {
    const member = userId('member@pact.demo');
    const before = await call('member@pact.demo', ConsoleAuditLogDocument, { first: 1 });
    expect(before.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'read:audit' });

    const granted = await call<{ grantMemberScope: Member }>('admin@pact.demo', ConsoleGrantMemberScopeDocument, { userId: member, scope: 'read:audit' });
    expect(granted.data?.grantMemberScope).toMatchObject({ email: 'member@pact.demo', role: 'member', extraScopes: ['read:audit'] });
    expect(await extraScopes('member@pact.demo')).toEqual(['read:audit']);
    const again = await call<{ grantMemberScope: Member }>('admin@pact.demo', ConsoleGrantMemberScopeDocument, { userId: member, scope: 'read:audit' });
    expect(again.data?.grantMemberScope.extraScopes).toEqual(['read:audit']);
    expect(await extraScopes('member@pact.demo')).toEqual(['read:audit']);

    const now = await call<{ auditLog: { returned: number } }>('member@pact.demo', ConsoleAuditLogDocument, { first: 1 });
    expect(now.data?.auditLog.returned).toBe(1);

    const revoked = await call<{ revokeMemberScope: Member }>('admin@pact.demo', ConsoleRevokeMemberScopeDocument, { userId: member, scope: 'read:audit' });
    expect(revoked.data?.revokeMemberScope.extraScopes).toEqual([]);
    expect((await call('member@pact.demo', ConsoleAuditLogDocument, { first: 1 })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const rows = await pact.sql<{ operation: string; outcome: string; user_id: string; path: string }>(
      sql`select operation, outcome, user_id, path from audit_log where tenant_id = ${pact.seed.demoTenantId} and operation in ('grantMemberScope', 'revokeMemberScope') order by seq`,
    );
    const admin = userId('admin@pact.demo');
    expect(rows.filter((r) => r.user_id === admin)).toEqual([
      { operation: 'grantMemberScope', outcome: 'ok', user_id: admin, path: 'ui' },
      { operation: 'grantMemberScope', outcome: 'ok', user_id: admin, path: 'ui' },
      { operation: 'revokeMemberScope', outcome: 'ok', user_id: admin, path: 'ui' },
    ]);
  });

  it('refuses a scope that cannot be given, a role that already holds it, a bad or unknown user, and an API key — changing nothing', async () => {
    const member = userId('member@pact.demo');
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ userId: member, scope: 'admin:keys' }, { code: 'BAD_USER_INPUT', field: 'scope' }],
      [{ userId: member, scope: 'write:consent' }, { code: 'BAD_USER_INPUT', field: 'scope' }],
      [{ userId: userId('admin@pact.demo'), scope: 'read:audit' }, { code: 'CONFLICT', field: 'scope' }],
      [{ userId: 'not-an-id', scope: 'read:audit' }, { code: 'INVALID_ID', field: 'userId' }],
      [{ userId: userId('owner@globex.demo'), scope: 'read:audit' }, { code: 'NOT_FOUND' }],
    ];
    for (const [variables, extensions] of cases) {
      const res = await call('admin@pact.demo', ConsoleGrantMemberScopeDocument, variables);
      expect(res.data, JSON.stringify(variables)).toBeNull();
      expect(res.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject(extensions);
    }
    expect(
      (await pact.sql<{ s: string[] }>(sql`select extra_scopes as s from memberships where tenant_id = ${pact.seed.demoTenantId} order by user_id`)).map((r) => r.s).flat(),
    ).toEqual(['read:audit']);
    const key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:audit', 'read:accounts']);
    const byKey = await pact.gql('mutation($u: ID!) { grantMemberScope(userId: $u, scope: "read:audit") { email } }', { u: member }, { token: key });
    expect(byKey.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role: 'api' });
  });

  it('gives an OAuth-style session the granted scope on its next call (the session token path)', async () => {
    const token = await pact.signIn('manager@pact.demo');
    const q = '{ auditLog(first: 1) { returned } }';
    expect((await pact.gql(q, {}, { token, tenant: 'demo' })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await call('owner@pact.demo', ConsoleGrantMemberScopeDocument, { userId: userId('manager@pact.demo'), scope: 'read:audit' });
    expect((await pact.gql<{ auditLog: { returned: number } }>(q, {}, { token, tenant: 'demo' })).body.data?.auditLog.returned).toBe(1);
    await call('owner@pact.demo', ConsoleRevokeMemberScopeDocument, { userId: userId('manager@pact.demo'), scope: 'read:audit' });
  });
});

describe('won and lost by close month, from every deal', () => {
  it('counts and sums every consented closed deal per month, and the closed deals consent hid', async () => {
    // Hide the account of a closed deal by consent first.
    const [closed] = await pact.sql<{ domain: string }>(
      sql`select a.domain from deals d join accounts a on a.id = d.account_id where d.tenant_id = ${pact.seed.demoTenantId} and d.stage = 'closed_won' and not d.consent_hidden order by d.id limit 1`,
    );
    const admin = await pact.signIn('admin@pact.demo');
    const suppressed = await pact.gql('mutation($d: String!) { suppressConsent(subject: { kind: DOMAIN, value: $d }) { status } }', { d: closed?.domain }, { token: admin, tenant: 'demo' });
    expect(suppressed.body.errors).toBeUndefined();
    const res = await call<{ dealOutcomes: { months: { month: string; won: number; lost: number; wonValue: number; lostValue: number }[]; consentFiltered: number; note: string } }>(
      'member@pact.demo',
      ConsoleDealOutcomesDocument,
    );
    expect(res.errors).toBeUndefined();
    const expected = await pact.sql<{ month: string; won: number; lost: number; won_value: number; lost_value: number }>(
      sql`select to_char(close_date, 'YYYY-MM') as month,
                 (count(*) filter (where stage = 'closed_won'))::int as won, (count(*) filter (where stage = 'closed_lost'))::int as lost,
                 (coalesce(sum(amount_cents) filter (where stage = 'closed_won'), 0) / 100.0)::float8 as won_value,
                 (coalesce(sum(amount_cents) filter (where stage = 'closed_lost'), 0) / 100.0)::float8 as lost_value
          from deals where tenant_id = ${pact.seed.demoTenantId} and stage in ('closed_won', 'closed_lost') and close_date is not null and not consent_hidden
          group by 1 order by 1`,
    );
    const [hidden] = await pact.sql<{ n: number }>(
      sql`select count(*)::int as n from deals where tenant_id = ${pact.seed.demoTenantId} and stage in ('closed_won', 'closed_lost') and close_date is not null and consent_hidden`,
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(hidden?.n).toBeGreaterThan(0);
    expect(res.data?.dealOutcomes.months).toEqual(expected.map((r) => ({ month: r.month, won: r.won, lost: r.lost, wonValue: r.won_value, lostValue: r.lost_value })));
    expect(res.data?.dealOutcomes.consentFiltered).toBe(hidden?.n);
    const [audit] = await pact.sql<{ result_count: number; consent_hidden: number }>(
      sql`select result_count, consent_hidden from audit_log where tenant_id = ${pact.seed.demoTenantId} and operation = 'dealOutcomes' order by seq desc limit 1`,
    );
    expect(audit).toEqual({ result_count: expected.reduce((n, r) => n + r.won + r.lost, 0), consent_hidden: hidden?.n });
  });

  it('bounds the close date, and refuses from after to', async () => {
    const token = await pact.signIn('member@pact.demo');
    const q = 'query($f: Date, $t: Date) { dealOutcomes(from: $f, to: $t) { months { month } } }';
    const all = await pact.gql<{ dealOutcomes: { months: { month: string }[] } }>(q, {}, { token, tenant: 'demo' });
    const months = all.body.data?.dealOutcomes.months.map((m) => m.month) ?? [];
    const [, second, third] = months;
    const bounded = await pact.gql<{ dealOutcomes: { months: { month: string }[] } }>(q, { f: `${second}-01`, t: `${third}-28` }, { token, tenant: 'demo' });
    expect(bounded.body.data?.dealOutcomes.months.map((m) => m.month)).toEqual([second, third]);
    const bad = await pact.gql(q, { f: '2026-05-01', t: '2026-04-01' }, { token, tenant: 'demo' });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });
});
