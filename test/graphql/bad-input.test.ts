import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
beforeAll(async () => {
  pact = await startTestPact();
  key = await pact.mintKey(await pact.signIn('admin@pact.demo'), ['read:accounts', 'read:contacts', 'read:deals', 'write:crm', 'write:consent']);
});
afterAll(() => pact.close());

const counts = async () => {
  const [row] = await pact.sql<Record<string, number>>(sql`select
    (select count(*)::int from accounts) as accounts, (select count(*)::int from contacts) as contacts,
    (select count(*)::int from deals) as deals, (select count(*)::int from activities) as activities,
    (select count(*)::int from consent_subjects) as subjects, (select count(*)::int from consent_events) as events,
    (select max(updated_at) from accounts)::text as touched`);
  return row;
};

const code = (res: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => res.body.errors?.[0]?.extensions?.code;

describe('bad input gets a specific error and changes nothing', () => {
  it.each([
    ['a malformed id', '{ account(id: "not-a-uuid") { id } }', 'INVALID_ID'],
    ['a malformed owner filter', '{ deals(filter: { ownerId: "42" }) { returned } }', 'INVALID_ID'],
    ['an oversized page', '{ contacts(first: 101) { returned } }', 'PAGE_SIZE_EXCEEDED'],
    ['a zero page', '{ contacts(first: 0) { returned } }', 'BAD_USER_INPUT'],
    ['a garbage cursor', '{ deals(after: "garbage") { returned } }', 'INVALID_CURSOR'],
    ['an over-long search', `{ accounts(filter: { search: "${'x'.repeat(201)}" }) { returned } }`, 'BAD_USER_INPUT'],
  ])('%s on a read', async (_, query, expected) => {
    const res = await pact.gql(query, {}, { token: key });
    expect(res.status).toBe(200);
    expect(code(res)).toBe(expected);
  });

  const graphqlResponse = { accept: 'application/graphql-response+json' };

  it('answers a malformed query with GRAPHQL_PARSE_FAILED (400 under the GraphQL-over-HTTP media type)', async () => {
    const res = await pact.gql('{ accounts(first: ', {}, { token: key, headers: graphqlResponse });
    expect(res.status).toBe(400);
    expect(code(res)).toBe('GRAPHQL_PARSE_FAILED');
    expect(code(await pact.gql('{ accounts(first: ', {}, { token: key }))).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await pact.gql('{ accounts { secretField } }', {}, { token: key, headers: graphqlResponse });
    expect(res.status).toBe(400);
    expect(code(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it.each([
    ['an empty account name', 'mutation { createAccount(input: { name: "  " }) { id } }', 'BAD_USER_INPUT'],
    ['a bad domain', 'mutation { createAccount(input: { name: "X", domain: "not a domain" }) { id } }', 'BAD_USER_INPUT'],
    ['an owner outside the tenant', 'mutation { createAccount(input: { name: "X", ownerId: "01890000-0000-7000-8000-000000000000" }) { id } }', 'NOT_FOUND'],
    ['a bad e-mail', 'mutation { createContact(input: { name: "X", email: "nope" }) { id } }', 'BAD_USER_INPUT'],
    ['a contact without a name', 'mutation { createContact(input: { email: "a@b.example" }) { id } }', 'BAD_USER_INPUT'],
    ['a deal on a missing account', 'mutation { createDeal(input: { name: "D", accountId: "01890000-0000-7000-8000-000000000000", amount: 5 }) { id } }', 'NOT_FOUND'],
    ['a negative amount', 'mutation($a: ID) { createDeal(input: { name: "D", accountId: $a, amount: -5 }) { id } }', 'BAD_USER_INPUT'],
    ['a probability over 100', 'mutation($a: ID) { createDeal(input: { name: "D", accountId: $a, amount: 5, probability: 101 }) { id } }', 'BAD_USER_INPUT'],
    ['an update of a malformed id', 'mutation { updateAccount(id: "zzz", input: { name: "Y" }) { id } }', 'INVALID_ID'],
    ['an update of a missing record', 'mutation { updateDeal(id: "01890000-0000-7000-8000-000000000000", input: { name: "Y" }) { id } }', 'NOT_FOUND'],
    ['an activity on nothing', 'mutation { createActivity(input: { subject: "x" }) { id } }', 'BAD_USER_INPUT'],
    ['consent for a bad e-mail', 'mutation { withdrawConsent(subject: { kind: EMAIL, value: "@@" }) { id } }', 'BAD_USER_INPUT'],
  ])('%s on a write', async (_, mutation, expected) => {
    const [account] = await pact.sql<{ id: string }>(sql`select id from accounts where tenant_id = ${pact.seed.demoTenantId} limit 1`);
    const before = await counts();
    const res = await pact.gql(mutation, mutation.includes('$a') ? { a: account?.id } : {}, { token: key });
    expect(code(res)).toBe(expected);
    expect(res.body.data ?? null).toBeNull();
    expect(await counts()).toEqual(before);
  });

  it('rolls back a whole mutation when one of its fields fails', async () => {
    const before = await counts();
    const res = await pact.gql(
      'mutation { ok: createAccount(input: { name: "Rolled Back Co" }) { id } bad: createAccount(input: { name: "" }) { id } }',
      {},
      { token: key },
    );
    expect(code(res)).toBe('BAD_USER_INPUT');
    expect(res.body.data).toBeNull();
    expect(await counts()).toEqual(before);
    const [row] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from accounts where name = 'Rolled Back Co'`);
    expect(row?.n).toBe(0);
  });

  it('masks unexpected errors', async () => {
    const res = await fetch(`${pact.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ viewer { role } }', variables: 'not-an-object' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|stack/);
  });
});
