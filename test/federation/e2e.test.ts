/**
 * The federation as a new tool author meets it, every step a child process of the real `pact` bin:
 * `pact init mcp-server` → `npm install` (from the npm cache when it holds the packages) → `pact
 * mcp dev` → `pact mcp publish` into a running Pact → the official MCP client calls the federated
 * tool through Pact's /mcp as users of different roles → a tool changed upstream is disabled until
 * `pact mcp approve` → `pact mcp delete`. A recording proxy in front of the dev server keeps the
 * headers Pact sent upstream; at the end the audit log, the ledger and every table of the database
 * are scanned for the secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runPact, type PactRun } from '../cli/helpers';
import { startTestPact, type TestPact } from '../helpers/pact';
import { auditRows, ledgerRows } from './gateway-setup';

const SECRET = 'e2e-upstream-secret-4b9d2f71';
const TOOL = 'my-tools__lookup_orders';

/** Runs a command to its end with the runner's environment (npm's cache lives in HOME). */
function run(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NODE_ENV: 'development', CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A pass-through proxy to the dev server that records the headers of every request it forwards. */
async function recordingProxy(target: () => number) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push({ ...req.headers });
    const upstream = request({ host: '127.0.0.1', port: target(), method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target()}` } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/mcp`, seen, close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())) };
}

/** A tool call through Pact's /mcp with a fresh official client: the result, or the JSON-RPC error's message. */
async function callAs(pact: TestPact, token: string, name: string, args: Record<string, unknown>) {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const { tools } = await client.listTools();
    const listed = tools.find((t) => t.name === name) ?? null;
    try {
      const result = (await client.callTool({ name, arguments: args })) as { structuredContent?: Record<string, unknown>; isError?: boolean; content?: { text?: string }[] };
      return { listed, result, error: null };
    } catch (error) {
      return { listed, result: null, error: (error as Error).message };
    }
  } finally {
    await client.close();
  }
}

