import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { federatedServers, federatedTools } from '../../src/db/schema';
import { newId } from '../../src/lib/ids';
import { sealServerSecret } from '../../src/services/federation/servers';
import { listUpstreamTools } from '../../src/services/federation/upstream';
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
 * Publishes an upstream into the tenant (TEMPORARY fixture until the admin mutations land: inserts
 * the rows discovery and governance would write).
 */
export async function publish(
  pact: TestPact,
  _ownerToken: string,
  server: { name?: string; slug: string; url: string; secret?: string; transport?: 'STREAMABLE_HTTP' | 'SSE' },
  tools: Governance[],
): Promise<Published> {
  const tenantId = pact.seed.demoTenantId;
  const serverId = newId();
  const transport = server.transport === 'SSE' ? 'sse' : 'streamable_http';
  const listed = await listUpstreamTools({ endpointUrl: server.url, transport, headers: server.secret ? { authorization: `Bearer ${server.secret}` } : {} }, pact.services.upstreams);
  await pact.database.withTenant(tenantId, async (tx) => {
    const authSecret = server.secret ? await sealServerSecret(tx, pact.services.keys, tenantId, serverId, server.secret) : null;
    await tx.insert(federatedServers).values({ id: serverId, tenantId, name: server.name ?? server.slug, slug: server.slug, endpointUrl: server.url, transport, authKind: server.secret ? 'bearer' : 'none', authSecret, status: 'active' });
    for (const tool of listed.tools) {
      const g = tools.find((t) => t.tool === tool.name);
      const governance = (tool._meta?.['dev.pact/governance'] ?? null) as { consent_subject?: string | null } | null;
      await tx.insert(federatedTools).values({
        id: newId(),
        tenantId,
        serverId,
        name: tool.name,
        federatedName: `${server.slug}__${tool.name}`,
        title: tool.title ?? null,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema ?? null,
        annotations: tool.annotations ?? null,
        upstreamGovernance: governance,
        definitionHash: `h:${tool.name}`,
        approvedHash: `h:${tool.name}`,
        enabled: g?.enabled ?? false,
        disabledReason: g ? null : 'no_entry',
        allowedRoles: g?.allowedRoles ?? [],
        rateLimitPerMin: g?.rateLimitPerMin ?? 60,
        costCapMicrocents: g?.costCapCents === undefined || g.costCapCents === null ? null : Math.round(g.costCapCents * 1_000_000),
        estCostMicrocents: Math.round((g?.estCostCents ?? 0) * 1_000_000),
        piiPolicy: (g?.piiPolicy ?? 'REDACT').toLowerCase(),
        consentSubject: governance?.consent_subject ?? null,
      });
    }
  });
  return { serverId, slug: server.slug };
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
