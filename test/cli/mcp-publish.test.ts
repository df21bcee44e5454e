/**
 * `pact mcp publish` with the real bin against a running test Pact and a loopback upstream made
 * with @pact/mcp-server that requires a bearer secret: the page's lines one by one, the rows it
 * leaves, the secret sealed (never in output, never plain in the database), publishing again in
 * place, the admin gate in one line, PACT_TENANT, and an endpoint Pact cannot reach.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPactServer, InMemoryConsentStore, z } from '@pact/mcp-server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carrying, startPactUpstream, startSseUpstream, type Upstream } from '../federation/upstreams';
import { startTestPact, type TestPact } from '../helpers/pact';
import { configDirs, runPact, type PactRun } from './helpers';

const SECRET = 'upstream-canary-5e1f0b7d2c';

const author = () =>
  createPactServer('my-tools', { version: '1.0.0', consentStore: new InMemoryConsentStore() })
    .tool('lookup_orders', { description: 'Orders of a customer, by e-mail.', costCents: 0.1, consentSubject: 'email', rateLimitPerMin: 60, schema: z.object({ email: z.string() }) }, ({ email }) => ({ email, orders: [] }))
    .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));

const pactToml = (url: string, tools: string) => `[server]
name = "my-tools"
slug = "custom"
endpoint_url = "${url}"
transport = "streamable_http"
auth_kind = "bearer"
${tools}`;

const LOOKUP = `
[tools.lookup_orders]
enabled = true
allowed_roles = ["owner", "admin", "manager"]
rate_limit_per_min = 60
cost_cap_cents = 5.0
est_cost_cents = 0.10
pii_policy = "redact"
`;

const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

let pact: TestPact;
let upstream: Upstream;
let dirs: Awaited<ReturnType<typeof configDirs>>;
let project: string;
let adminEnv: Record<string, string>;
let memberEnv: Record<string, string>;
let apiKey: string;

const loginAs = async (email: string): Promise<Record<string, string>> => {
  const env = { PACT_URL: pact.url, PACT_CONFIG_DIR: dirs.next() };
  const run = await runPact(['login', '--email', email, '--password-stdin'], { env, input: 'pact-demo' });
  expect(run.code, run.stderr).toBe(0);
  return env;
};

/** `pact mcp publish` in the project; the secret never appears in what it prints. */
const publish = async (env: Record<string, string>, extra: string[] = []): Promise<PactRun> => {
  const run = await runPact(['mcp', 'publish', ...extra], { cwd: project, env: { ...env, PACT_MCP_AUTH_SECRET: SECRET } });
  expect(run.stdout).not.toContain(SECRET);
  expect(run.stderr).not.toContain(SECRET);
  return run;
};

const serversOf = (tenantId: string) =>
  pact.sql<{ id: string; slug: string; status: string; auth_secret: unknown }>(sql`select id, slug, status, auth_secret from federated_servers where tenant_id = ${tenantId} order by slug`);
const toolsOf = (serverId: string) =>
  pact.sql<{ name: string; enabled: boolean; disabled_reason: string | null; allowed_roles: string[]; rate_limit_per_min: number; cost_cap_microcents: number | null; pii_policy: string }>(
    sql`select name, enabled, disabled_reason, allowed_roles, rate_limit_per_min, cost_cap_microcents::float8 as cost_cap_microcents, pii_policy from federated_tools where server_id = ${serverId} order by name`,
  );

beforeAll(async () => {
  [pact, dirs, upstream, project] = await Promise.all([
    startTestPact({ upstreams: { allowPrivate: true } }),
    configDirs(),
    startPactUpstream(author(), { require: { header: 'authorization', value: `Bearer ${SECRET}` } }),
    mkdtemp(join(tmpdir(), 'pact-publish-')),
  ]);
  [adminEnv, memberEnv] = await Promise.all([loginAs('admin@pact.demo'), loginAs('member@pact.demo')]);
  apiKey = await pact.mintKey(await pact.signIn('owner@pact.demo'), ['read:deals'], 'demo');
});
afterAll(async () => {
  await upstream?.close();
  await pact?.close();
  await dirs.cleanup();
  await rm(project, { recursive: true, force: true });
});

