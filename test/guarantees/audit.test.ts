import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedText, startTestPact, type TestPact } from '../helpers/pact';
import { ConsoleViewerDocument } from '../../src/generated/graphql/graphql';

let pact: TestPact;
let owner: string;
let key: string;
let readOnly: string;
beforeAll(async () => {
  pact = await startTestPact();
  owner = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(owner, ['read:accounts', 'read:contacts', 'read:deals', 'write:crm']);
  readOnly = await pact.mintKey(owner, ['read:accounts']);
});
afterAll(() => pact.close());

interface AuditRow extends Record<string, unknown> {
  id: string;
  seq: number;
  path: string;
  operation: string;
  outcome: string;
  error_code: string | null;
  api_key_id: string | null;
  user_id: string | null;
  arg_digest: string;
  result_count: number;
  consent_hidden: number;
  cost_microcents: number;
  latency_ms: number;
}

const auditRows = () =>
  pact.sql<AuditRow>(sql`select *, seq::int as seq, cost_microcents::int as cost_microcents from audit_log where tenant_id = ${pact.seed.demoTenantId} order by audit_log.seq`);

/** Runs `fn` and returns the audit rows it added (asserting there is exactly one). */
async function oneRow(fn: () => Promise<unknown>): Promise<AuditRow> {
  const before = (await auditRows()).length;
  await fn();
  const rows = await auditRows();
  expect(rows.length - before).toBe(1);
  return rows[rows.length - 1] as AuditRow;
}

const ledgerTotal = async () =>
  (await pact.sql<{ n: string }>(sql`select coalesce(sum(cost_microcents), 0)::text as n from usage_ledger where tenant_id = ${pact.seed.demoTenantId}`))[0]?.n;
const auditTotal = async () =>
  (await pact.sql<{ n: string }>(sql`select coalesce(sum(cost_microcents), 0)::text as n from audit_log where tenant_id = ${pact.seed.demoTenantId}`))[0]?.n;