/** Rows of any table of the database holding the secret, as `table: count` (none expected). */
async function tablesHolding(pact: TestPact, needle: string): Promise<string[]> {
  const tables = await pact.sql<{ name: string }>(sql`select quote_ident(tablename) as name from pg_tables where schemaname = 'public'`);
  expect(tables.length).toBeGreaterThan(10);
  const found: string[] = [];
  for (const { name } of tables) {
    const [hits] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(name)} t where t::text like ${`%${needle}%`}`);
    if (hits?.n) found.push(`${name}: ${hits.n}`);
  }
  return found;
}

let pact: TestPact;
let root: string;
let project: string;
let dev: ChildProcess | null = null;
let devOutput = '';
let devPort = 0;
let proxy: Awaited<ReturnType<typeof recordingProxy>>;
let tokens: Record<'admin' | 'manager' | 'member', string>;
/** Everything every `pact` run printed (scanned for the secret at the end). */
const printed: string[] = [];

const pactIn = async (args: string[], env: Record<string, string> = {}): Promise<PactRun> => {
  const result = await runPact(args, { cwd: project, env: { PACT_URL: pact.url, PACT_ADMIN_TOKEN: tokens.admin, PACT_MCP_AUTH_SECRET: SECRET, ...env } });
  printed.push(result.stdout, result.stderr);
  return result;
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pact-e2e-'));
  project = join(root, 'my-tools');
  const init = await runPact(['init', 'mcp-server', 'my-tools'], { cwd: root });
  expect(init.code, init.stderr).toBe(0);
  const [started, installed] = await Promise.all([startTestPact({ upstreams: { allowPrivate: true } }), run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], project)]);
  pact = started;
  expect(installed.code, installed.output).toBe(0);
  const [admin, manager, member] = await Promise.all(['admin', 'manager', 'member'].map((who) => pact.signIn(`${who}@pact.demo`)));
  tokens = { admin: admin ?? '', manager: manager ?? '', member: member ?? '' };

  const probe = createServer();
  devPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  dev = spawn(process.execPath, [BIN, 'mcp', 'dev', '--port', String(devPort)], { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout?.on('data', (d: Buffer) => (devOutput += d.toString()));
  dev.stderr?.on('data', (d: Buffer) => (devOutput += d.toString()));
  await until('the dev server', () => (devOutput.includes('✓ ready') ? true : undefined), 30_000);
  proxy = await recordingProxy(() => devPort);
}, 240_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev?.on('exit', resolve));
    dev.kill('SIGINT');
    await exited;
  }
  await proxy?.close();
  await pact?.close();
  await rm(root, { recursive: true, force: true });
});

describe('scaffold → dev → publish → call → change → approve → delete', () => {
  it("publishes the scaffold with the page's lines", async () => {
    const toml = await readFile(join(project, 'pact.toml'), 'utf8');
    await writeFile(join(project, 'pact.toml'), toml.replace('https://my-tools.example.com/mcp', proxy.url));
    await until('the reload after pact.toml changed', () => (devOutput.includes('✓ reloaded (pact.toml changed)') ? true : undefined));
    const published = await pactIn(['mcp', 'publish']);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout.split('\n')).toEqual([
      `→ Installing 'my-tools' (${proxy.url}) …`,
      expect.stringMatching(/^server [0-9a-f]{4}… status=pending$/),
      '→ Discovering tools …',
      'discovered 2 tool(s): lookup_orders, ping',
      "✓ governed 'lookup_orders': roles=['owner', 'admin', 'manager'] pii=redact",
      '· 1 discovered tool(s) left disabled (no pact.toml entry): ping',
      '',
    ]);
    expect(JSON.parse(await readFile(join(project, 'server.json'), 'utf8'))).toMatchObject({ name: 'local.pact/my-tools', version: '0.1.0' });
  });

  it('admins and managers call the federated tool (PII redacted, cost charged); a member or an API key neither sees nor calls it', async () => {
    for (const who of ['admin', 'manager'] as const) {
      const { listed, result } = await callAs(pact, tokens[who], TOOL, { email: 'ada@example.com', limit: 2 });
      expect(listed?.description, who).toBe("Look up a customer's recent orders by e-mail address.");
      expect(result?.isError ?? false, JSON.stringify(result)).toBe(false);
      expect(result?.structuredContent).toMatchObject({ email: '[redacted:email]', returned: 2, cost_cents: 0.1 });
    }
    const ping = await callAs(pact, tokens.admin, 'my-tools__ping', {});
    expect(ping.listed).toBeNull();
    expect(ping.error).toContain('Unknown tool: my-tools__ping');

    const member = await callAs(pact, tokens.member, TOOL, { email: 'ada@example.com' });
    expect(member.listed).toBeNull();
    expect(member.result?.isError).toBe(true);
    expect(member.result?.content?.[0]?.text).toBe('FORBIDDEN: Calling my-tools__lookup_orders needs role owner, admin or manager; you are member.');

    // An API key is role api: with call:federated it still neither sees nor calls a tool whose allowed_roles lack api.
    const key = await callAs(pact, await pact.mintKey(tokens.admin, ['call:federated']), TOOL, { email: 'ada@example.com' });
    expect(key.listed).toBeNull();
    expect(key.result?.content?.[0]?.text).toBe('FORBIDDEN: Calling my-tools__lookup_orders needs role owner, admin or manager; you are api (an API key).');

    // Pact called upstream with the sealed secret, never with a caller's token.
    const sent = proxy.seen.map((h) => h.authorization);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([`Bearer ${SECRET}`]));
    expect((await auditRows(pact, TOOL)).map((r) => r.outcome)).toEqual(['ok', 'ok', 'denied', 'denied']);
    expect(await ledgerRows(pact, TOOL)).toEqual([100_000, 100_000]);
  });

  it('a definition changed upstream is disabled on the next publish until `pact mcp approve`', async () => {
    const file = join(project, 'src/server.ts');
    const before = devOutput.length;
    await writeFile(file, (await readFile(file, 'utf8')).replace("Look up a customer's recent orders by e-mail address.", 'Recent orders of a customer, by e-mail.'));
    await until('the reload after src/server.ts changed', () => (devOutput.slice(before).includes('✓ reloaded (src/server.ts changed)') ? true : undefined));

    const republished = await pactIn(['mcp', 'publish']);
    expect(republished.code, republished.stderr).toBe(0);
    expect(republished.stdout.split('\n').slice(1, 3)).toEqual([expect.stringMatching(/^server [0-9a-f]{4}… status=active$/), '→ Discovering tools …']);
    expect(republished.stdout).toContain("! 'lookup_orders': definition changed upstream — disabled until `pact mcp approve my-tools lookup_orders`\n");
    const disabled = await callAs(pact, tokens.admin, TOOL, { email: 'ada@example.com' });
    expect(disabled.listed).toBeNull();
    expect(disabled.error).toContain(`Unknown tool: ${TOOL}`);
    expect((await pactIn(['mcp', 'list'])).stdout).toContain('definition changed — run `pact mcp approve my-tools lookup_orders`');

    const approved = await pactIn(['mcp', 'approve', 'my-tools', 'lookup_orders']);
    expect(approved.stdout).toBe(`Approved the definition of 'lookup_orders': ${TOOL} is callable.\n`);
    const again = await callAs(pact, tokens.manager, TOOL, { email: 'ada@example.com', limit: 1 });
    expect(again.listed?.description).toBe('Recent orders of a customer, by e-mail.');
    expect(again.result?.structuredContent).toMatchObject({ email: '[redacted:email]', returned: 1 });
    // Published, the secret is stored sealed only.
    expect(await pact.sql(sql`select id from federated_servers where auth_secret is not null`)).toHaveLength(1);
    expect(await tablesHolding(pact, SECRET)).toEqual([]);
  });

  it('delete takes the tool away at once; the secret is nowhere: output, audit, ledger, any table', async () => {
    const deleted = await pactIn(['mcp', 'delete']);
    expect(deleted.stdout).toBe("Deleted MCP server 'my-tools' (slug my-tools) and its 2 tool(s); calls to my-tools__* are refused from now on.\n");
    const gone = await callAs(pact, tokens.admin, TOOL, { email: 'ada@example.com' });
    expect(gone.listed).toBeNull();
    expect(gone.error).toContain(`Unknown tool: ${TOOL}`);

    expect(printed.join('\n')).not.toContain(SECRET);
    expect(devOutput).not.toContain(SECRET);
    const audit = await pact.sql<{ row: string }>(sql`select a::text as row from audit_log a`);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.filter((r) => r.row.includes(SECRET))).toEqual([]);
    expect((await pact.sql<{ row: string }>(sql`select l::text as row from usage_ledger l`)).filter((r) => r.row.includes(SECRET))).toEqual([]);
    expect(await tablesHolding(pact, SECRET)).toEqual([]);
  });
});
