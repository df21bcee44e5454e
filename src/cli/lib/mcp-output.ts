/**
 * What the `pact mcp` publishing commands print. Publish's lines are the build & publish page's
 * (`→ Installing …`, `server 9f3c… status=pending`, `discovered N tool(s): …`, `✓ governed …`,
 * `· K discovered tool(s) left disabled (no pact.toml entry): …`), plus, when they apply:
 *   `! 'TOOL': definition changed upstream — disabled until \`pact mcp approve SLUG TOOL\``
 *   `· K discovered tool(s) disabled in pact.toml (enabled = false): a, b`
 *   `! [tools.X]: the server offers no tool 'X' (entry not applied)`
 *   `· K tool(s) removed upstream (disabled): a, b`
 */
import type { PactToml } from './pact-toml';
import type { McpDiscoveryView, McpServerView, McpToolView } from './mcp-servers';
import { shortTime, table } from './output';

/** `['owner', 'admin', 'manager']`, as the page prints roles. */
export const roleList = (roles: readonly string[]) => `[${roles.map((r) => `'${r}'`).join(', ')}]`;

/** The first four hex digits of an id (`9f3c`). */
export const shortId = (id: string) => id.replace(/[^0-9a-f]/gi, '').slice(0, 4).toLowerCase();

export const installingLine = (name: string, url: string) => `→ Installing '${name}' (${url}) …\n`;
export const statusLine = (server: Pick<McpServerView, 'id' | 'status'>) => `server ${shortId(server.id)}… status=${server.status.toLowerCase()}\n`;
export const DISCOVERING_LINE = '→ Discovering tools …\n';
export const discoveredLine = (names: readonly string[]) => `discovered ${names.length} tool(s)${names.length ? `: ${names.join(', ')}` : ''}\n`;

const approveHint = (slug: string, tool: string) => `\`pact mcp approve ${slug} ${tool}\``;

/** The lines after `discovered …`: what pact.toml's governance did to each tool. */
export function governanceLines(config: PactToml, server: McpServerView, discovery: McpDiscoveryView): string[] {
  const lines: string[] = [];
  const offered = new Set(discovery.discovered);
  const byName = new Map(server.tools.map((t) => [t.name, t]));
  const disabledInConfig: string[] = [];
  const noEntry: string[] = [];
  for (const name of discovery.discovered) {
    const entry = config.tools[name];
    if (!entry) {
      noEntry.push(name);
      continue;
    }
    if (!entry.enabled) {
      disabledInConfig.push(name);
      continue;
    }
    const tool = byName.get(name);
    lines.push(`✓ governed '${name}': roles=${roleList(tool?.allowedRoles ?? entry.allowed_roles)} pii=${(tool?.piiPolicy ?? entry.pii_policy).toLowerCase()}\n`);
    if (tool?.changed) lines.push(`! '${name}': definition changed upstream — disabled until ${approveHint(server.slug, name)}\n`);
  }
  if (disabledInConfig.length) lines.push(`· ${disabledInConfig.length} discovered tool(s) disabled in pact.toml (enabled = false): ${disabledInConfig.join(', ')}\n`);
  for (const name of Object.keys(config.tools)) {
    if (!offered.has(name)) lines.push(`! [tools.${name}]: the server offers no tool '${name}' (entry not applied)\n`);
  }
  if (discovery.removed.length) lines.push(`· ${discovery.removed.length} tool(s) removed upstream (disabled): ${discovery.removed.join(', ')}\n`);
  if (noEntry.length) lines.push(`· ${noEntry.length} discovered tool(s) left disabled (no pact.toml entry): ${noEntry.join(', ')}\n`);
  return lines;
}

const REASONS: Record<string, string> = {
  no_entry: 'no pact.toml entry',
  disabled_in_config: 'disabled in pact.toml',
  removed_upstream: 'removed upstream',
};

/** Why a tool is not callable (null when it is), e.g. "definition changed — run `pact mcp approve custom lookup_orders`". */
export function whyNotCallable(slug: string, tool: McpToolView): string | null {
  if (tool.callable) return null;
  const reasons: string[] = [];
  if (!tool.enabled && tool.disabledReason !== 'definition_changed') reasons.push(tool.disabledReason ? (REASONS[tool.disabledReason] ?? tool.disabledReason.replaceAll('_', ' ')) : 'disabled');
  if (tool.changed) reasons.push(`definition changed — run ${approveHint(slug, tool.name)}`);
  return reasons.join('; ') || 'not callable';
}

const cents = (value: number) => `${Number(value.toFixed(4))}¢`;

/** `pact mcp list`: per server a heading line and a table of its tools. */
export function serversText(servers: readonly McpServerView[]): string {
  return servers
    .map((server) => {
      const auth = server.authKind === 'HEADER' ? `header ${server.authHeader ?? ''}` : server.authKind.toLowerCase();
      const status = server.status === 'ERROR' && server.lastError ? `error (${server.lastError})` : server.status.toLowerCase();
      const heading = `${server.slug}  '${server.name}'  ${server.endpointUrl}  ${server.transport.toLowerCase()}, auth ${auth}  status ${status}, discovered ${shortTime(server.discoveredAt)}\n`;
      if (server.tools.length === 0) return `${heading}  (no tools discovered)\n`;
      const rows = server.tools.map((t) => [
        t.federatedName,
        t.callable ? 'callable' : 'disabled',
        t.allowedRoles.length ? t.allowedRoles.join(',') : '—',
        `${t.rateLimitPerMin}/min`,
        t.costCapCents === null ? '—' : `${cents(t.costCapCents)}/day`,
        cents(t.estCostCents),
        t.piiPolicy.toLowerCase(),
        whyNotCallable(server.slug, t) ?? '',
      ]);
      const body = table(['TOOL', 'STATUS', 'ROLES', 'RATE', 'CAP', 'EST', 'PII', 'WHY'], rows);
      return `${heading}${body
        .split('\n')
        .filter(Boolean)
        .map((l) => `  ${l}\n`)
        .join('')}`;
    })
    .join('\n');
}
