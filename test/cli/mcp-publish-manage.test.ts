/**
 * `pact mcp list`, `approve` and `delete` with the real bin against a test Pact, on a plain-SDK
 * upstream whose tool list the test edits between publishes: a changed definition disabled until
 * approved (and `list` saying why), a tool removed upstream, refusals, deletion.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainUpstream, type PlainTool, type Upstream } from '../federation/upstreams';
import { startTestPact, type TestPact } from '../helpers/pact';
import { configDirs, runPact, type PactRun } from './helpers';

const tools: PlainTool[] = [
  { name: 'search', description: 'Searches the catalogue.', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
  { name: 'export', description: 'Exports orders.', inputSchema: { type: 'object' } },
  { name: 'ping', description: 'Answers pong.', inputSchema: { type: 'object' } },
];

let pact: TestPact;
let upstream: Upstream;
let dirs: Awaited<ReturnType<typeof configDirs>>;
let project: string;
let adminEnv: Record<string, string>;
let memberEnv: Record<string, string>;

const pactToml = (url: string) => `[server]
name = "Shop tools"
slug = "shop"
endpoint_url = "${url}"

[tools.search]
allowed_roles = ["owner", "admin", "manager", "member"]
rate_limit_per_min = 30
cost_cap_cents = 2.5
est_cost_cents = 0.25
pii_policy = "allow"

[tools.export]
enabled = false
allowed_roles = ["owner"]
`;

const loginAs = async (email: string): Promise<Record<string, string>> => {
  const env = { PACT_URL: pact.url, PACT_CONFIG_DIR: dirs.next() };
  const run = await runPact(['login', '--email', email, '--password-stdin'], { env, input: 'pact-demo' });
  expect(run.code, run.stderr).toBe(0);
  return env;
};

const pactRun = (args: string[], env = adminEnv) => runPact(args, { cwd: project, env });
const ok = (run: PactRun) => {
  expect(run.code, run.stderr).toBe(0);
  return run;
};

beforeAll(async () => {
  [pact, dirs, upstream, project] = await Promise.all([startTestPact({ upstreams: { allowPrivate: true } }), configDirs(), startPlainUpstream({ tools }), mkdtemp(join(tmpdir(), 'pact-manage-'))]);
  [adminEnv, memberEnv] = await Promise.all([loginAs('admin@pact.demo'), loginAs('member@pact.demo')]);
  await writeFile(join(project, 'pact.toml'), pactToml(upstream.url));
});
afterAll(async () => {
  await upstream?.close();
  await pact?.close();
  await dirs?.cleanup();
  await rm(project, { recursive: true, force: true });
});

describe('pact mcp list, approve and delete', () => {
  it('list shows each tool: callable or disabled, its governance and why', async () => {
    const published = ok(await pactRun(['mcp', 'publish']));
    expect(published.stdout.split('\n').slice(3)).toEqual([
      'discovered 3 tool(s): search, export, ping',
      "✓ governed 'search': roles=['owner', 'admin', 'manager', 'member'] pii=allow",
      '· 1 discovered tool(s) disabled in pact.toml (enabled = false): export',
      '· 1 discovered tool(s) left disabled (no pact.toml entry): ping',
      '',
    ]);
    const listed = ok(await pactRun(['mcp', 'list']));
    expect(listed.stdout).toMatch(new RegExp(`^shop  'Shop tools'  ${upstream.url.replaceAll('.', '\\.')}  streamable_http, auth none  status active, discovered \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\n`));
    expect(listed.stdout.split('\n').slice(1)).toEqual([
      '  TOOL          STATUS    ROLES                       RATE    CAP       EST    PII     WHY',
      '  shop__export  disabled  owner                       60/min  —         0¢     redact  disabled in pact.toml',
      '  shop__ping    disabled  —                           60/min  —         0¢     redact  no pact.toml entry',
      '  shop__search  callable  owner,admin,manager,member  30/min  2.5¢/day  0.25¢  allow',
      '',
    ]);
  });

  it('a definition changed upstream is disabled until `pact mcp approve`; a removed tool is switched off', async () => {
    tools[0] = { ...tools[0]!, description: 'Searches the catalogue and the archive.' };
    tools.splice(2, 1);
    const republished = ok(await pactRun(['mcp', 'publish']));
    expect(republished.stdout.split('\n').slice(3)).toEqual([
      'discovered 2 tool(s): search, export',
      "✓ governed 'search': roles=['owner', 'admin', 'manager', 'member'] pii=allow",
      "! 'search': definition changed upstream — disabled until `pact mcp approve shop search`",
      '· 1 discovered tool(s) disabled in pact.toml (enabled = false): export',
      '· 1 tool(s) removed upstream (disabled): ping',
      '',
    ]);
    const listed = ok(await pactRun(['mcp', 'list']));
    expect(listed.stdout).toContain('  shop__search  disabled  owner,admin,manager,member  30/min  2.5¢/day  0.25¢  allow   definition changed — run `pact mcp approve shop search`\n');
    expect(listed.stdout).toContain('  shop__ping    disabled  —                           60/min  —         0¢     redact  removed upstream\n');
    const json = JSON.parse(ok(await pactRun(['mcp', 'list', '--json'])).stdout) as { slug: string; hasSecret: boolean; tools: { name: string; callable: boolean; changed: boolean; disabledReason: string | null }[] }[];
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ slug: 'shop', hasSecret: false });
    expect(json[0]?.tools.find((t) => t.name === 'search')).toMatchObject({ callable: false, changed: true });

    const approved = ok(await pactRun(['mcp', 'approve', 'shop', 'search']));
    expect(approved.stdout).toBe("Approved the definition of 'search': shop__search is callable.\n");
    expect(ok(await pactRun(['mcp', 'list'])).stdout).toContain('  shop__search  callable  owner,admin,manager,member  30/min  2.5¢/day  0.25¢  allow\n');
    const still = ok(await pactRun(['mcp', 'approve', 'shop', 'export']));
    expect(still.stdout).toBe("Approved the definition of 'export'; shop__export stays disabled: disabled in pact.toml.\n");
  });

  it('refuses an unknown server or tool naming what exists, and a member in one line', async () => {
    const noTool = await pactRun(['mcp', 'approve', 'shop', 'serch']);
    expect(noTool.code).toBe(1);
    expect(noTool.stderr).toBe("error: MCP server 'shop' has no tool 'serch'.\nhint: Its tools: export, ping, search.\n");
    const noServer = await pactRun(['mcp', 'approve', 'shopp', 'search']);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toBe("error: No MCP server 'shopp' is published in this tenant.\nhint: Published: shop (`pact mcp list`).\n");
    for (const args of [['mcp', 'list'], ['mcp', 'approve', 'shop', 'search'], ['mcp', 'delete', 'shop']]) {
      const member = await pactRun(args, memberEnv);
      expect(member.code).toBe(1);
      expect(member.stderr).toBe("error: Pact's admin gate refused: Publishing MCP servers needs role owner or admin; you are member.\n");
    }
  });

  it("delete (the slug from ./pact.toml) removes the server and its tools; list then says there is none", async () => {
    const deleted = ok(await pactRun(['mcp', 'delete']));
    expect(deleted.stdout).toBe("Deleted MCP server 'Shop tools' (slug shop) and its 3 tool(s); calls to shop__* are refused from now on.\n");
    expect(await pact.sql(sql`select id from federated_servers`)).toEqual([]);
    expect(await pact.sql(sql`select id from federated_tools`)).toEqual([]);
    const listed = ok(await pactRun(['mcp', 'list']));
    expect(listed.stdout).toBe('');
    expect(listed.stderr).toBe('No MCP servers are published in this tenant. Publish one with `pact mcp publish` in a directory with a pact.toml.\n');
    expect(JSON.parse(ok(await pactRun(['mcp', 'list', '--json'])).stdout)).toEqual([]);
    const again = await pactRun(['mcp', 'delete', 'shop']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("error: No MCP server 'shop' is published in this tenant.\nhint: Publish one with `pact mcp publish` in a directory with a pact.toml.\n");
  });
});
