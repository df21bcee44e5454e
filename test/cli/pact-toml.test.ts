import { describe, expect, it } from 'vitest';
import { formatPactTomlError, parsePactToml, projectNameProblem } from '../../src/cli/lib/pact-toml';

/** The product page's pact.toml. */
const PAGE = `[server]
name = "my-tools"
slug = "custom"
endpoint_url = "https://my-tools.acme.com/mcp"
transport = "streamable_http" # or "sse"
auth_kind = "bearer" # none | bearer | header | oauth

[tools.lookup_orders]
enabled = true
allowed_roles = ["owner", "admin", "manager"]
rate_limit_per_min = 60
cost_cap_cents = 5.0
est_cost_cents = 0.10
pii_policy = "redact" # redact | allow | block
`;

/** PAGE with the line starting with `key =` replaced (or removed when `by` is null). */
const edit = (key: string, by: string | null, text = PAGE) => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${key} =`));
  if (at < 0) throw new Error(`no ${key} line`);
  if (by === null) lines.splice(at, 1);
  else lines[at] = by;
  return lines.join('\n');
};

/** The errors as `pact.toml:LINE: field: message` lines. */
const errorsOf = (text: string) => {
  const result = parsePactToml(text);
  return result.ok ? [] : result.errors.map((e) => formatPactTomlError('pact.toml', e));
};

describe('pact.toml', () => {
  it("accepts the product page's file and fills the defaults", () => {
    const result = parsePactToml(PAGE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.server).toEqual({ name: 'my-tools', slug: 'custom', endpoint_url: 'https://my-tools.acme.com/mcp', transport: 'streamable_http', auth_kind: 'bearer' });
    expect(result.config.tools.lookup_orders).toEqual({
      enabled: true,
      allowed_roles: ['owner', 'admin', 'manager'],
      rate_limit_per_min: 60,
      cost_cap_cents: 5,
      est_cost_cents: 0.1,
      pii_policy: 'redact',
    });
    const minimal = parsePactToml('[server]\nname = "x"\nslug = "x"\nendpoint_url = "http://localhost:9000/mcp"\n[tools.ping]\nallowed_roles = ["member"]\n');
    expect(minimal.ok && minimal.config).toMatchObject({ server: { transport: 'streamable_http', auth_kind: 'none' }, tools: { ping: { enabled: true, est_cost_cents: 0, pii_policy: 'redact' } } });
  });

  it.each([
    ['pii_policy not redact|allow|block', edit('pii_policy', 'pii_policy = "nope"'), 'pact.toml:14: tools.lookup_orders.pii_policy: must be one of redact | allow | block (got "nope")'],
    ['transport not streamable_http|sse', edit('transport', 'transport = "websocket"'), 'pact.toml:5: server.transport: must be one of streamable_http | sse (got "websocket")'],
    ['auth_kind not none|bearer|header|oauth', edit('auth_kind', 'auth_kind = "basic"'), 'pact.toml:6: server.auth_kind: must be one of none | bearer | header | oauth (got "basic")'],
    ['an unknown role', edit('allowed_roles', 'allowed_roles = ["owner", "guest"]'), 'pact.toml:10: tools.lookup_orders.allowed_roles.1: must be one of owner | admin | manager | member | api (got "guest")'],
    ['a negative cost cap', edit('cost_cap_cents', 'cost_cap_cents = -1'), 'pact.toml:12: tools.lookup_orders.cost_cap_cents: must not be negative'],
    ['a negative estimated cost', edit('est_cost_cents', 'est_cost_cents = -0.5'), 'pact.toml:13: tools.lookup_orders.est_cost_cents: must not be negative'],
    [
      'an estimate over the cap',
      edit('est_cost_cents', 'est_cost_cents = 7.5'),
      'pact.toml:13: tools.lookup_orders.est_cost_cents: 7.5 exceeds cost_cap_cents (5): one call would not fit in the daily cap',
    ],
    ['a wrong type', edit('rate_limit_per_min', 'rate_limit_per_min = "60"'), 'pact.toml:11: tools.lookup_orders.rate_limit_per_min: expected a number, got a string ("60")'],
    ['a wrong type (boolean)', edit('enabled', 'enabled = "yes"'), 'pact.toml:9: tools.lookup_orders.enabled: expected true or false, got a string ("yes")'],
    ['a fractional rate limit', edit('rate_limit_per_min', 'rate_limit_per_min = 1.5'), 'pact.toml:11: tools.lookup_orders.rate_limit_per_min: must be a whole number'],
    ['an unknown key in a tool', edit('pii_policy', 'pii_policy = "redact"\npii_polcy = "allow"'), 'pact.toml:15: tools.lookup_orders.pii_polcy: unknown key in a [tools.X] entry (did you mean "pii_policy"?)'],
    ['an unknown key in [server]', edit('slug', 'slug = "custom"\nregion = "eu"'), 'pact.toml:4: server.region: unknown key in [server] (known: name, slug, endpoint_url, transport, auth_kind, auth_header, registry_name, description, version)'],
    ['an unknown table', `${PAGE}\n[deploy]\nregion = "eu"\n`, 'pact.toml:16: deploy: unknown key at the top level (known: server, tools)'],
    ['an endpoint that is not a URL', edit('endpoint_url', 'endpoint_url = "my-tools.acme.com/mcp"'), 'pact.toml:4: server.endpoint_url: not a URL: "my-tools.acme.com/mcp" (expected e.g. "https://my-tools.example.com/mcp")'],
    ['an endpoint that is not http(s)', edit('endpoint_url', 'endpoint_url = "ftp://my-tools.acme.com/mcp"'), 'pact.toml:4: server.endpoint_url: must be an http:// or https:// URL (got ftp://)'],
    [
      'an endpoint with a password',
      edit('endpoint_url', 'endpoint_url = "https://me:secret@my-tools.acme.com/mcp"'),
      'pact.toml:4: server.endpoint_url: must not contain a user name or password (put the secret in PACT_MCP_AUTH_SECRET)',
    ],
    ['a slug with capitals', edit('slug', 'slug = "My-Tools"'), 'pact.toml:3: server.slug: lowercase letters and digits, groups joined by single "-" or "_" (e.g. "my-tools")'],
    ['a slug with "__"', edit('slug', 'slug = "my__tools"'), 'pact.toml:3: server.slug: lowercase letters and digits, groups joined by single "-" or "_" (e.g. "my-tools")'],
    ['a missing field', edit('slug', null), 'pact.toml:1: server.slug: required'],
    ['a missing [server]', PAGE.slice(PAGE.indexOf('[tools')), 'pact.toml:1: server: required table [server] is missing'],
    ['header auth without its header', edit('auth_kind', 'auth_kind = "header"'), 'pact.toml:6: server.auth_header: required when auth_kind = "header" (the header that carries the secret, e.g. "X-Api-Key")'],
    ['a header with bearer auth', edit('auth_kind', 'auth_kind = "bearer"\nauth_header = "X-Key"'), 'pact.toml:7: server.auth_header: only used with auth_kind = "header" (auth_kind is "bearer")'],
    ['no roles', edit('allowed_roles', 'allowed_roles = []'), 'pact.toml:10: tools.lookup_orders.allowed_roles: name at least one role (set enabled = false to turn the tool off)'],
    [
      'a federated name over 64 characters',
      PAGE.replace('[tools.lookup_orders]', `[tools.${'x'.repeat(60)}]`),
      `pact.toml:8: tools.${'x'.repeat(60)}: federated name "custom__${'x'.repeat(60)}" is longer than 64 characters (shorten the slug or the tool name)`,
    ],
    ['a tool name with a dot', PAGE.replace('[tools.lookup_orders]', '[tools."lookup.orders"]'), 'pact.toml:8: tools.lookup.orders: a tool name is letters, digits, "_" and "-" only'],
    ['a TOML syntax error', edit('rate_limit_per_min', 'rate_limit_per_min = 60 60'), 'pact.toml:11: rate_limit_per_min: TOML syntax: '],
  ])('names the line and the field of %s', (_what, text, expected) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  });

  it('reports every error, in line order, and finds keys written as dotted keys', () => {
    const text = `tools.ping.allowed_roles = ["root"]\n${edit('transport', 'transport = 1', edit('pii_policy', 'pii_policy = "nope"', edit('est_cost_cents', 'est_cost_cents = 9')))}`;
    expect(errorsOf(text)).toEqual([
      'pact.toml:1: tools.ping.allowed_roles.0: must be one of owner | admin | manager | member | api (got "root")',
      'pact.toml:6: server.transport: must be one of streamable_http | sse, got an integer (1)',
      'pact.toml:14: tools.lookup_orders.est_cost_cents: 9 exceeds cost_cap_cents (5): one call would not fit in the daily cap',
      'pact.toml:15: tools.lookup_orders.pii_policy: must be one of redact | allow | block (got "nope")',
    ]);
  });

  it('accepts server names that make a directory, a package and a slug, and refuses others', () => {
    expect(projectNameProblem('my-tools')).toBeNull();
    expect(projectNameProblem('orders_2')).toBeNull();
    for (const bad of ['My-Tools', 'my tools', '-x', 'x-', 'a__b', '@scope/x', '../x', '', 'http', 'x'.repeat(33)]) expect(projectNameProblem(bad), bad).not.toBeNull();
  });
});
