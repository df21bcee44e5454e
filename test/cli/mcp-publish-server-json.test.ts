/**
 * The server.json `pact mcp publish` writes, validated offline against the committed copy of the
 * MCP registry's schema (schema/registry/), for each transport and credential kind.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePactToml, type PactToml } from '../../src/cli/lib/pact-toml';
import { buildServerJson, registryName, REGISTRY_SCHEMA_URL, serverVersion, writeServerJson } from '../../src/cli/lib/server-json';

const schema = JSON.parse(await readFile(new URL('../../schema/registry/server.schema.2025-12-11.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** The product page's pact.toml, with the `[server]` lines given replacing its own. */
const toml = (server: Record<string, string> = {}) => {
  const fields = { name: '"my-tools"', slug: '"custom"', endpoint_url: '"https://my-tools.acme.com/mcp"', transport: '"streamable_http"', auth_kind: '"bearer"', ...server };
  return `[server]\n${Object.entries(fields)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n')}\n\n[tools.lookup_orders]\nenabled = true\nallowed_roles = ["owner", "admin", "manager"]\nrate_limit_per_min = 60\ncost_cap_cents = 5.0\nest_cost_cents = 0.10\npii_policy = "redact"\n\n[tools.export]\nenabled = false\nallowed_roles = ["owner", "api"]\n`;
};

const config = (text: string): PactToml => {
  const result = parsePactToml(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
};

const valid = (json: unknown) => {
  const ok = validate(json);
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
  return ok;
};

describe('server.json', () => {
  it("for the page's pact.toml: registry schema 2025-12-11, one Streamable HTTP remote with a secret bearer header, the governance under _meta", () => {
    const json = buildServerJson(config(toml()), '1.2.0');
    expect(valid(json)).toBe(true);
    expect(json).toEqual({
      $schema: 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json',
      name: 'com.acme.my-tools/custom',
      title: 'my-tools',
      description: 'my-tools: MCP tools governed by Pact',
      version: '1.2.0',
      remotes: [
        {
          type: 'streamable-http',
          url: 'https://my-tools.acme.com/mcp',
          headers: [
            {
              name: 'Authorization',
              description: 'Bearer token for this server',
              isRequired: true,
              isSecret: true,
              value: 'Bearer {token}',
              variables: { token: { description: 'The bearer token', isRequired: true, isSecret: true } },
            },
          ],
        },
      ],
      _meta: {
        'dev.pact/governance': {
          slug: 'custom',
          auth_kind: 'bearer',
          default_tool_state: 'disabled',
          tools: {
            export: { federated_name: 'custom__export', enabled: false, allowed_roles: ['owner', 'api'], rate_limit_per_min: null, cost_cap_cents: null, est_cost_cents: 0, pii_policy: 'redact' },
            lookup_orders: {
              federated_name: 'custom__lookup_orders',
              enabled: true,
              allowed_roles: ['owner', 'admin', 'manager'],
              rate_limit_per_min: 60,
              cost_cap_cents: 5,
              est_cost_cents: 0.1,
              pii_policy: 'redact',
            },
          },
        },
      },
    });
  });

  it('SSE, a named header, no credential, an IP or localhost endpoint, and the [server] overrides are all valid', () => {
    const sse = buildServerJson(config(toml({ transport: '"sse"', auth_kind: '"header"', auth_header: '"X-Api-Key"', endpoint_url: '"http://127.0.0.1:9000/sse"' })), '0.1.0');
    expect(valid(sse)).toBe(true);
    expect(sse.name).toBe('local.pact/custom');
    expect(sse.remotes).toEqual([
      { type: 'sse', url: 'http://127.0.0.1:9000/sse', headers: [{ name: 'X-Api-Key', description: 'The secret this server expects in X-Api-Key', isRequired: true, isSecret: true }] },
    ]);

    const open = buildServerJson(config(toml({ auth_kind: '"none"', endpoint_url: '"http://localhost:9000/mcp"' })), '0.1.0');
    expect(valid(open)).toBe(true);
    expect(open.remotes).toEqual([{ type: 'streamable-http', url: 'http://localhost:9000/mcp' }]);
    expect(open._meta['dev.pact/governance'].auth_kind).toBe('none');

    const named = buildServerJson(
      config(toml({ registry_name: '"io.github.acme/my-tools"', description: '"Orders for support agents"', version: '"2.0.1"', endpoint_url: '"https://[::1]:9000/mcp"' })),
      '2.0.1',
    );
    expect(valid(named)).toBe(true);
    expect(named).toMatchObject({ name: 'io.github.acme/my-tools', description: 'Orders for support agents', version: '2.0.1' });
    expect(registryName(config(toml({ endpoint_url: '"https://[::1]:9000/mcp"' })).server)).toBe('local.pact/custom');
  });

  it('a long server name is clipped to the registry limits; the schema itself refuses what the registry refuses', () => {
    const long = buildServerJson(config(toml({ name: `"${'n'.repeat(100)}"` })), '0.1.0');
    expect(valid(long)).toBe(true);
    expect(long.title).toHaveLength(100);
    expect(long.description).toHaveLength(100);
    expect(validate({ ...long, name: 'no-slash' })).toBe(false);
    expect(validate({ ...long, description: 'd'.repeat(101) })).toBe(false);
    expect(validate({ ...long, remotes: [{ type: 'websocket', url: 'wss://x' }] })).toBe(false);
  });

  it('pact.toml refuses a registry_name, description or version the registry would refuse, naming line and field', () => {
    const errors = (server: Record<string, string>) => {
      const result = parsePactToml(toml(server));
      return result.ok ? [] : result.errors.map((e) => `${e.line}: ${e.field}: ${e.message}`);
    };
    expect(errors({ registry_name: '"my tools"' })).toEqual(['7: server.registry_name: a reverse-DNS namespace, one "/" and a name (e.g. "com.acme/my-tools")']);
    expect(errors({ description: `"${'d'.repeat(101)}"` })).toEqual(["7: server.description: at most 100 characters (the registry's limit)"]);
    expect(errors({ version: '"^1.2.0"' })).toEqual(['7: server.version: a specific version such as "1.0.2", not a range']);
    expect(errors({ version: '"latest"' })).toEqual(['7: server.version: a specific version such as "1.0.2", not a range']);
  });

  describe('version and writing', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'pact-server-json-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('takes [server] version, else package.json beside pact.toml, else 0.1.0; writes server.json beside pact.toml', async () => {
      const server = config(toml()).server;
      expect(await serverVersion(server, dir)).toBe('0.1.0');
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'my-tools', version: '3.4.5' }));
      expect(await serverVersion(server, dir)).toBe('3.4.5');
      expect(await serverVersion({ ...server, version: '9.0.0' }, dir)).toBe('9.0.0');

      const path = await writeServerJson(join(dir, 'pact.toml'), buildServerJson(config(toml()), '3.4.5'));
      expect(path).toBe(join(dir, 'server.json'));
      const written = JSON.parse(await readFile(path, 'utf8')) as { $schema: string; version: string };
      expect(valid(written)).toBe(true);
      expect(written).toMatchObject({ $schema: REGISTRY_SCHEMA_URL, version: '3.4.5' });
    });
  });
});
