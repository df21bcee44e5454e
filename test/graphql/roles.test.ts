import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type GqlResponse, type TestPact } from '../helpers/pact';

/** The admin gate: roles on fields (`@requiresRole`) and the own-keys rule in the key service. */
let pact: TestPact;
let admin: string;
let manager: string;
let member: string;
beforeAll(async () => {
  pact = await startTestPact();
  [admin, manager, member] = await Promise.all([pact.signIn('admin@pact.demo'), pact.signIn('manager@pact.demo'), pact.signIn('member@pact.demo')]);
});
afterAll(() => pact.close());

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const as = (token: string, query: string, variables: Record<string, unknown> = {}) => pact.gql<Data>(query, variables, { token });
const firstError = (res: GqlResponse<Data>) => res.body.errors?.[0];

const MINT = 'mutation($name: String!, $scopes: [String!]!) { createApiKey(input: { name: $name, scopes: $scopes }) { secret apiKey { id createdByEmail } } }';
const LIST = '{ apiKeys(includeRevoked: true) { id name createdByEmail revokedAt } }';
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }';
const ERASE = 'mutation { eraseConsent(subject: { kind: DOMAIN, value: "gate.example" }) { status } }';

/** Audit rows of the demo tenant for a root field, by outcome. */
const auditRows = (operation: string) =>
  pact.sql<{ outcome: string; error_code: string | null }>(
    sql`select outcome, error_code from audit_log where tenant_id = ${pact.seed.demoTenantId} and operation = ${operation} order by seq`,
  );

describe('API keys never manage keys', () => {
  it.each([
    ['apiKeys', '{ apiKeys { id } }'],
    ['createApiKey', 'mutation { createApiKey(input: { name: "k", scopes: ["read:deals"] }) { secret } }'],
    ['revokeApiKey', 'mutation { revokeApiKey(id: "01890000-0000-7000-8000-000000000000") { id } }'],
  ])('%s refuses role api with the roles needed, audited once as denied', async (field, query) => {
    const key = await pact.mintKey(admin, ['read:deals', 'write:crm', 'write:consent']);
    const before = (await auditRows(field)).length;
    const res = await as(key, query);
    expect(res.status).toBe(403);
    expect(res.body.data ?? null).toBeNull();
    expect(firstError(res)?.message).toBe('Managing API keys needs role owner, admin, manager or member; you are api (an API key).');
    expect(firstError(res)?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin', 'manager', 'member'], role: 'api' });
    const rows = await auditRows(field);
    expect(rows.slice(before)).toEqual([{ outcome: 'denied', error_code: 'FORBIDDEN' }]);
  });
});

describe('members and managers manage their own keys', () => {
  it('a member mints within their scopes, sees only their own keys, and revokes only those', async () => {
    const mine = await as(member, MINT, { name: 'member reports', scopes: ['read:deals', 'write:crm'] });
    expect(mine.body.errors).toBeUndefined();
    expect(mine.body.data?.createApiKey.apiKey.createdByEmail).toBe('member@pact.demo');
    const adminKey = (await as(admin, MINT, { name: 'admin ci', scopes: ['read:accounts'] })).body.data?.createApiKey;

    const listed = (await as(member, LIST)).body.data?.apiKeys as { id: string; createdByEmail: string }[];
    expect(listed.map((k) => k.id)).toContain(mine.body.data?.createApiKey.apiKey.id);
    expect(listed.every((k) => k.createdByEmail === 'member@pact.demo')).toBe(true);
    const all = (await as(admin, LIST)).body.data?.apiKeys as { id: string; createdByEmail: string | null }[];
    expect(all.map((k) => k.id)).toEqual(expect.arrayContaining([mine.body.data?.createApiKey.apiKey.id, adminKey?.apiKey.id]));

    const others = await as(member, REVOKE, { id: adminKey?.apiKey.id });
    expect(firstError(others)?.message).toBe("Revoking another user's API key needs role owner or admin; you are member.");
    expect(firstError(others)?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role: 'member' });
    expect((await auditRows('revokeApiKey')).at(-1)).toEqual({ outcome: 'denied', error_code: 'FORBIDDEN' });
    expect((await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: adminKey?.secret })).status).toBe(200);

    const own = await as(member, REVOKE, { id: mine.body.data?.createApiKey.apiKey.id });
    expect(own.body.data?.revokeApiKey.revokedAt).toBeTruthy();
    const byAdmin = await as(admin, REVOKE, { id: adminKey?.apiKey.id });
    expect(byAdmin.body.data?.revokeApiKey.revokedAt).toBeTruthy();
  });

  it('refuses a scope wider than the minter holds, naming the roles that hold it, and writes nothing', async () => {
    const [before] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from api_keys`);
    const res = await as(member, MINT, { name: 'too wide', scopes: ['read:deals', 'write:consent'] });
    expect(firstError(res)?.message).toBe('Minting a key with write:consent needs role owner, admin or manager; you are member.');
    expect(firstError(res)?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin', 'manager'], role: 'member' });
    const [after] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from api_keys`);
    expect(after?.n).toBe(before?.n);
    const ok = await as(manager, MINT, { name: 'consent bot', scopes: ['write:consent'] });
    expect(ok.body.errors).toBeUndefined();
  });

  it('an admin revokes any key of the tenant, a member key included', async () => {
    const key = (await as(member, MINT, { name: 'to be revoked by admin', scopes: ['read:accounts'] })).body.data?.createApiKey;
    const res = await as(admin, REVOKE, { id: key?.apiKey.id });
    expect(res.body.data?.revokeApiKey.revokedAt).toBeTruthy();
    const after = await pact.gql('{ accounts(first: 1) { returned } }', {}, { token: key?.secret });
    expect(after.status).toBe(401);
    expect(firstError(after)?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });
  });
});

