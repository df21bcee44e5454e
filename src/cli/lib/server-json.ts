/**
 * The `server.json` that `pact mcp publish` writes beside `pact.toml`, so that the same server can be
 * listed in an MCP registry. It follows the registry's schema version REGISTRY_SCHEMA_VERSION (a copy
 * is committed in schema/registry/).
 *
 * Decisions (documented in the README, "Publish into Pact"):
 * - `name`: `[server] registry_name`, else the endpoint's host name in reverse-DNS order and the
 *   slug (`https://my-tools.acme.com/mcp`, slug `custom` → `com.acme.my-tools/custom`); a host
 *   that is no domain name (an IP address, `localhost`) gives `local.pact/<slug>`.
 * - One remote, the endpoint with its transport (`streamable-http` or `sse`); the credential it
 *   needs is described as a secret header whose value is never written (bearer: `Authorization:
 *   Bearer {token}`; header: the `auth_header`).
 * - The governance of pact.toml under `_meta["dev.pact/governance"]` (the key the author SDK uses
 *   for each tool's own declarations): the slug, and per `[tools.X]` its federated name, enabled,
 *   allowed roles, rate limit, cost cap, estimated cost and PII policy. Tools without an entry are
 *   disabled in Pact (`default_tool_state`).
 * - `version`: `[server] version`, else the `version` of a package.json beside pact.toml, else 0.1.0.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { federatedName, type PactToml, type PactTomlServer } from './pact-toml';

export const REGISTRY_SCHEMA_VERSION = '2025-12-11';
export const REGISTRY_SCHEMA_URL = `https://static.modelcontextprotocol.io/schemas/${REGISTRY_SCHEMA_VERSION}/server.schema.json`;
/** The vendor `_meta` key of Pact's governance (the author SDK's key for a tool's declarations too). */
export const GOVERNANCE_META_KEY = 'dev.pact/governance';
export const DEFAULT_VERSION = '0.1.0';
const DESCRIPTION_MAX = 100;

/** A remote header as the registry describes one (a KeyValueInput). */
interface RegistryHeader {
  name: string;
  description: string;
  isRequired: true;
  isSecret: true;
  value?: string;
  variables?: Record<string, { description: string; isRequired: true; isSecret: true }>;
}

export interface ToolGovernance {
  federated_name: string;
  enabled: boolean;
  allowed_roles: string[];
  rate_limit_per_min: number | null;
  cost_cap_cents: number | null;
  est_cost_cents: number;
  pii_policy: string;
}

export interface ServerJson {
  $schema: string;
  name: string;
  title: string;
  description: string;
  version: string;
  remotes: { type: 'streamable-http' | 'sse'; url: string; headers?: RegistryHeader[] }[];
  _meta: {
    [GOVERNANCE_META_KEY]: {
      slug: string;
      auth_kind: PactTomlServer['auth_kind'];
      default_tool_state: 'disabled';
      tools: Record<string, ToolGovernance>;
    };
  };
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i;

/** The registry name of a server: `registry_name`, else reverse-DNS of the endpoint's host and the slug. */
export function registryName(server: PactTomlServer): string {
  if (server.registry_name) return server.registry_name;
  const host = new URL(server.endpoint_url).hostname.toLowerCase();
  const namespace = DOMAIN.test(host) ? host.split('.').reverse().join('.') : 'local.pact';
  return `${namespace}/${server.slug}`;
}

function headersOf(server: PactTomlServer): RegistryHeader[] {
  if (server.auth_kind === 'bearer') {
    return [
      {
        name: 'Authorization',
        description: 'Bearer token for this server',
        isRequired: true,
        isSecret: true,
        value: 'Bearer {token}',
        variables: { token: { description: 'The bearer token', isRequired: true, isSecret: true } },
      },
    ];
  }
  if (server.auth_kind === 'header' && server.auth_header) {
    return [{ name: server.auth_header, description: `The secret this server expects in ${server.auth_header}`, isRequired: true, isSecret: true }];
  }
  return [];
}

const clip = (text: string) => (text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`);

/** The `server.json` of a valid pact.toml. */
export function buildServerJson(config: PactToml, version: string): ServerJson {
  const { server } = config;
  const headers = headersOf(server);
  const tools: Record<string, ToolGovernance> = {};
  for (const [name, tool] of Object.entries(config.tools).sort(([a], [b]) => a.localeCompare(b))) {
    tools[name] = {
      federated_name: federatedName(server.slug, name),
      enabled: tool.enabled,
      allowed_roles: [...tool.allowed_roles],
      rate_limit_per_min: tool.rate_limit_per_min ?? null,
      cost_cap_cents: tool.cost_cap_cents ?? null,
      est_cost_cents: tool.est_cost_cents,
      pii_policy: tool.pii_policy,
    };
  }
  return {
    $schema: REGISTRY_SCHEMA_URL,
    name: registryName(server),
    title: clip(server.name),
    description: server.description ?? clip(`${server.name}: MCP tools governed by Pact`),
    version,
    remotes: [{ type: server.transport === 'sse' ? 'sse' : 'streamable-http', url: server.endpoint_url, ...(headers.length ? { headers } : {}) }],
    _meta: { [GOVERNANCE_META_KEY]: { slug: server.slug, auth_kind: server.auth_kind, default_tool_state: 'disabled', tools } },
  };
}

/** `[server] version`, else the `version` of a package.json in `dir`, else DEFAULT_VERSION. */
export async function serverVersion(server: PactTomlServer, dir: string): Promise<string> {
  if (server.version) return server.version;
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string' && parsed.version.trim()) return parsed.version.trim();
  } catch {
    // no readable package.json: the default
  }
  return DEFAULT_VERSION;
}

/** Writes `server.json` beside `tomlPath` (atomically); returns its path. */
export async function writeServerJson(tomlPath: string, json: ServerJson): Promise<string> {
  const path = join(dirname(tomlPath), 'server.json');
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  return path;
}
