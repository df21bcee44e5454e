/**
 * A server under test, run in its own process (forked by servers.ts) so the load generator and the
 * server do not share an event loop. BENCH_SERVER=pact starts Pact as `npm start` would (startPact,
 * production mode, every guarantee on; rate limits raised, see below) on DATABASE_URL; BENCH_SERVER=bare starts a bare node:http
 * server that reads the same first page of visible contacts with postgres.js and answers JSON.
 * Talks to the parent over IPC: `ready` (port), `usage` (CPU and memory), `stop`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/lib/logger';
import { mcpTools } from '../../src/mcp/generated/tools';
import { startPact } from '../../src/app/start';
import { BARE_PAGE_SQL, BARE_ROUTES, type ChildMessage, type ParentMessage } from './protocol';

const send = (message: ChildMessage) => process.send?.(message);

async function startBare(url: string, tenantId: string, poolSize: number): Promise<{ server: Server; close: () => Promise<void> }> {
  const sql = postgres(url, { max: poolSize, onnotice: () => {}, connection: { application_name: 'pact-bench-bare' } });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    for await (const _chunk of req) {
      // The body is read and ignored: each bare route always serves the same query.
    }
    const text = BARE_ROUTES[req.url ?? ''];
    if (!text) {
      res.writeHead(404).end();
      return;
    }
    try {
      if (text !== BARE_PAGE_SQL) {
        const rows = await sql.unsafe(text, [tenantId], { prepare: true });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ returned: rows.length, items: rows }));
        return;
      }
      const rows = await sql.unsafe<{ id: string; title: string | null; account_name: string | null; pii: Buffer | null; key_version: number | null }[]>(
        BARE_PAGE_SQL,
        [tenantId],
        { prepare: true },
      );
      const items = rows.map((r) => ({ id: r.id, title: r.title, accountName: r.account_name, pii: r.pii?.toString('base64') ?? null, keyVersion: r.key_version }));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ returned: items.length, items }));
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await sql.end({ timeout: 5 });
    },
  };
}

async function main(): Promise<void> {
  const mode = process.env.BENCH_SERVER;
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is required');
  let server: Server;
  let close: () => Promise<void>;
  if (mode === 'bare') {
    const tenantId = process.env.BENCH_TENANT_ID;
    if (!tenantId) throw new Error('BENCH_TENANT_ID is required');
    ({ server, close } = await startBare(url, tenantId, Number(process.env.BENCH_POOL ?? 10)));
  } else if (mode === 'pact') {
    const dataDir = mkdtempSync(join(tmpdir(), 'pact-bench-'));
    const raised = process.env.BENCH_RATE_LIMIT ?? '1000000';
    // A root field's own `@rateLimit` (contacts: 60, on /graphql and MCP alike) takes precedence over
    // PACT_RATE_LIMIT_OPERATION_PER_MIN, so BENCH_TOOL_LIMITS=raised (the default of servers.ts) raises
    // the tools' root fields through PACT_RATE_LIMIT_FIELDS as well; BENCH_TOOL_LIMITS=shipped keeps them.
    const fieldLimits = process.env.BENCH_TOOL_LIMITS === 'shipped' ? '' : [...new Set(mcpTools.map((t) => t.rootField))].map((f) => `${f}=${raised}`).join(',');
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      PACT_MASTER_KEY: process.env.BENCH_MASTER_KEY,
      PACT_DATA_DIR: dataDir,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      // Rate limiting stays on (every call is counted in the sliding window) but with limits no
      // benchmark reaches, so the measured load is served rather than refused with 429.
      PACT_RATE_LIMIT_TENANT_PER_MIN: raised,
      PACT_RATE_LIMIT_OPERATION_PER_MIN: raised,
      PACT_RATE_LIMIT_FIELDS: fieldLimits,
    });
    const running = await startPact(config, createLogger({ level: config.logLevel }), { seed: false });
    server = running.server;
    close = async () => {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } else {
    throw new Error(`BENCH_SERVER must be pact or bare (got ${String(mode)})`);
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'usage') {
      const cpu = process.cpuUsage();
      send({ type: 'usage', cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rssBytes: process.memoryUsage().rss });
    } else if (message.type === 'stop') {
      void close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
