import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let admin: string;
beforeAll(async () => {
  pact = await startTestPact();
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(() => pact.close());

const queries: [string, string][] = [
  ['read:accounts', '{ accounts(first: 1) { returned } }'],
  ['read:contacts', '{ contacts(first: 1) { returned } }'],
  ['read:deals', '{ deals(first: 1) { returned } }'],
  ['read:deals', '{ pipelineHealth { openDeals } }'],
  ['read:accounts', '{ account(id: "01890000-0000-7000-8000-000000000000") { id } }'],
  ['read:contacts', '{ contact(id: "01890000-0000-7000-8000-000000000000") { id } }'],
  ['read:deals', '{ deal(id: "01890000-0000-7000-8000-000000000000") { id } }'],
  ['write:crm', 'mutation { createAccount(input: { name: "Scoped" }) { id } }'],
  ['write:consent', 'mutation { suppressConsent(subject: { kind: DOMAIN, value: "scoped.example" }) { status } }'],
  ['check:consent', '{ consentCheck(subject: "scoped.example") { allowed } }'],
];

describe('scope requirements', () => {
  it.each(queries)('%s is required by %s and named in the FORBIDDEN error', async (scope, query) => {
    const others = ['read:accounts', 'read:contacts', 'read:deals', 'read:workflows', 'write:crm', 'write:consent', 'check:consent'].filter((s) => s !== scope);
    const without = await pact.mintKey(admin, others);
    const denied = await pact.gql(query, {}, { token: without });
    expect(Object.values(denied.body.data ?? {}).every((v) => v === null)).toBe(true);
    expect(denied.body.errors).toHaveLength(1);
    expect(denied.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope });
    expect(denied.body.errors?.[0]?.message).toContain(scope);
    const withScope = await pact.mintKey(admin, [scope]);
    const allowed = await pact.gql(query, {}, { token: withScope });
    expect(allowed.body.errors).toBeUndefined();
  });

  it('the printed schema carries every scope requirement it enforces', async () => {
    const { readFileSync } = await import('node:fs');
    const sdl = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    for (const [scope] of queries) expect(sdl).toContain(`@requiresScope(scope: "${scope}")`);
  });
});
