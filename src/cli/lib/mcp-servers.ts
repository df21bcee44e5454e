/**
 * The `pact mcp` publishing commands' client of Pact's admin API: the persisted operations of
 * schema/operations/mcp-servers.graphql (owners and admins, scope `admin:mcp`).
 */
import {
  ApproveMcpToolDocument,
  DeleteMcpServerDocument,
  DiscoverMcpServerDocument,
  GovernMcpToolsDocument,
  McpServersDocument,
  RegisterMcpServerDocument,
  type DiscoverMcpServerMutation,
  type McpServerInput,
  type McpServersQuery,
  type McpToolGovernanceInput,
  type PiiPolicy,
} from '../../generated/graphql/graphql';
import type { Credential } from './credentials';
import { CliError, ExitCode } from './errors';
import { persisted } from './graphql';
import { errorLines, loadPactToml } from './project';

/** A server as the admin operations answer it (with its tools). */
export type McpServerView = McpServersQuery['mcpServers'][number];
export type McpToolView = McpServerView['tools'][number];
export type McpDiscoveryView = DiscoverMcpServerMutation['discoverMcpServer'];
export type { McpServerInput, McpToolGovernanceInput, PiiPolicy };

/**
 * A refusal by the admin gate (a member, or an API key acting as role `api`) in one line: the
 * server's message names what was attempted, the roles allowed and the caller's role.
 */
function oneLineGate(error: unknown): never {
  if (error instanceof CliError && error.code === 'FORBIDDEN') {
    throw new CliError(`Pact's admin gate refused: ${error.message}`, ExitCode.Failed, null, error.code);
  }
  throw error;
}

const run = async <T>(call: () => Promise<T>): Promise<T> => call().catch(oneLineGate);

/** The admin API of one credential. */
export function mcpAdmin(credential: Credential) {
  return {
    servers: () => run(async () => (await persisted(credential, McpServersDocument, {})).mcpServers),
    register: (input: McpServerInput) => run(async () => (await persisted(credential, RegisterMcpServerDocument, { input })).registerMcpServer),
    discover: (id: string) => run(async () => (await persisted(credential, DiscoverMcpServerDocument, { id })).discoverMcpServer),
    govern: (serverId: string, tools: McpToolGovernanceInput[]) => run(async () => (await persisted(credential, GovernMcpToolsDocument, { serverId, tools })).governMcpTools),
    approve: (serverId: string, tool: string) => run(async () => (await persisted(credential, ApproveMcpToolDocument, { serverId, tool })).approveMcpTool),
    remove: (id: string) => run(async () => (await persisted(credential, DeleteMcpServerDocument, { id })).deleteMcpServer),
  };
}
export type McpAdmin = ReturnType<typeof mcpAdmin>;

/** The server published under `slug`; an unknown slug names the published ones. */
export async function serverBySlug(admin: McpAdmin, slug: string): Promise<McpServerView> {
  const servers = await admin.servers();
  const server = servers.find((s) => s.slug === slug);
  if (server) return server;
  const known = servers.map((s) => s.slug).sort();
  throw new CliError(
    `No MCP server '${slug}' is published in this tenant.`,
    ExitCode.Failed,
    known.length ? `Published: ${known.join(', ')} (\`pact mcp list\`).` : 'Publish one with `pact mcp publish` in a directory with a pact.toml.',
  );
}

/** The slug given, else the one in pact.toml (`--config`). */
export async function slugOf(given: string | undefined, config: string | undefined): Promise<string> {
  if (given) return given;
  const loaded = await loadPactToml(config);
  if (!loaded.result.ok) throw new CliError(`${loaded.display} is not valid:\n${errorLines(loaded).trimEnd()}`, ExitCode.Failed, 'Name the server: `pact mcp delete SLUG`.');
  return loaded.result.config.server.slug;
}
