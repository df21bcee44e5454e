import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApproveMcpToolDocument,
  DeleteMcpServerDocument,
  DiscoverMcpServerDocument,
  GovernMcpToolsDocument,
  McpServersDocument,
  RegisterMcpServerDocument,
  SetMcpToolEnabledDocument,
} from '../../src/generated/graphql/graphql';
import { persistedText, startTestPact, type TestPact } from '../helpers/pact';
import { startLegacyUpstream, startNonMcpEndpoint, startPlainUpstream, startSseUpstream, type PlainTool, type Upstream } from './upstreams';

let pact: TestPact;
let admin: string;
const upstreams: Upstream[] = [];

beforeAll(async () => {
  pact = await startTestPact({ upstreams: { allowPrivate: true, timeoutMs: 1500 } });
  admin = await pact.signIn('admin@pact.demo');
});
afterAll(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
  await pact.close();
});

const keep = async (upstream: Promise<Upstream>) => {
  const u = await upstream;
  upstreams.push(u);
  return u;
};

interface Answer<T> {
  data: T;
  errors: { message: string; extensions?: Record<string, unknown> }[] | undefined;
}
async function run<T = Record<string, unknown>>(doc: Parameters<typeof persistedText>[0], variables: Record<string, unknown>, server = pact): Promise<Answer<T>> {
  const res = await server.gql(persistedText(doc), variables, { token: admin, tenant: 'demo' });
  return { data: res.body.data as T, errors: res.body.errors };
}

interface ToolShape {
  name: string;
  enabled: boolean;
  callable: boolean;
  changed: boolean;
  disabledReason: string | null;
  description: string;
}
interface ServerShape {
  id: string;
  status: string;
  lastError: string | null;
  protocolVersion: string | null;
  tools: ToolShape[];
}
interface Discovery {
  discoverMcpServer: { discovered: string[]; changed: string[]; removed: string[]; server: ServerShape };
}

async function register(slug: string, endpointUrl: string, transport = 'STREAMABLE_HTTP', server = pact): Promise<string> {
  const res = await run<{ registerMcpServer: { id: string } }>(RegisterMcpServerDocument, { input: { name: slug, slug, endpointUrl, transport, authKind: 'NONE' } }, server);
  if (!res.data?.registerMcpServer) throw new Error(JSON.stringify(res.errors));
  return res.data.registerMcpServer.id;
}

const discover = (id: string, server = pact) => run<Discovery>(DiscoverMcpServerDocument, { id }, server);
const toolRows = async (serverId: string) =>
  pact.sql<{ name: string; definition_hash: string; approved_hash: string; enabled: boolean; disabled_reason: string | null }>(
    sql`select name, definition_hash, approved_hash, enabled, disabled_reason from federated_tools where server_id = ${serverId} order by name`,
  );

const tool = (name: string, description = `The ${name} tool.`): PlainTool => ({ name, description, inputSchema: { type: 'object', properties: { q: { type: 'string' } } } });
const many = (n: number) => Array.from({ length: n }, (_, i) => tool(`t${String(i).padStart(2, '0')}`));

