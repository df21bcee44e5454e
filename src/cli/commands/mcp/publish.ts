import { dirname, join } from 'node:path';
import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { CliError, ExitCode, usageError } from '../../lib/errors';
import { DISCOVERING_LINE, discoveredLine, governanceLines, installingLine, statusLine } from '../../lib/mcp-output';
import { mcpAdmin, type McpDiscoveryView, type McpServerInput, type McpServerView, type McpToolGovernanceInput, type PiiPolicy } from '../../lib/mcp-servers';
import { keyLines, type PactToml } from '../../lib/pact-toml';
import { errorLines, loadPactToml } from '../../lib/project';
import { buildServerJson, serverVersion, writeServerJson } from '../../lib/server-json';

interface Options {
  config?: string;
  json?: boolean;
}

export interface PublishResult {
  server: McpServerView;
  discovered: string[];
  changed: string[];
  removed: string[];
  /** `[tools.X]` entries naming a tool the server does not offer (not applied). */
  notOffered: string[];
  serverJson: string;
}

/** The upstream's secret: required unless auth_kind is none; never printed. */
function secretOf(config: PactToml, where: string, io: { env: NodeJS.ProcessEnv; err(text: string): void }): string | null {
  const secret = io.env.PACT_MCP_AUTH_SECRET;
  const kind = config.server.auth_kind;
  if (kind === 'none') {
    if (secret) io.err('PACT_MCP_AUTH_SECRET is set but pact.toml says auth_kind = "none": it is not sent.\n');
    return null;
  }
  if (!secret) {
    const what = kind === 'header' ? `the ${config.server.auth_header ?? ''} header's value` : 'the bearer token';
    throw usageError(`PACT_MCP_AUTH_SECRET is not set: ${where} says auth_kind = "${kind}", so Pact needs ${what} to call the server.`);
  }
  return secret;
}

/** The `[server]` table as the API registers it. */
function registrationOf({ server }: PactToml, secret: string | null): McpServerInput {
  return {
    name: server.name,
    slug: server.slug,
    endpointUrl: server.endpoint_url,
    transport: server.transport === 'sse' ? 'SSE' : 'STREAMABLE_HTTP',
    authKind: server.auth_kind === 'header' ? 'HEADER' : server.auth_kind === 'bearer' ? 'BEARER' : 'NONE',
    authHeader: server.auth_header ?? null,
    ...(secret === null ? {} : { authSecret: secret }),
  };
}

/** pact.toml's `[tools.X]` entries for the tools the server offers, as the API takes them. */
function governanceOf(config: PactToml, offered: ReadonlySet<string>): McpToolGovernanceInput[] {
  return Object.entries(config.tools)
    .filter(([name]) => offered.has(name))
    .map(([tool, t]) => ({
      tool,
      enabled: t.enabled,
      allowedRoles: [...t.allowed_roles],
      rateLimitPerMin: t.rate_limit_per_min ?? null,
      costCapCents: t.cost_cap_cents ?? null,
      estCostCents: t.est_cost_cents,
      piiPolicy: t.pii_policy.toUpperCase() as PiiPolicy,
    }));
}

