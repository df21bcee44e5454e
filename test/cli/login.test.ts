import { chmod, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { configDirs, runPact } from './helpers';

let pact: TestPact;
let dirs: Awaited<ReturnType<typeof configDirs>>;
beforeAll(async () => {
  [pact, dirs] = await Promise.all([startTestPact(), configDirs()]);
});
afterAll(async () => {
  await pact.close();
  await dirs.cleanup();
});

const login = (dir: string, email: string, password = 'pact-demo', extra: string[] = []) =>
  runPact(['login', '--email', email, '--password-stdin', ...extra], { env: { PACT_URL: pact.url, PACT_CONFIG_DIR: dir }, input: `${password}\n` });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('pact --help and usage errors', () => {
  it('every command has --help (exit 0); bad usage exits 2', async () => {
    const commands = [[], ['login'], ['logout'], ['whoami'], ['keys'], ['keys', 'create'], ['keys', 'list'], ['keys', 'revoke']];
    const helps = await Promise.all(commands.map((c) => runPact([...c, '--help'])));
    helps.forEach((run, i) => {
      expect(run.code, commands[i]?.join(' ')).toBe(0);
      expect(run.stdout).toContain(`Usage: pact ${commands[i]?.join(' ')}`.trim());
    });
    expect(helps[0]?.stdout).toMatch(/Exit codes:[\s\S]*4 cannot reach PACT_URL/);
    expect(helps[5]?.stdout).toContain('read:contacts');

    const [unknown, noScope, noArg] = await Promise.all([
      runPact(['whoami', '--nope']),
      runPact(['keys', 'create', 'ci'], { env: { PACT_ADMIN_TOKEN: 'pact_sess_x' } }),
      runPact(['keys', 'revoke']),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain("unknown option '--nope'");
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('Choose at least one --scope.');
    expect(noArg.code).toBe(2);
    expect(noArg.stderr).toContain("missing required argument 'id'");
  });
});

describe('pact login / whoami / logout', () => {
  it('without credentials, commands exit 3 and say to run `pact login`', async () => {
    const run = await runPact(['whoami'], { env: { PACT_URL: pact.url, PACT_CONFIG_DIR: dirs.next() } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Not logged in to Pact.');
    expect(run.stderr).toContain('pact login');
  });

  it('a server that is not running exits 4, naming the URL and the fix', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await runPact(['login', '--email', 'admin@pact.demo', '--password-stdin'], { env: { PACT_URL: url, PACT_CONFIG_DIR: dirs.next() }, input: 'pact-demo' });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`Cannot reach Pact at ${url} (connection refused).`);
    expect(run.stderr).toContain('npm start');
    expect(run.stderr).toContain('PACT_URL');
  });

  it('a wrong password exits 3 with the server message and stores nothing', async () => {
    const dir = dirs.next();
    const run = await login(dir, 'admin@pact.demo', 'not-the-password');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: E-mail or password is incorrect.');
    await expect(stat(join(dir, 'credentials.json'))).rejects.toThrow(/ENOENT/);
  });

  it('logs in, stores the session 0600 without printing it, and whoami shows who it is', async () => {
    const dir = dirs.next();
    const run = await login(dir, 'Admin@pact.demo');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Logged in to ${pact.url} as admin@pact.demo (tenant demo, role admin).`);
    expect(run.stdout + run.stderr).not.toContain('pact_sess_');
    const file = join(dir, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored).toMatchObject({ url: pact.url, tenant: 'demo', email: 'admin@pact.demo', token: expect.stringMatching(/^pact_sess_/) });

    const env = { PACT_URL: pact.url, PACT_CONFIG_DIR: dir };
    const [who, json] = await Promise.all([runPact(['whoami'], { env }), runPact(['whoami', '--json'], { env })]);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toMatch(/Tenant\s+demo/);
    expect(who.stdout).toMatch(/User\s+admin@pact\.demo \(Admin \(Demo\)\)/);
    expect(who.stdout).toMatch(/Role\s+admin/);
    expect(who.stdout).toContain('admin:keys, admin:mcp, call:federated, check:consent, read:accounts');
    expect(who.stdout).toMatch(/Credential\s+session token \(from `pact login`/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      url: pact.url,
      tenant: { slug: 'demo', id: pact.seed.demoTenantId },
      role: 'admin',
      email: 'admin@pact.demo',
      credential: 'session',
      source: 'login',
      apiKeyId: null,
    });

    // Logging in again replaces the file, restores its mode, and ends the previous session.
    await chmod(file, 0o644);
    expect((await login(dir, 'admin@pact.demo')).code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await pact.gql('{ viewer { role } }', {}, { token: stored.token })).status).toBe(401);

    // Logout ends the session on the server and deletes the file; a second logout is quiet.
    const current = JSON.parse(await readFile(file, 'utf8')).token as string;
    const out = await runPact(['logout'], { env });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Logged out of ${pact.url} (admin@pact.demo)`);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    const after = await pact.gql('{ viewer { role } }', {}, { token: current });
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await runPact(['logout'], { env })).toMatchObject({ code: 0, stdout: '' });
  });

  it('a user of several tenants must choose one with --tenant; the choice is used afterwards', async () => {
    const dir = dirs.next();
    const [sessions] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from user_sessions where revoked_at is null`);
    const ambiguous = await login(dir, 'owner@pact.demo');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('owner@pact.demo belongs to several tenants:');
    expect(ambiguous.stderr).toMatch(/demo \(owner\)/);
    expect(ambiguous.stderr).toMatch(/globex \(admin\)/);
    expect(ambiguous.stderr).toContain('--tenant');
    const [after] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from user_sessions where revoked_at is null`);
    expect(after?.n).toBe(sessions?.n);

    expect((await login(dir, 'owner@pact.demo', 'pact-demo', ['--tenant', 'nope'])).stderr).toContain("is not a member of tenant 'nope'");
    const chosen = await login(dir, 'owner@pact.demo', 'pact-demo', ['--tenant', 'globex']);
    expect(chosen.code, chosen.stderr).toBe(0);
    const who = await runPact(['whoami', '--json'], { env: { PACT_URL: pact.url, PACT_CONFIG_DIR: dir } });
    expect(JSON.parse(who.stdout)).toMatchObject({ tenant: { slug: 'globex' }, role: 'admin', email: 'owner@pact.demo' });
  });
});
