import { createPactServer, InMemoryConsentStore, z } from '@pact/mcp-server';
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
import { createLogger } from '../../src/lib/logger';
import { persistedText, startTestPact, type CallOptions, type TestPact } from '../helpers/pact';
import { startPactUpstream, type Upstream } from './upstreams';

const SECRET = 'canary-upstream-secret-5d1e9b';
const OTHER_SECRET = 'canary-second-secret-77aa0c';

const author = createPactServer('orders', { consentStore: new InMemoryConsentStore({}) })
  .tool(
    'lookup_orders',
    { title: 'Look up orders', description: 'Orders of a customer.', costCents: 0.5, rateLimitPerMin: 30, consentSubject: 'email', schema: z.object({ email: z.string().email() }), annotations: { readOnlyHint: true } },
    ({ email }) => ({ email, orders: 2 }),
  )
  .tool('ping', { description: 'Answers pong.', costCents: 0, schema: z.object({}) }, () => ({ pong: true }));

const logLines: string[] = [];
let pact: TestPact;
let upstream: Upstream;
let owner: string;
let admin: string;
let member: string;
let manager: string;
let apiKey: string;

beforeAll(async () => {
  pact = await startTestPact({
    upstreams: { allowPrivate: true, timeoutMs: 5000 },
    logger: createLogger({ level: 'trace', destination: { write: (line: string) => void logLines.push(line) } }),
  });
  upstream = await startPactUpstream(author, { require: { header: 'authorization', value: `Bearer ${SECRET}` } });
  owner = await pact.signIn('owner@pact.demo');
  admin = await pact.signIn('admin@pact.demo');
  member = await pact.signIn('member@pact.demo');
  manager = await pact.signIn('manager@pact.demo');
  apiKey = await pact.mintKey(admin, ['admin:mcp', 'read:accounts']);
});
afterAll(async () => {
  await upstream.close();
  await pact.close();
});

type Doc = Parameters<typeof persistedText>[0];
interface Answer<T> {
  data: T;
  errors: { message: string; extensions?: Record<string, unknown> }[] | undefined;
}
async function run<T = Record<string, unknown>>(doc: Doc, variables: Record<string, unknown>, token: string, options: CallOptions = {}): Promise<Answer<T>> {
  const res = await pact.gql(persistedText(doc), variables, { token, tenant: 'demo', ...options });
  return { data: res.body.data as T, errors: res.body.errors };
}

const input = (overrides: Record<string, unknown> = {}) => ({ name: 'Orders', slug: 'orders', endpointUrl: upstream.url, transport: 'STREAMABLE_HTTP', authKind: 'BEARER', authSecret: SECRET, ...overrides });
const count = async (table: 'federated_servers' | 'federated_tools') => (await pact.sql<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]?.n;

interface ServerShape {
  id: string;
  slug: string;
  status: string;
  hasSecret: boolean;
  protocolVersion: string | null;
  tools: Record<string, unknown>[];
}

