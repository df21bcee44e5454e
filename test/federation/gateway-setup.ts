import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import type { TestPact } from '../helpers/pact';

/** A tool's governance as `governMcpTools` takes it (the pact.toml `[tools.X]` entry). */
export interface Governance {
  tool: string;
  enabled: boolean;
  allowedRoles: string[];
  rateLimitPerMin?: number;
  costCapCents?: number | null;
  estCostCents?: number;
  piiPolicy?: 'REDACT' | 'ALLOW' | 'BLOCK';
}

export interface Published {
  serverId: string;
  slug: string;
}

const must = <T>(response: { status: number; body: { data?: T | null; errors?: unknown[] } }, what: string): T => {
  if (!response.body.data || response.body.errors?.length) throw new Error(`${what} failed: ${JSON.stringify(response.body)}`);
  return response.body.data;
};

/**
 * Publishes an upstream into the tenant as `pact mcp publish` does, over /graphql as an owner or
 * admin: register (the secret sealed by the server), discover, govern.
 */
export async function publish(
  pact: TestPact,
  adminToken: string,
  server: { name?: string; slug: string; url: string; secret?: string; transport?: 'STREAMABLE_HTTP' | 'SSE' },
  tools: Governance[],
): Promise<Published> {
  const input = {
    name: server.name ?? server.slug,
    slug: server.slug,
    endpointUrl: server.url,
    transport: server.transport ?? 'STREAMABLE_HTTP',
    authKind: server.secret ? 'BEARER' : 'NONE',
    ...(server.secret ? { authSecret: server.secret } : {}),
  };
  const registered = must(
    await pact.gql<{ registerMcpServer: { id: string } }>('mutation($input: McpServerInput!) { registerMcpServer(input: $input) { id } }', { input }, { token: adminToken }),
    'registerMcpServer',
  );
  const serverId = registered.registerMcpServer.id;
  must(await pact.gql('mutation($id: ID!) { discoverMcpServer(id: $id) { discovered } }', { id: serverId }, { token: adminToken }), 'discoverMcpServer');
  await govern(pact, adminToken, serverId, tools);
  return { serverId, slug: server.slug };
}

/** Applies governance again (publishing again updates in place; tools not listed are disabled). */
export async function govern(pact: TestPact, adminToken: string, serverId: string, tools: Governance[]): Promise<void> {
  must(
    await pact.gql('mutation($serverId: ID!, $tools: [McpToolGovernanceInput!]!) { governMcpTools(serverId: $serverId, tools: $tools) { id } }', { serverId, tools }, { token: adminToken }),
    'governMcpTools',
  );
}

/** The official SDK client on Pact's /mcp/ with a bearer credential. */
export async function mcpClient(pact: TestPact, token: string): Promise<Client> {
  const client = new Client({ name: 'federation-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${pact.url}/mcp/`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** A raw JSON-RPC tools/call on /mcp/ (to see HTTP statuses the SDK client turns into exceptions). */
export function postToolCall(pact: TestPact, token: string, name: string, args: Record<string, unknown>): Promise<Response> {
  return fetch(`${pact.url}/mcp/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
}

export interface AuditRow {
  path: string;
  outcome: string;
  error_code: string | null;
  cost: number;
}

/** The audit rows of one operation (a federated name), oldest first. */
export const auditRows = (pact: TestPact, operation: string) =>
  pact.sql<AuditRow & Record<string, unknown>>(
    sql`select path::text as path, outcome::text as outcome, error_code, cost_microcents::int as cost from audit_log where operation = ${operation} order by seq`,
  );

/** The ledger charges of one operation, oldest first, in micro-cents. */
export const ledgerRows = async (pact: TestPact, operation: string): Promise<number[]> =>
  (await pact.sql<{ cost: number }>(sql`select cost_microcents::int as cost from usage_ledger where operation = ${operation} order by id`)).map((r) => r.cost);

/** The text of a tool result's first content block. */
export const firstText = (result: unknown): string => ((result as { content?: { text?: string }[] }).content?.[0]?.text ?? '');