export default defineCommand<PublishResult, Options>({
  path: ['mcp', 'publish'],
  summary: "Publish your MCP server into Pact: register it, discover its tools, apply pact.toml's governance",
  json: true,
  configure: (command) =>
    command.option('--config <file>', 'the pact.toml to publish', 'pact.toml').addHelpText(
      'after',
      `
Reads pact.toml, then registers the server (again: updated in place), asks Pact to discover its
tools and applies each [tools.X]; tools without an entry stay disabled. Writes server.json (MCP
registry format) beside pact.toml. Needs an owner or admin: a member or an API key is refused.

Environment:
  PACT_ADMIN_TOKEN       an owner/admin pact_sess_ token (else your \`pact login\` session)
  PACT_MCP_AUTH_SECRET   the server's credential when auth_kind is bearer or header; Pact seals it
  PACT_URL, PACT_TENANT  as for every command

Example:
  $ PACT_MCP_AUTH_SECRET=… pact mcp publish`,
    ),
  async run({ options, io }) {
    const loaded = await loadPactToml(options.config);
    if (!loaded.result.ok) {
      io.err(errorLines(loaded));
      throw new CliError(`${loaded.display} is not valid: nothing was published.`, ExitCode.Failed);
    }
    const config = loaded.result.config;
    const { server } = config;
    const lines = keyLines(loaded.text);
    const at = (field: string) => `${loaded.display}:${lines.get(field) ?? 1}`;
    if (server.auth_kind === 'oauth') {
      throw new CliError(
        `${at('server.auth_kind')}: server.auth_kind: "oauth" cannot be published yet: use "bearer" or "header" with PACT_MCP_AUTH_SECRET.`,
        ExitCode.Failed,
      );
    }
    const secret = secretOf(config, at('server.auth_kind'), io);
    const admin = mcpAdmin(await resolveCredential(io.env));
    const say = options.json ? () => {} : (line: string) => io.out(line);

    say(installingLine(server.name, server.endpoint_url));
    const registered = await admin.register(registrationOf(config, secret)).catch((error: unknown) => {
      throw inPactToml(error, at);
    });
    say(statusLine(registered));
    say(DISCOVERING_LINE);
    const discovery: McpDiscoveryView = await admin.discover(registered.id).catch((error: unknown) => {
      if (error instanceof CliError && error.code?.startsWith('UPSTREAM_')) {
        throw new CliError(error.message, ExitCode.Failed, hintFor(error.code, at('server.endpoint_url'), secret !== null), error.code);
      }
      throw error;
    });
    say(discoveredLine(discovery.discovered));
    const offered = new Set(discovery.discovered);
    const governed = await admin.govern(registered.id, governanceOf(config, offered));
    for (const line of governanceLines(config, governed, discovery)) say(line);

    const serverJson = await writeServerJson(loaded.path, buildServerJson(config, await serverVersion(server, dirname(loaded.path))));
    if (!options.json) io.err(`wrote ${join(dirname(loaded.display), 'server.json')} (MCP registry server.json)\n`);
    return {
      server: governed,
      discovered: discovery.discovered,
      changed: discovery.changed,
      removed: discovery.removed,
      notOffered: Object.keys(config.tools).filter((name) => !offered.has(name)),
      serverJson,
    };
  },
  render() {
    // Publish prints its lines as it goes.
  },
});

/** Where each registration field comes from. */
const SOURCES: Readonly<Record<string, string>> = {
  name: 'server.name',
  slug: 'server.slug',
  endpointUrl: 'server.endpoint_url',
  transport: 'server.transport',
  authKind: 'server.auth_kind',
  authHeader: 'server.auth_header',
};

/** A registration refused for one field, as `pact.toml:LINE: field: …` (the secret's is PACT_MCP_AUTH_SECRET's). */
function inPactToml(error: unknown, at: (field: string) => string): unknown {
  if (!(error instanceof CliError) || error.code !== 'BAD_USER_INPUT' || !error.field) return error;
  if (error.field === 'authSecret') return new CliError(`PACT_MCP_AUTH_SECRET was refused: ${error.message}`, ExitCode.Usage, null, error.code);
  const source = SOURCES[error.field];
  return source ? new CliError(`${at(source)}: ${source}: Pact refused it: ${error.message}`, ExitCode.Failed, null, error.code, error.field) : error;
}

/** What to do about an upstream the Pact server could not discover (`where`: pact.toml:LINE of endpoint_url). */
function hintFor(code: string, where: string, withSecret: boolean): string {
  if (code === 'UPSTREAM_BLOCKED_ADDRESS') return `Check endpoint_url (${where}).`;
  if (code === 'UPSTREAM_NOT_MCP') return `endpoint_url (${where}) must be the server's MCP endpoint (e.g. …/mcp) speaking the transport pact.toml names.`;
  return `Check endpoint_url (${where})${withSecret ? ' and PACT_MCP_AUTH_SECRET' : ''}, and that the server runs and is reachable from the Pact server; then publish again.`;
}