describe('pact mcp publish', () => {
  it("prints the page's lines, leaves one server with its governed and disabled tools, seals the secret and writes server.json", async () => {
    await writeFile(join(project, 'pact.toml'), pactToml(upstream.url, LOOKUP));
    const run = await publish(adminEnv);
    expect(run.code, run.stderr).toBe(0);
    const [server] = await serversOf(pact.seed.demoTenantId);
    expect(server).toMatchObject({ slug: 'custom', status: 'active' });
    expect(run.stdout.split('\n')).toEqual([
      `→ Installing 'my-tools' (${upstream.url}) …`,
      `server ${server?.id.slice(0, 4)}… status=pending`,
      '→ Discovering tools …',
      'discovered 2 tool(s): lookup_orders, ping',
      "✓ governed 'lookup_orders': roles=['owner', 'admin', 'manager'] pii=redact",
      '· 1 discovered tool(s) left disabled (no pact.toml entry): ping',
      '',
    ]);
    expect(run.stderr).toBe('wrote server.json (MCP registry server.json)\n');

    expect(await toolsOf(server?.id ?? '')).toEqual([
      { name: 'lookup_orders', enabled: true, disabled_reason: null, allowed_roles: ['owner', 'admin', 'manager'], rate_limit_per_min: 60, cost_cap_microcents: 5_000_000, pii_policy: 'redact' },
      { name: 'ping', enabled: false, disabled_reason: 'no_entry', allowed_roles: [], rate_limit_per_min: 60, cost_cap_microcents: null, pii_policy: 'redact' },
    ]);
    // Pact reached the upstream with the secret; the database holds it sealed only.
    expect(upstream.requests.length).toBeGreaterThan(0);
    expect(upstream.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
    expect(JSON.stringify(server?.auth_secret)).not.toContain(SECRET);

    const written = JSON.parse(await readFile(join(project, 'server.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ name: 'local.pact/custom', remotes: [{ type: 'streamable-http', url: upstream.url }] });
    expect(JSON.stringify(written)).not.toContain(SECRET);
  });

  it('publishing again updates the same server in place: changed governance, a tool disabled in pact.toml, an entry naming no tool', async () => {
    const [before] = await serversOf(pact.seed.demoTenantId);
    await writeFile(
      join(project, 'pact.toml'),
      pactToml(
        upstream.url,
        `${LOOKUP.replace('["owner", "admin", "manager"]', '["owner", "member", "api"]').replace('"redact"', '"block"')}
[tools.ping]
enabled = false
allowed_roles = ["owner"]

[tools.lookup_order]
allowed_roles = ["owner"]
`,
      ),
    );
    const run = await publish(adminEnv);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      `→ Installing 'my-tools' (${upstream.url}) …`,
      `server ${before?.id.slice(0, 4)}… status=active`,
      '→ Discovering tools …',
      'discovered 2 tool(s): lookup_orders, ping',
      "✓ governed 'lookup_orders': roles=['owner', 'member', 'api'] pii=block",
      '· 1 discovered tool(s) disabled in pact.toml (enabled = false): ping',
      "! [tools.lookup_order]: the server offers no tool 'lookup_order' (entry not applied)",
      '',
    ]);
    const after = await serversOf(pact.seed.demoTenantId);
    expect(after.map((s) => s.id)).toEqual([before?.id]);
    expect((await toolsOf(before?.id ?? '')).map((t) => [t.name, t.enabled, t.disabled_reason, t.allowed_roles, t.pii_policy])).toEqual([
      ['lookup_orders', true, null, ['owner', 'member', 'api'], 'block'],
      ['ping', false, 'disabled_in_config', ['owner'], 'redact'],
    ]);
  });

  it('the admin gate refuses a member and an API key in one line, and nothing changes', async () => {
    const [before] = await serversOf(pact.seed.demoTenantId);
    const tools = await toolsOf(before?.id ?? '');
    await writeFile(join(project, 'pact.toml'), pactToml(upstream.url, LOOKUP.replace('"redact"', '"allow"')));
    const member = await publish(memberEnv);
    expect(member.code).toBe(1);
    expect(member.stderr).toBe("error: Pact's admin gate refused: Publishing MCP servers needs role owner or admin; you are member.\n");
    const key = await publish({ PACT_URL: pact.url, PACT_ADMIN_TOKEN: apiKey });
    expect(key.code).toBe(1);
    expect(key.stderr).toBe("error: Pact's admin gate refused: Publishing MCP servers needs role owner or admin; you are api (an API key).\n");
    expect(await toolsOf(before?.id ?? '')).toEqual(tools);
  });

  it('PACT_TENANT is sent as X-Tenant-ID: the server is published in that tenant only', async () => {
    const owner = await pact.signIn('owner@pact.demo');
    const globexBefore = await serversOf(pact.seed.secondTenantId);
    await writeFile(join(project, 'pact.toml'), pactToml(upstream.url, LOOKUP));
    const run = await publish({ PACT_URL: pact.url, PACT_ADMIN_TOKEN: owner, PACT_TENANT: 'globex' });
    expect(run.code, run.stderr).toBe(0);
    const globex = await serversOf(pact.seed.secondTenantId);
    expect(globexBefore).toEqual([]);
    expect(globex.map((s) => s.slug)).toEqual(['custom']);
    expect((await serversOf(pact.seed.demoTenantId)).map((s) => s.id)).not.toContain(globex[0]?.id);
  });

  it('an endpoint Pact cannot reach: a clear error naming the endpoint_url line (exit 1), no server.json rewritten', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/mcp`;
    await rm(join(project, 'server.json'), { force: true });
    await writeFile(join(project, 'pact.toml'), pactToml(dead, LOOKUP).replace('slug = "custom"', 'slug = "gone"'));
    const run = await publish(adminEnv);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([`→ Installing 'my-tools' (${dead}) …`, expect.stringMatching(/^server [0-9a-f]{4}… status=pending$/), '→ Discovering tools …']);
    const [error, hint] = run.stderr.split('\n');
    expect(error).toMatch(/^error: The MCP server at 127\.0\.0\.1:\d+ is unreachable: .+\.$/);
    expect(hint).toBe('hint: Check endpoint_url (pact.toml:4) and PACT_MCP_AUTH_SECRET, and that the server runs and is reachable from the Pact server; then publish again.');
    await expect(readFile(join(project, 'server.json'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect((await serversOf(pact.seed.demoTenantId)).find((s) => s.slug === 'gone')).toMatchObject({ status: 'error' });
  });

  it('an http endpoint on a Pact that does not allow private upstreams: refused at registration, naming pact.toml\'s line', async () => {
    const strict = await startTestPact({ database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed } });
    try {
      await writeFile(join(project, 'pact.toml'), pactToml(upstream.url, LOOKUP).replace('slug = "custom"', 'slug = "strict"'));
      const requests = upstream.requests.length;
      const run = await publish({ PACT_URL: strict.url, PACT_ADMIN_TOKEN: await strict.signIn('admin@pact.demo') });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(`→ Installing 'my-tools' (${upstream.url}) …\n`);
      expect(run.stderr).toBe(
        'error: pact.toml:4: server.endpoint_url: Pact refused it: `endpointUrl` must use https (plain http only with PACT_ALLOW_PRIVATE_UPSTREAMS, for development).\n',
      );
      expect(upstream.requests.length).toBe(requests);
      expect((await serversOf(pact.seed.demoTenantId)).map((s) => s.slug)).not.toContain('strict');
    } finally {
      await strict.close();
    }
  });

  it('a secret the upstream refuses: the credential named as the problem, the wrong secret printed nowhere', async () => {
    await writeFile(join(project, 'pact.toml'), pactToml(upstream.url, LOOKUP));
    const wrong = 'wrong-canary-93b1d4';
    const run = await runPact(['mcp', 'publish'], { cwd: project, env: { ...adminEnv, PACT_MCP_AUTH_SECRET: wrong } });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toMatch(/^error: The MCP server at 127\.0\.0\.1:\d+ refused Pact's credential \(HTTP 401\): check the server's auth secret\.$/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('the legacy SSE transport with a named header; --json prints the result alone', async () => {
    const sse = await startSseUpstream({ tools: [{ name: 'quote', description: 'Quotes a price.', inputSchema: { type: 'object' } }], require: { header: 'X-Api-Key', value: SECRET } });
    const dir = await mkdtemp(join(tmpdir(), 'pact-publish-sse-'));
    try {
      await writeFile(
        join(dir, 'pact.toml'),
        `[server]\nname = "Quotes"\nslug = "quotes"\nendpoint_url = "${sse.url}"\ntransport = "sse"\nauth_kind = "header"\nauth_header = "X-Api-Key"\n\n[tools.quote]\nallowed_roles = ["manager", "api"]\nest_cost_cents = 0.5\n`,
      );
      const run = await runPact(['mcp', 'publish', '--json'], { cwd: dir, env: { ...adminEnv, PACT_MCP_AUTH_SECRET: SECRET } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout + run.stderr).not.toContain(SECRET);
      const result = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        discovered: ['quote'],
        changed: [],
        removed: [],
        notOffered: [],
        serverJson: join(dir, 'server.json'),
        server: { slug: 'quotes', transport: 'SSE', authKind: 'HEADER', authHeader: 'X-Api-Key', hasSecret: true, status: 'ACTIVE', tools: [{ federatedName: 'quotes__quote', callable: true, allowedRoles: ['manager', 'api'], estCostCents: 0.5 }] },
      });
      expect(carrying(sse, 'X-Api-Key').length).toBe(sse.requests.length);
      expect(JSON.parse(await readFile(join(dir, 'server.json'), 'utf8'))).toMatchObject({
        remotes: [{ type: 'sse', url: sse.url, headers: [{ name: 'X-Api-Key', isSecret: true }] }],
      });
    } finally {
      await sse.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
