/**
 * `pact mcp publish` refusing before it calls Pact: a bad pact.toml (line and field named), auth_kind
 * "oauth", a missing PACT_MCP_AUTH_SECRET, no pact.toml; and a Pact that cannot be reached. PACT_URL
 * points at a closed port, so a refusal that reached the network would say "Cannot reach Pact".
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPact } from './helpers';

const PAGE = `[server]
name = "my-tools"
slug = "custom"
endpoint_url = "https://my-tools.acme.com/mcp"
transport = "streamable_http"
auth_kind = "bearer"

[tools.lookup_orders]
enabled = true
allowed_roles = ["owner", "admin", "manager"]
pii_policy = "redact"
`;

const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

let dir: string;
let env: Record<string, string>;
const SECRET = 'canary-secret-7f3a9c';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pact-publish-config-'));
  env = { PACT_URL: `http://127.0.0.1:${await closedPort()}`, PACT_ADMIN_TOKEN: 'pact_sess_not-a-real-session-token', PACT_MCP_AUTH_SECRET: SECRET };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const publish = async (toml: string | null, extraEnv: Record<string, string | undefined> = {}) => {
  await rm(join(dir, 'pact.toml'), { force: true });
  if (toml !== null) await writeFile(join(dir, 'pact.toml'), toml);
  const run = await runPact(['mcp', 'publish'], { cwd: dir, env: { ...env, ...extraEnv } });
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  return run;
};

describe('pact mcp publish refuses before calling Pact', () => {
  it('a bad pact.toml: every error with its line and field, nothing published, no server.json', async () => {
    const bad = PAGE.replace('transport = "streamable_http"', 'transport = "websocket"').replace('pii_policy = "redact"', 'pii_policy = "mask"');
    const run = await publish(bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        'pact.toml:5: server.transport: must be one of streamable_http | sse (got "websocket")',
        'pact.toml:11: tools.lookup_orders.pii_policy: must be one of redact | allow | block (got "mask")',
        'error: pact.toml is not valid: nothing was published.',
        '',
      ].join('\n'),
    );
    expect(await readdir(dir)).toEqual(['pact.toml']);
  });

  it('auth_kind = "oauth": one line naming the line and the field', async () => {
    const run = await publish(PAGE.replace('auth_kind = "bearer"', 'auth_kind = "oauth"'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: pact.toml:6: server.auth_kind: "oauth" cannot be published yet: use "bearer" or "header" with PACT_MCP_AUTH_SECRET.\n');
  });

  it('auth_kind bearer or header without PACT_MCP_AUTH_SECRET: a usage error (exit 2) naming what is missing', async () => {
    const bearer = await publish(PAGE, { PACT_MCP_AUTH_SECRET: undefined });
    expect(bearer.code).toBe(2);
    expect(bearer.stderr).toBe('error: PACT_MCP_AUTH_SECRET is not set: pact.toml:6 says auth_kind = "bearer", so Pact needs the bearer token to call the server.\n');
    const header = await publish(PAGE.replace('auth_kind = "bearer"', 'auth_kind = "header"\nauth_header = "X-Api-Key"'), { PACT_MCP_AUTH_SECRET: undefined });
    expect(header.code).toBe(2);
    expect(header.stderr).toBe(`error: PACT_MCP_AUTH_SECRET is not set: pact.toml:6 says auth_kind = "header", so Pact needs the X-Api-Key header's value to call the server.\n`);
  });

  it('no pact.toml: a usage error naming the fix; --config names another file', async () => {
    const run = await publish(null);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: No pact.toml here.\nhint: Run this in a directory made by `pact init mcp-server NAME`, or pass --config FILE.\n');
    const other = await runPact(['mcp', 'publish', '--config', 'other.toml'], { cwd: dir, env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('error: No other.toml here.');
  });

  it('a Pact that cannot be reached: exit 4 after the first line, the secret nowhere', async () => {
    const run = await publish(PAGE);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("→ Installing 'my-tools' (https://my-tools.acme.com/mcp) …\n");
    expect(run.stderr).toMatch(/^error: Cannot reach Pact at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\.\nhint: /);
  });

  it('--help lists the publishing commands and what publish reads', async () => {
    const [topic, publish] = await Promise.all([runPact(['mcp', '--help']), runPact(['mcp', 'publish', '--help'])]);
    for (const command of ['publish [options]', 'list [options]', 'approve [options] <slug> <tool>', 'delete [options] [slug]']) expect(topic.stdout).toContain(command);
    expect(publish.stdout).toContain('Usage: pact mcp publish [options]');
    expect(publish.stdout).toMatch(/PACT_MCP_AUTH_SECRET\s+the server's credential when auth_kind is bearer or header; Pact seals it/);
    expect(publish.stdout).toContain('Needs an owner or admin: a member or an API key is refused.');
  });
});