describe('consent erasure is owner/admin only', () => {
  it.each([
    ['member', () => member, 'member'],
    ['manager (who holds write:consent)', () => manager, 'manager'],
  ])('refuses a %s before anything changes, audited once as denied', async (_, token, role) => {
    const before = (await auditRows('eraseConsent')).length;
    const res = await as(token(), ERASE);
    expect(res.body.data ?? null).toBeNull();
    expect(firstError(res)?.message).toBe(`Erasing a subject needs role owner or admin; you are ${role}.`);
    expect(firstError(res)?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role });
    expect((await auditRows('eraseConsent')).slice(before)).toEqual([{ outcome: 'denied', error_code: 'FORBIDDEN' }]);
    expect(await pact.sql(sql`select id from consent_subjects where subject_key = 'gate.example'`)).toEqual([]);
  });

  it('an API key with write:consent is refused too; an admin erases', async () => {
    const key = await pact.mintKey(admin, ['write:consent']);
    expect(firstError(await as(key, ERASE))?.message).toBe('Erasing a subject needs role owner or admin; you are api (an API key).');
    expect((await as(key, 'mutation { suppressConsent(subject: { kind: DOMAIN, value: "gate.example" }) { status } }')).body.errors).toBeUndefined();
    expect((await as(admin, ERASE)).body.data).toEqual({ eraseConsent: { status: 'ERASED' } });
  });

  it('the printed schema carries the roles it enforces', () => {
    const sdl = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(sdl).toContain('directive @requiresRole(roles: [String!]!) on FIELD_DEFINITION');
    expect(sdl).toMatch(/eraseConsent\(.*\): ConsentSubject! @requiresRole\(roles: \["owner", "admin"\]\) @requiresScope/);
    expect(sdl).toMatch(/revokeApiKey\(.*\): ApiKey! @requiresRole\(roles: \["owner", "admin", "manager", "member"\]\)/);
  });
});

describe('viewer', () => {
  it('names the signed-in user; an API key has no e-mail', async () => {
    const me = await as(member, '{ viewer { role email displayName apiKeyId } }');
    expect(me.body.data?.viewer).toEqual({ role: 'member', email: 'member@pact.demo', displayName: 'Member (Demo)', apiKeyId: null });
    const key = await pact.mintKey(admin, ['read:deals']);
    const byKey = await as(key, '{ viewer { role email displayName } }');
    expect(byKey.body.data?.viewer).toEqual({ role: 'api', email: null, displayName: null });
  });
});
