import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { configDirs, runPact, type PactRun } from './helpers';

/** Two server instances on one database (each with its own pool on PostgreSQL): what one revokes, the other refuses at once. */
let one: TestPact;
let two: TestPact;
let dirs: Awaited<ReturnType<typeof configDirs>>;
let adminEnv: Record<string, string>;
let memberEnv: Record<string, string>;

const loginAs = async (email: string): Promise<Record<string, string>> => {
  const env = { PACT_URL: one.url, PACT_CONFIG_DIR: dirs.next() };
  const run = await runPact(['login', '--email', email, '--password-stdin'], { env, input: 'pact-demo' });
  expect(run.code, run.stderr).toBe(0);
  return env;
};

beforeAll(async () => {
  [one, dirs] = await Promise.all([startTestPact(), configDirs()]);
  two = await startTestPact({ database: { database: one.database, masterKey: one.masterKey, seed: one.seed, url: one.databaseUrl } });
  [adminEnv, memberEnv] = await Promise.all([loginAs('admin@pact.demo'), loginAs('member@pact.demo')]);
});
afterAll(async () => {
  await two.close();
  await one.close();
  await dirs.cleanup();
});

const ok = (run: PactRun) => {
  expect(run.code, run.stderr).toBe(0);
  return run;
};

describe('pact keys', () => {
  it('creates a key whose secret is printed once, lists it without the secret, and revokes it on every instance', async () => {
    const created = ok(await runPact(['keys', 'create', 'nightly reports', '--scope', 'read:deals', '--scope', 'read:accounts'], { env: adminEnv }));
    const secret = /pact_live_[A-Za-z0-9_-]{32}/.exec(created.stdout)?.[0] ?? '';
    expect(secret).not.toBe('');
    expect(created.stdout).toContain('Created API key "nightly reports"');
    expect(created.stdout).toContain('read:deals, read:accounts');
    expect(created.stderr).toContain('shown once and never again');
    const id = /\(([0-9a-f-]{36})\)/.exec(created.stdout)?.[1] ?? '';

    const listed = ok(await runPact(['keys', 'list'], { env: adminEnv }));
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+SCOPES\s+CREATED\s+REVOKED\s+CREATED BY$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+nightly reports\\s+${secret.slice(0, 14)}…\\s+read:deals,read:accounts\\s+\\S+ \\S+ UTC\\s+—\\s+admin@pact\\.demo$`, 'm'));
    expect(listed.stdout).not.toContain(secret);

    // The key works on both instances, then one revokes it and the other refuses the very next call.
    for (const pact of [one, two]) expect((await pact.gql('{ deals(first: 1) { returned } }', {}, { token: secret })).status).toBe(200);
    const revoked = ok(await runPact(['keys', 'revoke', id], { env: adminEnv }));
    expect(revoked.stdout).toContain(`Revoked API key "nightly reports" (${id})`);
    const refused = await two.gql('{ deals(first: 1) { returned } }', {}, { token: secret });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'KEY_REVOKED' });

    const all = JSON.parse(ok(await runPact(['keys', 'list', '--all', '--json'], { env: adminEnv })).stdout) as { id: string; revokedAt: string | null }[];
    expect(all.find((k) => k.id === id)?.revokedAt).toBeTruthy();
    const live = JSON.parse(ok(await runPact(['keys', 'list', '--json'], { env: adminEnv })).stdout) as { id: string }[];
    expect(live.map((k) => k.id)).not.toContain(id);
  });

  it('--json gives the secret once as data; a revoked PACT_ADMIN_TOKEN key exits 3', async () => {
    const [created, locked] = (
      await Promise.all([
        runPact(['keys', 'create', 'bot', '--scope', 'read:contacts,read:deals', '--json'], { env: adminEnv }),
        runPact(['keys', 'create', 'locked', '--scope', 'read:deals', '--trusted-documents-only', '--json'], { env: adminEnv }),
      ])
    ).map((run) => JSON.parse(ok(run).stdout));
    expect(created).toMatchObject({ name: 'bot', scopes: ['read:contacts', 'read:deals'], trustedDocumentsOnly: false, secret: expect.stringMatching(/^pact_live_/) });
    expect(locked).toMatchObject({ name: 'locked', trustedDocumentsOnly: true });
    const asKey = { PACT_URL: two.url, PACT_ADMIN_TOKEN: created.secret as string };
    const who = JSON.parse(ok(await runPact(['whoami', '--json'], { env: asKey })).stdout);
    expect(who).toMatchObject({ role: 'api', credential: 'api_key', source: 'PACT_ADMIN_TOKEN', apiKeyId: created.id, email: null });
    ok(await runPact(['keys', 'revoke', created.id], { env: adminEnv }));
    const after = await runPact(['whoami'], { env: asKey });
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('PACT_ADMIN_TOKEN was refused: This API key has been revoked.');
  });
});

describe('the admin gate, relayed by the CLI', () => {
  it('an API key in PACT_ADMIN_TOKEN never manages keys (exit 1, the role named)', async () => {
    const key = await one.mintKey(await one.signIn('admin@pact.demo'), ['read:deals', 'write:crm']);
    const run = await runPact(['keys', 'list'], { env: { PACT_URL: one.url, PACT_ADMIN_TOKEN: key } });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain('error: Managing API keys needs role owner, admin, manager or member; you are api (an API key).');
    expect(run.stderr).toContain('hint: PACT_ADMIN_TOKEN holds an API key');
  });

  it("a member manages only their own keys, within their scopes, and cannot erase subjects", async () => {
    const mine = JSON.parse(ok(await runPact(['keys', 'create', 'member bot', '--scope', 'read:deals', '--json'], { env: memberEnv })).stdout);
    const adminKey = JSON.parse(ok(await runPact(['keys', 'create', 'admin bot', '--scope', 'read:deals', '--json'], { env: adminEnv })).stdout);

    const listed = ok(await runPact(['keys', 'list'], { env: memberEnv }));
    expect(listed.stdout).toContain(mine.id);
    expect(listed.stdout).not.toContain(adminKey.id);
    expect(listed.stderr).toContain('Showing the keys you created (you are member; owners and admins see every key of the tenant).');

    const others = await runPact(['keys', 'revoke', adminKey.id], { env: memberEnv });
    expect(others.code).toBe(1);
    expect(others.stderr).toContain("error: Revoking another user's API key needs role owner or admin; you are member.");
    expect(others.stderr).toContain('hint: Log in as a user with role owner or admin');
    expect((await two.gql('{ deals(first: 1) { returned } }', {}, { token: adminKey.secret })).status).toBe(200);

    const wider = await runPact(['keys', 'create', 'wide', '--scope', 'write:consent'], { env: memberEnv });
    expect(wider.code).toBe(1);
    expect(wider.stderr).toContain('error: Minting a key with write:consent needs role owner, admin or manager; you are member.');

    // Erasure with the member's stored session (the CLI has no consent command yet).
    const { token } = JSON.parse(await readFile(join(memberEnv.PACT_CONFIG_DIR ?? '', 'credentials.json'), 'utf8'));
    const erase = await one.gql('mutation { eraseConsent(subject: { kind: DOMAIN, value: "cli.example" }) { status } }', {}, { token });
    expect(erase.body.errors?.[0]?.message).toBe('Erasing a subject needs role owner or admin; you are member.');

    ok(await runPact(['keys', 'revoke', mine.id], { env: memberEnv }));
  });

  it('a bad key id is the server message, exit 1', async () => {
    const run = await runPact(['keys', 'revoke', 'not-an-id'], { env: adminEnv });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .+/m);
  });
});

describe('a signed-in session ended on one instance', () => {
  it('is refused by the other instance on its very next call', async () => {
    const token = await one.signIn('member@pact.demo');
    expect((await two.gql('{ deals(first: 1) { returned } }', {}, { token })).status).toBe(200);
    const ended = await fetch(`${one.url}/auth/sign-out`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(ended.status).toBeLessThan(300);
    const refused = await two.gql('{ deals(first: 1) { returned } }', {}, { token });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
