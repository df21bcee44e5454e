import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, Server as ModernServer, type CallToolResult } from '@modelcontextprotocol/server';
import { Server as LegacyServer } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { toNodeListener, type PactServer } from '@pact/mcp-server';
import type { UpstreamTool } from '../../src/services/federation/upstream';

/**
 * Loopback MCP servers for the federation tests: one made with the author SDK (@pact/mcp-server),
 * plain-SDK ones (the v2 server, 2026-07-28 and 2025-era; the v1 server, 2025-11-25 only; the v1
 * legacy SSE transport), and non-MCP endpoints. Each records the headers every request carried.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Upstream {
  /** The MCP endpoint (`…/mcp`, or `…/sse` for the legacy SSE transport). */
  url: string;
  /** Every HTTP request the upstream received, in order. */
  requests: RecordedRequest[];
  /** Tool calls the upstream ran (name and arguments). */
  calls: { name: string; arguments: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** A tool a plain upstream lists (its definition as tools/list shows it, the shape discovery reads). */
export type PlainTool = UpstreamTool;

export interface PlainUpstreamOptions {
  /** The tools listed; the array is read on every request, so a test may change it between discoveries. */
  tools: PlainTool[];
  /** tools/list page size (a `nextCursor` is answered while tools remain); all in one page by default. */
  pageSize?: number;
  /** Answers tools/call (default: echoes the arguments as structured content). */
  call?: (name: string, args: Record<string, unknown>, headers: IncomingHttpHeaders) => CallToolResult | Promise<CallToolResult>;
  /** Refuse requests (HTTP 401) that do not carry this header with this value. */
  require?: { header: string; value: string };
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on 127.0.0.1, recording each request before `listener` answers it. */
async function listen(path: string, listener: Listener, requests: RecordedRequest[], require?: PlainUpstreamOptions['require']): Promise<{ url: string; base: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers } });
    if (require && req.headers[require.header.toLowerCase()] !== require.value) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"error":"unauthorized"}');
      return;
    }
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}${path}`,
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The author SDK's server, served through its own Fetch handler. */
export async function startPactUpstream(server: PactServer, options: { require?: PlainUpstreamOptions['require'] } = {}): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const app = toNodeListener(server.app());
  const handle = await listen('/mcp', app, requests, options.require);
  return { url: handle.url, requests, calls: [], close: handle.close };
}

const page = (tools: PlainTool[], pageSize: number | undefined, cursor: string | undefined) => {
  const start = cursor ? Number(cursor) : 0;
  const size = pageSize ?? tools.length;
  const end = start + size;
  return { tools: tools.slice(start, end), ...(end < tools.length ? { nextCursor: String(end) } : {}) };
};

const echo = (name: string, args: Record<string, unknown>): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify({ name, args }) }], structuredContent: { name, args } });

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

/** The plain v2 SDK server (@modelcontextprotocol/server): 2026-07-28, and 2025-era clients through its legacy fallback. */
export async function startPlainUpstream(options: PlainUpstreamOptions): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const calls: Upstream['calls'] = [];
  const handler = createMcpHandler(() => {
    const server = new ModernServer({ name: 'plain-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', (request) => page(options.tools, options.pageSize, request.params?.cursor) as never);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const args = request.params.arguments ?? {};
      calls.push({ name: request.params.name, arguments: args });
      const headers = Object.fromEntries(ctx.http?.req?.headers.entries() ?? []) as IncomingHttpHeaders;
      return options.call ? options.call(request.params.name, args, headers) : echo(request.params.name, args);
    });
    return server;
  });
  const handle = await listen('/mcp', toNodeListener((request) => handler.fetch(request)), requests, options.require);
  return { url: handle.url, requests, calls, close: handle.close };
}

/** A v1 SDK (@modelcontextprotocol/sdk) server: answers 2025-11-25 `initialize` only (no `server/discover`). */
function legacyServer(options: PlainUpstreamOptions, calls: Upstream['calls'], headersOf: () => IncomingHttpHeaders) {
  const server = new LegacyServer({ name: 'legacy-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (request) => page(options.tools, options.pageSize, request.params?.cursor) as never);
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const args = request.params.arguments ?? {};
    calls.push({ name: request.params.name, arguments: args });
    return (options.call ? await options.call(request.params.name, args, headersOf()) : echo(request.params.name, args)) as never;
  });
  return server;
}

/** The v1 SDK's stateless Streamable HTTP server (revision 2025-11-25). */
export async function startLegacyUpstream(options: PlainUpstreamOptions): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const calls: Upstream['calls'] = [];
  const handle = await listen(
    '/mcp',
    (req, res) => {
      void (async () => {
        const body = req.method === 'POST' ? await readJson(req) : undefined;
        const server = legacyServer(options, calls, () => req.headers);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => void transport.close().then(() => server.close()));
        await server.connect(transport as never);
        await transport.handleRequest(req, res, body);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
    requests,
    options.require,
  );
  return { url: handle.url, requests, calls, close: handle.close };
}

/** The v1 SDK's legacy HTTP+SSE transport: GET `/sse` opens the stream, POST `/messages?sessionId=` carries requests. */
export async function startSseUpstream(options: PlainUpstreamOptions): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const calls: Upstream['calls'] = [];
  const sessions = new Map<string, { transport: SSEServerTransport; headers: IncomingHttpHeaders }>();
  const handle = await listen(
    '/sse',
    (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        const session = { transport, headers: req.headers };
        sessions.set(transport.sessionId, session);
        const server = legacyServer(options, calls, () => session.headers);
        res.on('close', () => sessions.delete(transport.sessionId));
        void server.connect(transport);
        return;
      }
      const session = sessions.get(url.searchParams.get('sessionId') ?? '');
      if (req.method === 'POST' && url.pathname === '/messages' && session) {
        session.headers = req.headers;
        void session.transport.handlePostMessage(req, res);
        return;
      }
      res.writeHead(404).end();
    },
    requests,
    options.require,
  );
  return { url: handle.url, requests, calls, close: handle.close };
}

/** An HTTP endpoint that is not an MCP server: answers every request with `status` and an HTML page (or never, with `hang`). */
export async function startNonMcpEndpoint(options: { status?: number; hang?: boolean } = {}): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const handle = await listen(
    '/mcp',
    (req, res) => {
      if (options.hang) return;
      res.writeHead(options.status ?? 200, { 'content-type': 'text/html' }).end('<html><body>Hello</body></html>');
    },
    requests,
  );
  return { url: handle.url, requests, calls: [], close: handle.close };
}

/** The requests that reached the upstream carrying the named header with any value. */
export const carrying = (upstream: Upstream, header: string): RecordedRequest[] => upstream.requests.filter((r) => r.headers[header.toLowerCase()] !== undefined);