describe('one audit row per call', () => {
  it('records a successful query with its counts, cost, and a digest instead of the arguments', async () => {
    let cost: unknown;
    const row = await oneRow(async () => {
      const res = await pact.gql('query($f: Int) { contacts(first: $f) { returned consentFiltered } }', { f: 7 }, { token: key });
      cost = res.body.extensions?.cost_cents;
      expect(res.body.data).toEqual({ contacts: { returned: 7, consentFiltered: 5 } });
    });
    expect(row).toMatchObject({ path: 'graphql', operation: 'contacts', outcome: 'ok', error_code: null, result_count: 7, consent_hidden: 5, cost_microcents: 100_000, user_id: null });
    expect(row.api_key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.arg_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(cost).toBe(0.1);
  });

  it('keys the operation by root fields, never the client-chosen operation name', async () => {
    const row = await oneRow(() => pact.gql('query Sneaky { d: deals(first: 1) { returned } a: accounts(first: 1) { returned } }', {}, { token: key }));
    expect(row).toMatchObject({ operation: 'accounts+deals', outcome: 'ok', cost_microcents: 200_000 });
  });

  it('gives equal arguments in any key order the same keyed digest', async () => {
    const q = 'query($filter: AccountFilter, $first: Int) { accounts(filter: $filter, first: $first) { returned } }';
    const a = await oneRow(() => pact.gql(q, { filter: { search: 'a', industry: 'Software' }, first: 2 }, { token: key }));
    const b = await oneRow(() => pact.gql(q, { first: 2, filter: { industry: 'Software', search: 'a' } }, { token: key }));
    const c = await oneRow(() => pact.gql(q, { first: 3, filter: { industry: 'Software', search: 'a' } }, { token: key }));
    expect(a.arg_digest).toBe(b.arg_digest);
    expect(c.arg_digest).not.toBe(a.arg_digest);
    const { createHash } = await import('node:crypto');
    expect(a.arg_digest).not.toBe(createHash('sha256').update('{"filter":{"industry":"Software","search":"a"},"first":2}').digest('hex'));
  });

  it.each([
    ['a missing scope', () => pact.gql('{ contacts { returned } }', {}, { token: readOnly }), 'denied', 'FORBIDDEN'],
    ['a bad id', () => pact.gql('{ account(id: "nope") { id } }', {}, { token: key }), 'error', 'INVALID_ID'],
    ['a malformed query', () => pact.gql('{ accounts(', {}, { token: key }), 'error', 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', () => pact.gql('{ nothing }', {}, { token: key }), 'error', 'GRAPHQL_VALIDATION_FAILED'],
    ['a failed mutation (rolled back)', () => pact.gql('mutation { createAccount(input: { name: "" }) { id } }', {}, { token: key }), 'error', 'BAD_USER_INPUT'],
    ['a bad Idempotency-Key', () => pact.gql('mutation { createAccount(input: { name: "X" }) { id } }', {}, { token: key, headers: { 'idempotency-key': '' } }), 'error', 'BAD_USER_INPUT'],
  ])('records %s with its outcome and code, costing nothing', async (_, call, outcome, code) => {
    const row = await oneRow(call);
    expect(row).toMatchObject({ outcome, error_code: code, cost_microcents: 0 });
  });

  it('records a console call (session cookie) with path ui and the user', async () => {
    const res = await fetch(`${pact.url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'member@pact.demo', password: 'pact-demo' }),
    });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const row = await oneRow(() => pact.gql(persistedText(ConsoleViewerDocument), {}, { cookie }));
    expect(row).toMatchObject({ path: 'ui', outcome: 'ok', api_key_id: null });
    expect(row.user_id).toBe(pact.seed.users.find((u) => u.email === 'member@pact.demo')?.id);
  });

  it('sends refusals before a tenant is known to security_events, not the audit log', async () => {
    const before = (await auditRows()).length;
    const [events] = await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events`);
    await pact.gql('{ accounts { returned } }', {}, { token: 'pact_live_bogus' });
    expect((await auditRows()).length).toBe(before);
    const [after] = await pact.sql<{ n: number }>(sql`select coalesce(sum(count), 0)::int as n from security_events`);
    expect(after?.n).toBe((events?.n ?? 0) + 1);
  });
});

describe('ledger', () => {
  it('charges successful calls only, in the same amounts the audit rows record', async () => {
    const before = BigInt((await ledgerTotal()) ?? '0');
    const res = await pact.gql('{ pipelineHealth { openDeals } }', {}, { token: key });
    expect(res.body.extensions?.cost_cents).toBe(0.2);
    await pact.gql('{ contacts { returned } }', {}, { token: readOnly });
    expect(BigInt((await ledgerTotal()) ?? '0') - before).toBe(200_000n);
    expect(await ledgerTotal()).toBe(await auditTotal());
    const orphans = await pact.sql(sql`select l.id from usage_ledger l left join audit_log a on a.id = l.audit_id where a.id is null`);
    expect(orphans).toEqual([]);
  });

  it('a retried mutation with the same Idempotency-Key is applied and charged once', async () => {
    const ledgerBefore = BigInt((await ledgerTotal()) ?? '0');
    const auditBefore = (await auditRows()).length;
    const send = (name: string) =>
      pact.gql<{ createAccount: { id: string; name: string } }>('mutation($n: String) { createAccount(input: { name: $n }) { id name } }', { n: name }, {
        token: key,
        headers: { 'idempotency-key': 'order-42' },
      });
    const first = await send('Idempotent Ltd');
    const second = await send('Idempotent Ltd');
    expect(first.body.data?.createAccount.name).toBe('Idempotent Ltd');
    expect(second.body.data).toEqual(first.body.data);
    expect(first.body.extensions?.cost_cents).toBe(0.05);
    expect(second.body.extensions).toMatchObject({ cost_cents: 0, idempotent_replay: true });
    const [created] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where name = 'Idempotent Ltd'`);
    expect(created?.n).toBe(1);
    expect(BigInt((await ledgerTotal()) ?? '0') - ledgerBefore).toBe(50_000n);
    expect((await auditRows()).length - auditBefore).toBe(2);
    const reused = await send('Other Name Ltd');
    expect(reused.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' });
    const [other] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where name = 'Other Name Ltd'`);
    expect(other?.n).toBe(0);
  });

  it('concurrent retries with one Idempotency-Key still apply once', async () => {
    const send = () =>
      pact.gql<{ createAccount: { id: string } }>('mutation { createAccount(input: { name: "Racing Co" }) { id } }', {}, {
        token: key,
        headers: { 'idempotency-key': 'race-1' },
      });
    const results = await Promise.all([send(), send(), send()]);
    const ids = new Set(results.map((r) => r.body.data?.createAccount.id));
    expect(ids.size).toBe(1);
    const [created] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where name = 'Racing Co'`);
    expect(created?.n).toBe(1);
    expect(await ledgerTotal()).toBe(await auditTotal());
  });
});

describe('seals', () => {
  const verify = (tenantId: string) => pact.database.withSystem((tx) => pact.services.audit.verify(tx, tenantId), { snapshot: true });
  const behindTheApp = (statements: ReturnType<typeof sql>[]) =>
    pact.database.withSystem(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      for (const statement of statements) await tx.execute(statement);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });

  it('verifies, and names the first edited row after the log is edited behind the application', async () => {
    const tenantId = pact.seed.demoTenantId;
    await pact.services.auditSealer.sealNow();
    const good = await verify(tenantId);
    expect(good).toMatchObject({ ok: true, unsealedRows: 0, firstBroken: null });
    expect(good.sealedRows).toBe((await auditRows()).length);
    const rows = await auditRows();
    const victim = rows[Math.floor(rows.length / 2)] as AuditRow;
    await behindTheApp([
      sql`update audit_log set outcome = 'ok', error_code = null where id = ${victim.id}`,
      sql`update audit_log set cost_microcents = cost_microcents + 1 where id = ${victim.id}`,
    ]);
    const bad = await verify(tenantId);
    expect(bad.ok).toBe(false);
    expect(bad.firstBroken).toMatchObject({ rowId: victim.id, rowSeq: victim.seq, reason: 'row content does not match its MAC' });
  });

  it('reports a deleted row', async () => {
    const tenantId = pact.seed.secondTenantId;
    const globex = await pact.mintKey(await pact.signIn('owner@globex.demo'), ['read:accounts']);
    for (let i = 0; i < 4; i += 1) await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: globex });
    await pact.services.auditSealer.sealNow();
    const [victim] = await pact.sql<{ id: string }>(sql`select id from audit_log where tenant_id = ${tenantId} order by seq offset 1 limit 1`);
    await behindTheApp([sql`delete from audit_log where id = ${victim?.id}`]);
    const report = await verify(tenantId);
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toMatchObject({ rowId: victim?.id, rowSeq: null, reason: 'a sealed row is missing' });
  });
});
