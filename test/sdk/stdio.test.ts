import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { GOVERNANCE_META_KEY } from '@pact/mcp-server';
import { beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Newest modification time under a directory (0 when it does not exist). */
const newest = (dir: string): number =>
  existsSync(dir) ? Math.max(0, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs)) : 0;

// The child runs the package as authors install it (dist/, which `npm install` builds): rebuilt here only when the sources are newer.
beforeAll(async () => {
  const pkg = join(root, 'packages/mcp-server');
  if (newest(join(pkg, 'src')) > newest(join(pkg, 'dist'))) {
    await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'packages/mcp-server/tsconfig.json'], { cwd: root });
  }
}, 120_000);

type AnyClient = {
  listTools(): Promise<{ tools: { name: string; _meta?: Record<string, unknown> }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<{ isError?: boolean; structuredContent?: unknown; content?: unknown }>;
  close(): Promise<void>;
};

const CLIENTS: [string, () => Promise<AnyClient>][] = [
  [
    'v2 client (2026-07-28)',
    async () => {
      const client = new ModernClient({ name: 'v2-stdio', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new ModernStdio({ command: process.execPath, args: [script], cwd: root, stderr: 'pipe' }));
      return client as unknown as AnyClient;
    },
  ],
  [
    'v1 client (2025-11-25)',
    async () => {
      const client = new LegacyClient({ name: 'v1-stdio', version: '1.0.0' });
      await client.connect(new LegacyStdio({ command: process.execPath, args: [script], cwd: root, stderr: 'pipe' }));
      return client as unknown as AnyClient;
    },
  ],
];

describe.each(CLIENTS)('a server over stdio, child process, official %s', (_name, connect) => {
  it('lists, gates consent, injects cost, and answers the call over the limit with a JSON-RPC RATE_LIMITED error', async () => {
    const client = await connect();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => [t.name, t._meta?.[GOVERNANCE_META_KEY]])).toEqual([['lookup_orders', { cost_cents: 0.1, rate_limit_per_min: 2, consent_subject: 'email' }]]);
      const call = (email: string) => client.callTool({ name: 'lookup_orders', arguments: { email } });
      expect((await call('ada@example.com')).structuredContent).toEqual({ email: 'ada@example.com', orders: [], cost_cents: 0.1 });
      expect((await call('withdrawn@example.com')).structuredContent).toEqual({ blocked: true, reason: 'consent_withdrawn', cost_cents: 0 });
      await expect(call('ada@example.com')).rejects.toMatchObject({
        code: -32029,
        message: expect.stringContaining('Rate limit exceeded for tool:lookup_orders: 2 calls per 60 s. Retry after '),
        data: { code: 'RATE_LIMITED', limit: 2, window_s: 60, scope: 'tool:lookup_orders', retry_after_s: expect.any(Number) },
      });
      expect((await client.callTool({ name: 'lookup_orders', arguments: { email: 'nope' } })).isError).toBe(true);
      await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await client.close();
    }
  });
});