describe('publishing through /graphql', () => {
  it('registers, discovers, governs, switches, republishes in place and deletes, one audit row per call', async () => {
    const auditBefore = (await pact.sql<{ n: number }>(sql`select count(*)::int as n from audit_log`))[0]?.n ?? 0;
    const registered = await run<{ registerMcpServer: ServerShape }>(RegisterMcpServerDocument, { input: input() }, owner);
    expect(registered.errors).toBeUndefined();
    const server = registered.data.registerMcpServer;
    expect(server).toMatchObject({ slug: 'orders', status: 'PENDING', hasSecret: true, protocolVersion: null, tools: [] });
    expect(JSON.stringify(registered.data)).not.toContain(SECRET);

    const discovered = await run<{ discoverMcpServer: { discovered: string[]; changed: string[]; removed: string[]; server: ServerShape } }>(DiscoverMcpServerDocument, { id: server.id }, admin);
    expect(discovered.errors).toBeUndefined();
    const found = discovered.data.discoverMcpServer;
    expect(found).toMatchObject({ discovered: ['lookup_orders', 'ping'], changed: [], removed: [] });
    expect(found.server).toMatchObject({ status: 'ACTIVE', protocolVersion: '2026-07-28' });
    expect(found.server.tools).toEqual([
      expect.objectContaining({ name: 'lookup_orders', federatedName: 'orders__lookup_orders', title: 'Look up orders', enabled: false, callable: false, disabledReason: 'no_entry', changed: false, rateLimitPerMin: 30, estCostCents: 0.5, costCapCents: null, piiPolicy: 'REDACT', consentSubject: 'email', allowedRoles: [] }),
      expect.objectContaining({ name: 'ping', federatedName: 'orders__ping', enabled: false, disabledReason: 'no_entry', consentSubject: null, estCostCents: 0 }),
    ]);
    expect(upstream.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);

    const governed = await run<{ governMcpTools: ServerShape }>(
      GovernMcpToolsDocument,
      { serverId: server.id, tools: [{ tool: 'lookup_orders', enabled: true, allowedRoles: ['owner', 'admin', 'member'], costCapCents: 5, estCostCents: 0.75, piiPolicy: 'BLOCK' }] },
      owner,
    );
    expect(governed.errors).toBeUndefined();
    expect(governed.data.governMcpTools.tools).toEqual([
      expect.objectContaining({ name: 'lookup_orders', enabled: true, callable: true, disabledReason: null, allowedRoles: ['owner', 'admin', 'member'], rateLimitPerMin: 30, costCapCents: 5, estCostCents: 0.75, piiPolicy: 'BLOCK' }),
      expect.objectContaining({ name: 'ping', enabled: false, callable: false, disabledReason: 'no_entry' }),
    ]);

    const switched = await run<{ setMcpToolEnabled: Record<string, unknown> }>(SetMcpToolEnabledDocument, { serverId: server.id, tool: 'lookup_orders', enabled: false }, admin);
    expect(switched.data.setMcpToolEnabled).toMatchObject({ enabled: false, callable: false, disabledReason: 'disabled_in_config', allowedRoles: ['owner', 'admin', 'member'], costCapCents: 5, piiPolicy: 'BLOCK' });
    const back = await run<{ setMcpToolEnabled: Record<string, unknown> }>(SetMcpToolEnabledDocument, { serverId: server.id, tool: 'lookup_orders', enabled: true }, admin);
    expect(back.data.setMcpToolEnabled).toMatchObject({ enabled: true, callable: true, disabledReason: null, costCapCents: 5 });
    const approved = await run<{ approveMcpTool: Record<string, unknown> }>(ApproveMcpToolDocument, { serverId: server.id, tool: 'ping' }, admin);
    expect(approved.data.approveMcpTool).toMatchObject({ name: 'ping', changed: false, callable: false, disabledReason: 'no_entry' });

    // Publishing again: same row, the stored secret kept (discovery still authenticates), governance replaced.
    const again = await run<{ registerMcpServer: ServerShape }>(RegisterMcpServerDocument, { input: input({ name: 'Orders v2', authSecret: null }) }, admin);
    expect(again.data.registerMcpServer).toMatchObject({ id: server.id, hasSecret: true, status: 'ACTIVE' });
    expect((await run(DiscoverMcpServerDocument, { id: server.id }, admin)).errors).toBeUndefined();
    const regoverned = await run<{ governMcpTools: ServerShape }>(GovernMcpToolsDocument, { serverId: server.id, tools: [{ tool: 'ping', enabled: true, allowedRoles: ['api'] }] }, admin);
    expect(regoverned.data.governMcpTools.tools.map((t) => [t.name, t.enabled, t.disabledReason, t.costCapCents])).toEqual([
      ['lookup_orders', false, 'no_entry', 5],
      ['ping', true, null, null],
    ]);

    const listed = await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {}, owner);
    expect(listed.data.mcpServers.map((s) => [s.slug, s.tools.length])).toEqual([['orders', 2]]);
    expect(await count('federated_servers')).toBe(1);

    const deleted = await run<{ deleteMcpServer: boolean }>(DeleteMcpServerDocument, { id: server.id }, owner);
    expect(deleted.data.deleteMcpServer).toBe(true);
    expect((await run<{ mcpServers: ServerShape[] }>(McpServersDocument, {}, owner)).data.mcpServers).toEqual([]);
    expect([await count('federated_servers'), await count('federated_tools')]).toEqual([0, 0]);
    const gone = await run(DeleteMcpServerDocument, { id: server.id }, owner);
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const audit = await pact.sql<{ operation: string; outcome: string }>(sql`select operation, outcome from audit_log order by at, seq offset ${auditBefore}`);
    expect(audit.map((a) => `${a.operation}:${a.outcome}`)).toEqual([
      'registerMcpServer:ok',
      'discoverMcpServer:ok',
      'governMcpTools:ok',
      'setMcpToolEnabled:ok',
      'setMcpToolEnabled:ok',
      'approveMcpTool:ok',
      'registerMcpServer:ok',
      'discoverMcpServer:ok',
      'governMcpTools:ok',
      'mcpServers:ok',
      'deleteMcpServer:ok',
      'mcpServers:ok',
      'deleteMcpServer:error',
    ]);
  });

  it('refuses an API key (role api), a member and a manager at the role gate, writing nothing', async () => {
    const before = await count('federated_servers');
    for (const [token, role] of [
      [apiKey, 'api'],
      [member, 'member'],
      [manager, 'manager'],
    ] as const) {
      const refused = await run(RegisterMcpServerDocument, { input: input({ slug: `by-${role}` }) }, token);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredRole: ['owner', 'admin'], role });
      expect(refused.errors?.[0]?.message).toContain('Publishing MCP servers needs role owner or admin');
      const listing = await run(McpServersDocument, {}, token);
      expect(listing.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await count('federated_servers')).toBe(before);
  });

  it('refuses bad registrations with a specific error and writes nothing', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ slug: 'Bad_Slug' }, 'BAD_USER_INPUT', 'slug'],
      [{ slug: 'a__b' }, 'BAD_USER_INPUT', 'slug'],
      [{ endpointUrl: 'ftp://example.com/mcp' }, 'BAD_USER_INPUT', 'endpointUrl'],
      [{ endpointUrl: 'https://user:pw@example.com/mcp' }, 'BAD_USER_INPUT', 'endpointUrl'],
      [{ authSecret: null }, 'BAD_USER_INPUT', 'authSecret'],
      [{ authKind: 'HEADER', authHeader: null }, 'BAD_USER_INPUT', 'authHeader'],
      [{ authKind: 'HEADER', authHeader: 'Host' }, 'BAD_USER_INPUT', 'authHeader'],
      [{ authKind: 'NONE' }, 'BAD_USER_INPUT', 'authKind'],
      [{ authSecret: 'two\nlines' }, 'BAD_USER_INPUT', 'authSecret'],
    ];
    for (const [overrides, code, field] of cases) {
      const refused = await run(RegisterMcpServerDocument, { input: input({ slug: 'bad', ...overrides }) }, owner);
      expect(refused.errors?.[0]?.extensions, JSON.stringify(overrides)).toMatchObject({ code, field });
    }
    const oauth = await pact.gql(persistedText(RegisterMcpServerDocument), { input: input({ slug: 'bad', authKind: 'OAUTH' }) }, { token: owner, tenant: 'demo' });
    expect(oauth.body.errors?.[0]?.message).toContain('OAUTH');
    expect(await count('federated_servers')).toBe(0);
  });

  it('keeps the secret sealed: no table, audit or ledger row, response or log line holds it in plaintext', async () => {
    const headerUp = await startPactUpstream(author, { require: { header: 'x-api-key', value: OTHER_SECRET } });
    try {
      const a = await run<{ registerMcpServer: ServerShape }>(RegisterMcpServerDocument, { input: input({ slug: 'sealed' }) }, owner);
      const b = await run<{ registerMcpServer: ServerShape }>(
        RegisterMcpServerDocument,
        { input: input({ slug: 'sealed-header', endpointUrl: headerUp.url, authKind: 'HEADER', authHeader: 'X-Api-Key', authSecret: OTHER_SECRET }) },
        admin,
      );
      const d = await run(DiscoverMcpServerDocument, { id: b.data.registerMcpServer.id }, admin);
      expect(d.errors).toBeUndefined();
      expect(headerUp.requests.length).toBeGreaterThan(0);
      expect(headerUp.requests.every((r) => r.headers['x-api-key'] === OTHER_SECRET && r.headers.authorization === undefined)).toBe(true);
      expect((await run(DiscoverMcpServerDocument, { id: a.data.registerMcpServer.id }, admin)).errors).toBeUndefined();
      const stored = await pact.sql<{ auth_secret: { sealed: string; c: string } }>(sql`select auth_secret from federated_servers where slug like 'sealed%'`);
      expect(stored.map((s) => s.auth_secret.sealed)).toEqual(['pact:v1', 'pact:v1']);

      const tables = await pact.sql<{ table_schema: string; table_name: string }>(
        sql`select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['audit_log', 'usage_ledger', 'federated_servers', 'federated_tools']));
      for (const { table_schema, table_name } of tables) {
        for (const secret of [SECRET, OTHER_SECRET]) {
          const [hit] = await pact.sql<{ n: number }>(sql.raw(`select count(*)::int as n from "${table_schema}"."${table_name}" t where t::text like '%${secret}%'`));
          expect(hit?.n, `${table_name} holds ${secret}`).toBe(0);
        }
      }
      const logs = logLines.join('\n');
      expect(logLines.length).toBeGreaterThan(0);
      expect(logs).not.toContain(SECRET);
      expect(logs).not.toContain(OTHER_SECRET);
    } finally {
      await headerUp.close();
    }
  });
});