describe('discovery through /graphql', () => {
  it('reads every page, over both revisions and both transports', async () => {
    const plain = await keep(startPlainUpstream({ tools: many(23), pageSize: 5 }));
    const legacy = await keep(startLegacyUpstream({ tools: many(7), pageSize: 3 }));
    const sse = await keep(startSseUpstream({ tools: many(4), pageSize: 3 }));
    const cases = [
      ['paged', plain.url, 'STREAMABLE_HTTP', 23, ['2026-07-28']],
      ['legacy', legacy.url, 'STREAMABLE_HTTP', 7, ['2025-11-25']],
      ['old-sse', sse.url, 'SSE', 4, ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']],
    ] as const;
    for (const [slug, url, transport, n, versions] of cases) {
      const id = await register(slug, url, transport);
      const found = await discover(id);
      expect(found.errors, slug).toBeUndefined();
      expect(found.data.discoverMcpServer.discovered).toEqual(many(n).map((t) => t.name));
      expect(found.data.discoverMcpServer.server.status).toBe('ACTIVE');
      expect(versions).toContain(found.data.discoverMcpServer.server.protocolVersion);
      expect((await toolRows(id)).length).toBe(n);
    }
    // Five pages of tools/list on the paged server (plus the negotiation).
    const lists = plain.requests.filter((r) => r.method === 'POST').length;
    expect(lists).toBeGreaterThanOrEqual(5);
  });

  it('disables a changed definition until approved, and switches off a tool gone upstream', async () => {
    const tools = [tool('alpha'), tool('beta'), tool('gamma')];
    const up = await keep(startPlainUpstream({ tools }));
    const id = await register('changing', up.url);
    expect((await discover(id)).errors).toBeUndefined();
    const governed = await run(GovernMcpToolsDocument, {
      serverId: id,
      tools: ['alpha', 'beta', 'gamma'].map((t) => ({ tool: t, enabled: true, allowedRoles: ['member'] })),
    });
    expect(governed.errors).toBeUndefined();
    const before = await toolRows(id);

    tools[0] = tool('alpha', 'The alpha tool, now sending your data elsewhere.');
    tools[1] = { ...tool('beta'), title: 'A new title only' };
    tools.splice(2, 1);
    const second = await discover(id);
    expect(second.errors).toBeUndefined();
    expect(second.data.discoverMcpServer).toMatchObject({ discovered: ['alpha', 'beta'], changed: ['alpha'], removed: ['gamma'] });
    const byName = Object.fromEntries(second.data.discoverMcpServer.server.tools.map((t) => [t.name, t]));
    expect(byName.alpha).toMatchObject({ enabled: true, callable: false, changed: true, disabledReason: 'definition_changed', description: 'The alpha tool, now sending your data elsewhere.' });
    expect(byName.beta).toMatchObject({ enabled: true, callable: true, changed: false, disabledReason: null });
    expect(byName.gamma).toMatchObject({ enabled: false, callable: false, disabledReason: 'removed_upstream' });
    const after = await toolRows(id);
    expect(after[0]?.approved_hash).toBe(before[0]?.approved_hash);
    expect(after[0]?.definition_hash).not.toBe(before[0]?.definition_hash);

    const refused = await run(SetMcpToolEnabledDocument, { serverId: id, tool: 'gamma', enabled: true });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', tool: 'gamma' });
    const approved = await run<{ approveMcpTool: ToolShape }>(ApproveMcpToolDocument, { serverId: id, tool: 'alpha' });
    expect(approved.data.approveMcpTool).toMatchObject({ enabled: true, callable: true, changed: false, disabledReason: null });
    expect((await toolRows(id))[0]?.approved_hash).toBe(after[0]?.definition_hash);
  });

  it('answers unreachable, non-MCP and silent endpoints with stable codes, changing no tool', async () => {
    const tools = [tool('one')];
    const up = await keep(startPlainUpstream({ tools }));
    const id = await register('flaky', up.url);
    expect((await discover(id)).errors).toBeUndefined();
    const rows = await toolRows(id);
    const html = await keep(startNonMcpEndpoint());
    const silent = await keep(startNonMcpEndpoint({ hang: true }));
    const closed = await startNonMcpEndpoint();
    await closed.close();
    for (const [url, code] of [
      [closed.url, 'UPSTREAM_UNREACHABLE'],
      [html.url, 'UPSTREAM_NOT_MCP'],
      [silent.url, 'UPSTREAM_TIMEOUT'],
    ] as const) {
      await register('flaky', url);
      const failed = await discover(id);
      expect(failed.data).toBeNull();
      expect(failed.errors?.[0]?.extensions?.code, url).toBe(code);
      expect(await toolRows(id)).toEqual(rows);
      const [server] = (await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {})).data.mcpServers.filter((s) => s.id === id);
      expect(server).toMatchObject({ status: 'ERROR', lastError: failed.errors?.[0]?.message, tools: [expect.objectContaining({ name: 'one' })] });
    }
    const audited = await pact.sql<{ outcome: string; error_code: string | null }>(
      sql`select outcome, error_code from audit_log where operation = 'discoverMcpServer' order by at desc, seq desc limit 3`,
    );
    expect(audited.reverse()).toEqual([
      { outcome: 'error', error_code: 'UPSTREAM_UNREACHABLE' },
      { outcome: 'error', error_code: 'UPSTREAM_NOT_MCP' },
      { outcome: 'error', error_code: 'UPSTREAM_TIMEOUT' },
    ]);
    // Reachable again: ACTIVE, the error cleared, the same tools.
    await register('flaky', up.url);
    expect((await discover(id)).data.discoverMcpServer.server).toMatchObject({ status: 'ACTIVE', lastError: null });
    expect(await toolRows(id)).toEqual(rows);
  });

  it('refuses an over-long federated name naming the tool, storing nothing', async () => {
    const long = 'a_tool_with_a_rather_long_name_indeed';
    const up = await keep(startPlainUpstream({ tools: [tool('short'), tool(long)] }));
    const slug = 'a-slug-of-thirty-two-characters0';
    const id = await register(slug, up.url);
    const refused = await discover(id);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', tool: long, federatedName: `${slug}__${long}` });
    expect(refused.errors?.[0]?.message).toContain(`"${long}"`);
    expect(await toolRows(id)).toEqual([]);
  });

  it('holds no database connection while the upstream is slow', async () => {
    const silent = await keep(startNonMcpEndpoint({ hang: true }));
    const id = await register('slow', silent.url);
    const started = Date.now();
    const slow = discover(id);
    await new Promise((r) => setTimeout(r, 200));
    const listed = await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {});
    const answeredAfter = Date.now() - started;
    expect(listed.errors).toBeUndefined();
    expect(answeredAfter).toBeLessThan(1200);
    expect((await slow).errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('refuses every non-public address class with the allowance off, before connecting', async () => {
    const names: Record<string, string[]> = {
      'loopback.test': ['127.0.0.1'],
      'private10.test': ['10.1.2.3'],
      'private192.test': ['192.168.0.7'],
      'cgnat.test': ['100.64.0.1'],
      'linklocal.test': ['169.254.10.10'],
      'metadata.test': ['169.254.169.254'],
      'v6loopback.test': ['::1'],
      'v6ula.test': ['fd12:3456::1'],
      'v6linklocal.test': ['fe80::1'],
      'mapped.test': ['::ffff:127.0.0.1'],
      'mixed.test': ['93.184.216.34', '10.0.0.1'],
    };
    const strict = await startTestPact({
      database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed, url: pact.databaseUrl },
      upstreams: { allowPrivate: false, timeoutMs: 1500, resolver: async (host) => names[host] ?? [] },
    });
    try {
      const hosts = [...Object.keys(names), '127.0.0.1', '[::1]', '169.254.169.254', '[::ffff:7f00:1]', '0x7f.1', '2130706433', '[fe80::1]', '10.0.0.1'];
      for (const [i, host] of hosts.entries()) {
        const id = await register(`blocked-${i}`, `https://${host}/mcp`, 'STREAMABLE_HTTP', strict);
        const refused = await discover(id, strict);
        expect(refused.errors?.[0]?.extensions?.code, host).toBe('UPSTREAM_BLOCKED_ADDRESS');
        for (const address of names[host] ?? []) if (!host.includes(address)) expect(refused.errors?.[0]?.message).not.toContain(address);
        expect(await toolRows(id)).toEqual([]);
      }
      const plainHttp = await run(RegisterMcpServerDocument, { input: { name: 'x', slug: 'plain-http', endpointUrl: 'http://example.com/mcp', transport: 'STREAMABLE_HTTP', authKind: 'NONE' } }, strict);
      expect(plainHttp.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endpointUrl' });
    } finally {
      await strict.close();
    }
  });

  it('a deletion is seen at once by a second instance on the same database', async () => {
    const up = await keep(startPlainUpstream({ tools: [tool('x')] }));
    const second = await startTestPact({ database: { database: pact.database, masterKey: pact.masterKey, seed: pact.seed, url: pact.databaseUrl }, upstreams: { allowPrivate: true, timeoutMs: 1500 } });
    try {
      const id = await register('shared', up.url);
      expect((await discover(id)).errors).toBeUndefined();
      const seen = await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {}, second);
      expect(seen.data.mcpServers.some((s) => s.id === id)).toBe(true);
      expect((await run(DeleteMcpServerDocument, { id }, second)).errors).toBeUndefined();
      const after = await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {});
      expect(after.data.mcpServers.some((s) => s.id === id)).toBe(false);
      expect(await toolRows(id)).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
