import { randomBytes } from 'node:crypto';
import canonicalize from 'canonicalize';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/services/audit/audit-log';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:contacts', 'read:deals', 'write:crm']);
});
afterAll(() => pact.close());

interface Row extends Record<string, unknown> {
  path: string;
  operation: string;
  outcome: string;
  error_code: string | null;
}
const auditRows = () => pact.sql<Row>(sql`select path, operation, outcome, error_code from audit_log where tenant_id = ${pact.seed.demoTenantId} order by seq`);

/** Runs `fn` and returns the audit rows it added. */
async function added(fn: () => Promise<unknown>): Promise<Row[]> {
  const before = (await auditRows()).length;
  await fn();
  return (await auditRows()).slice(before);
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${pact.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body });

describe('arguments that are not storable text', () => {
  it('answers a lone surrogate in a GraphQL variable with 400 BAD_USER_INPUT and one audit row', async () => {
    let res: Response | undefined;
    const rows = await added(async () => {
      res = await post('/graphql', '{"query":"query($s: String) { accounts(filter: { search: $s }) { returned } }","variables":{"s":"abc\\ud800"}}');
    });
    expect(res?.status).toBe(400);
    const body = (await res?.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0]?.message).toBe('Argument s contains a lone surrogate (not valid Unicode).');
    expect(rows).toEqual([{ path: 'graphql', operation: 'accounts', outcome: 'error', error_code: 'BAD_USER_INPUT' }]);
  });

  it('refuses U+0000 in an inline string literal of a mutation, writing nothing but the audit row', async () => {
    const [before] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts`);
    let res: Response | undefined;
    const rows = await added(async () => {
      res = await post('/graphql', JSON.stringify({ query: 'mutation { createAccount(input: { name: "a\\u0000b" }) { id } }' }));
    });
    expect(res?.status).toBe(400);
    expect(((await res?.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(rows).toEqual([{ path: 'graphql', operation: 'createAccount', outcome: 'error', error_code: 'BAD_USER_INPUT' }]);
    const [after] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts`);
    expect(after?.n).toBe(before?.n);
  });

  it('answers a number too large for JSON (1e400) with a 4xx and one audit row, not a 500', async () => {
    let res: Response | undefined;
    const rows = await added(async () => {
      res = await post('/graphql', '{"query":"query($n: Int) { contacts(first: $n) { returned } }","variables":{"n":1e400}}');
    });
    expect(res?.status).toBe(400);
    expect(rows).toHaveLength(1);
  });

  it('answers a lone surrogate in an MCP tool argument with an isError result, audited once', async () => {
    let res: Response | undefined;
    const rows = await added(async () => {
      res = await post(
        '/mcp',
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query_accounts","arguments":{"search":"x\\udc00"}}}',
        { accept: 'application/json, text/event-stream' },
      );
    });
    expect(res?.status).toBe(200);
    const body = (await res?.json()) as { result: { isError: boolean; content: { text: string }[] } };
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]?.text).toBe('BAD_USER_INPUT: Argument search contains a lone surrogate (not valid Unicode).');
    expect(rows).toEqual([{ path: 'mcp', operation: 'query_accounts', outcome: 'error', error_code: 'BAD_USER_INPUT' }]);
  });

  it('answers U+0000 or a lone surrogate in a sign-in with 400', async () => {
    for (const body of ['{"email":"a\\u0000@b.example","password":"x"}', '{"email":"a@b.example","password":"\\ud800"}']) {
      const res = await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    }
  });
});

describe('malformed requests are 4xx', () => {
  it('answers GET /graphql with variables that are not JSON with 400 BAD_REQUEST', async () => {
    const res = await fetch(`${pact.url}/graphql?query=${encodeURIComponent('{ viewer { role } }')}&variables=%7B`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('treats a session cookie that is not percent-encoding as no session (401), on /graphql and /auth/sign-out', async () => {
    const gql = await fetch(`${pact.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: 'pact_session=%E0%A4%A' }, body: '{"query":"{ viewer { role } }"}' });
    expect(gql.status).toBe(401);
    const out = await fetch(`${pact.url}/auth/sign-out`, { method: 'POST', headers: { cookie: 'pact_session=%' } });
    expect(out.status).toBe(200);
  });

  it('answers malformed OAuth bodies with RFC 6749 JSON errors, not HTML or 500', async () => {
    const cases: [string, string, string, number][] = [
      ['/oauth/register', 'application/json', '{', 400],
      ['/oauth/register', 'application/json', 'null', 400],
      ['/oauth/register', 'application/json', JSON.stringify({ redirect_uris: ['https://a.example/cb'], client_name: 'x'.repeat(200_000) }), 413],
      ['/oauth/register', 'application/json', '{"redirect_uris":["https://a.example/cb"],"client_name":"\\ud800"}', 400],
      ['/oauth/token', 'application/x-www-form-urlencoded', 'grant_type=authorization_code&client_id=%00&code=x&code_verifier=y', 400],
      ['/oauth/revoke', 'application/x-www-form-urlencoded', 'token=%00&client_id=x', 400],
    ];
    for (const [path, type, body, status] of cases) {
      const res = await fetch(`${pact.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, `${path} ${body.slice(0, 60)}`).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    }
  });

  it('answers the OAuth pages given U+0000 as a request id with the expired-link page (400)', async () => {
    for (const res of [
      await fetch(`${pact.url}/oauth/sign-in?request=%00`),
      await fetch(`${pact.url}/oauth/consent?request=%00`),
      await fetch(`${pact.url}/oauth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'request=%00&email=a%00' }),
    ]) {
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/Link expired/);
    }
  });
});

describe('the audit digest', () => {
  const audit = createAuditService(randomBytes(32));
  const tenant = '01890000-0000-7000-8000-000000000001';

  it('never throws: lone surrogates digest as U+FFFD, non-finite numbers as null, hostile nesting is cut', () => {
    expect(audit.digest(tenant, { s: 'a\ud800' })).toBe(audit.digest(tenant, { s: 'a\ufffd' }));
    expect(audit.digest(tenant, { n: Infinity })).toBe(audit.digest(tenant, { n: null }));
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(audit.digest(tenant, { deep })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('digests clean arguments exactly as before (RFC 8785 of the value)', () => {
    const args = { b: [1, 'x'], a: { z: null, y: '😀' } };
    const other = createAuditService(Buffer.alloc(32, 7));
    expect(other.digest(tenant, args)).toBe(other.digest(tenant, JSON.parse(canonicalize(args) ?? '') as unknown));
    expect(other.digest(tenant, args)).not.toBe(other.digest(tenant, { ...args, c: 1 }));
  });
});

describe('a date that is not a day of the calendar', () => {
  it('is refused with a 4xx naming it on /graphql and audited once, never reaching the database', async () => {
    const admin = await pact.signIn('admin@pact.demo');
    let res: Response | undefined;
    const rows = await added(async () => {
      res = await post('/graphql', JSON.stringify({ query: 'query($d: Date) { briefing(asOf: $d) { asOf } }', variables: { d: '2026-02-30' } }), { authorization: `Bearer ${admin}` });
    });
    expect(res?.status).toBe(400);
    const body = (await res?.json()) as { errors: { message: string }[] };
    expect(body.errors[0]?.message).toMatch(/2026-02-30 is not a day of the calendar/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ path: 'graphql', outcome: 'error' });
  });
});
