import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let key: string;
let user: string;
beforeAll(async () => {
  pact = await startTestPact({ production: true });
  user = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(user, ['read:accounts', 'read:contacts', 'read:deals']);
});
afterAll(() => pact.close());

const codes = (res: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (res.body.errors ?? []).map((e) => e.extensions?.code);
const json = { accept: 'application/graphql-response+json' };

const nested = (depth: number) => `{ ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `v${i}: viewer { role }`).join(' ')} }`;
const directives = (n: number) => `{ viewer { role ${'@include(if: true) '.repeat(n)} } }`;
const tokens = (n: number) => `{ viewer { ${'role '.repeat(n)} } }`;
const costly = `fragment F on Contact { id name email phone title accountName ownerName createdAt }
  { ${Array.from({ length: 15 }, (_, i) => `c${i}: contacts(first: 100) { items { ...F } }`).join(' ')} }`;

describe('GraphQL hardening (production)', () => {
  it.each([
    ['depth over 6', nested(7), 'QUERY_TOO_DEEP'],
    ['16 aliases', aliases(16), 'TOO_MANY_ALIASES'],
    ['51 directives', directives(51), 'TOO_MANY_DIRECTIVES'],
    ['over 1,000 tokens', tokens(1000), 'TOO_MANY_TOKENS'],
  ])('refuses %s with its code and HTTP 400, writing one audit row and no ledger charge', async (_, query, code) => {
    const [before] = await pact.sql<{ audit: number; ledger: number }>(sql`select (select count(*)::int from audit_log) as audit, (select count(*)::int from usage_ledger) as ledger`);
    const res = await pact.gql(query, {}, { token: key, headers: json });
    expect(res.status).toBe(400);
    expect(codes(res)).toContain(code);
    const [after] = await pact.sql<{ audit: number; ledger: number }>(sql`select (select count(*)::int from audit_log) as audit, (select count(*)::int from usage_ledger) as ledger`);
    expect(after).toEqual({ audit: (before?.audit ?? 0) + 1, ledger: before?.ledger });
  });

  it('refuses a query whose estimated cost is over the limit', async () => {
    const res = await pact.gql(costly, {}, { token: key, headers: json });
    expect(codes(res)).toContain('QUERY_TOO_COMPLEX');
  });

  it('lets the real operations through: 15 aliases, directives, a full page, pipeline health', async () => {
    for (const query of [
      aliases(15),
      '{ viewer { role @include(if: true) tenantSlug @skip(if: false) } }',
      '{ contacts(first: 100) { returned consentFiltered note items { id name email phone title accountName ownerName } } }',
      '{ pipelineHealth { openValue weightedValue winRate byStage { stage count value weightedValue } topDeals { id name amount stage accountName } consentFiltered note } }',
      'fragment A on Account { id name domain } { accounts(first: 5) { items { ...A } } deals(first: 5) { items { id accountName } } }',
    ]) {
      const res = await pact.gql(query, {}, { token: key });
      expect(res.body.errors, query).toBeUndefined();
    }
  });

  it('gives API keys no introspection and no field suggestions', async () => {
    const intro = await pact.gql('{ __schema { types { name } } }', {}, { token: key, headers: json });
    expect(codes(intro)).toContain('INTROSPECTION_DISABLED');
    const typo = await pact.gql('{ acounts { returned } }', {}, { token: key });
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
    const signedIn = await pact.gql('{ __type(name: "Contact") { name } }', {}, { token: user, tenant: 'demo' });
    expect(signedIn.body.data).toEqual({ __type: { name: 'Contact' } });
  });

  it('in development, API keys may introspect', async () => {
    const dev = await startTestPact();
    try {
      const k = await dev.mintKey(await dev.signIn('admin@pact.demo'), ['read:accounts']);
      const res = await dev.gql('{ __type(name: "Account") { name } }', {}, { token: k });
      expect(res.body.data).toEqual({ __type: { name: 'Account' } });
    } finally {
      await dev.close();
    }
  });
});

describe('a query with over 100 validation errors', () => {
  it('is refused with QUERY_TOO_COMPLEX (HTTP 400) and the first errors, not "Validation aborted."', async () => {
    const res = await pact.gql(`{ ${'nope '.repeat(700)} }`, {}, { token: key, headers: json });
    expect(res.status).toBe(400);
    expect(codes(res)[0]).toBe('QUERY_TOO_COMPLEX');
    expect(res.body.errors).toHaveLength(6);
    expect(JSON.stringify(res.body)).not.toMatch(/Validation aborted/);
  });
});
