import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import type { Admission, ToolTable } from './tools.js';

/** What `app()` returns: a Fetch handler, served by any runtime (Node through `serve()` or `toNodeListener`). */
export type FetchHandler = (request: Request) => Promise<Response>;

export interface AppOptions {
  /**
   * Browser origins allowed to call (hostnames, as the MCP SDK's Origin check takes them, e.g.
   * `"inspector.example.com"`). Default: localhost origins only. Requests without `Origin`
   * (every non-browser client) pass.
   */
  allowedOrigins?: string[];
  /** `Host` header values allowed (DNS-rebinding defence); default: any. `serve()` on a loopback address sets localhost names. */
  allowedHosts?: string[];
  /** Largest POST body read, in bytes (default 4 MiB); larger gets 413. */
  maxBodyBytes?: number;
}

const MAX_BODY = 4 * 1024 * 1024;
const ALLOW_HEADERS = 'Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID';
const EXPOSE_HEADERS = 'Mcp-Session-Id, Retry-After, WWW-Authenticate';

const rpcError = (status: number, id: unknown, code: number, message: string, data?: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error: { code, message, ...(data === undefined ? {} : { data }) } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

async function readBounded(request: Request, max: number): Promise<string | null> {
  if (Number(request.headers.get('content-length') ?? '0') > max) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const withCors = (response: Response, origin: string | null): Response => {
  if (origin === null) return response;
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', origin);
  headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
};

/**
 * The Streamable HTTP endpoint (stateless; 2026-07-28 through the SDK's `createMcpHandler`,
 * 2025-11-25 and older through its per-request legacy fallback). A `tools/call` is admitted here,
 * before the SDK dispatches it, so that a spent rate limit is answered as Pact's own server answers
 * it: HTTP 429, `Retry-After`, and a JSON-RPC RATE_LIMITED error with the retry hint.
 */
export function createFetchHandler(table: ToolTable, factory: (admitted: (request: Request) => Admission | undefined) => McpServerFactory, options: AppOptions = {}): FetchHandler {
  const admissions = new WeakMap<Request, Admission>();
  const handler = createMcpHandler(factory((request) => admissions.get(request)), { maxRequestBodySize: options.maxBodyBytes ?? MAX_BODY });
  const origins = options.allowedOrigins ?? localhostAllowedOrigins();
  const max = options.maxBodyBytes ?? MAX_BODY;

  const answer = async (request: Request): Promise<Response> => {
    const refused = (options.allowedHosts ? hostHeaderValidationResponse(request, options.allowedHosts) : undefined) ?? originValidationResponse(request, origins);
    if (refused) return refused;
    if (request.method === 'OPTIONS') {
      return new Response(null, {
        status: 204,
        headers: { 'access-control-allow-methods': 'POST, GET, DELETE, OPTIONS', 'access-control-allow-headers': ALLOW_HEADERS, 'access-control-max-age': '600' },
      });
    }
    if (request.method !== 'POST') return handler.fetch(request);
    const text = await readBounded(request, max);
    if (text === null) return rpcError(413, null, -32600, 'Request body too large.');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return rpcError(400, null, -32700, 'Parse error: the body is not JSON.');
    }
    if (Array.isArray(body)) return rpcError(400, null, -32600, 'Batched JSON-RPC requests are not supported (removed in MCP 2025-06-18): send one message per request.');
    const message = body as { method?: unknown; id?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
    if (message && typeof message === 'object' && message.method === 'tools/call' && 'id' in message && typeof message.params?.name === 'string' && table.has(message.params.name)) {
      const admission = await table.admit(message.params.name, message.params.arguments);
      if (admission.kind === 'limited') {
        const { refusal } = admission;
        return rpcError(429, message.id, refusal.rpcCode, refusal.message, refusal.data, { 'retry-after': String(refusal.retryAfterS) });
      }
      admissions.set(request, admission);
    }
    return handler.fetch(request, { parsedBody: body });
  };

  return async (request) => {
    const origin = request.headers.get('origin');
    return withCors(await answer(request), origin);
  };
}

const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/** Serves a Fetch handler to `node:http` (bodies streamed both ways, SSE included). */
export function toNodeListener(fetchHandler: FetchHandler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const host = req.headers.host ?? 'localhost';
    const url = new URL(req.url ?? '/', `http://${host}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit);
    fetchHandler(request)
      .then(async (response) => {
        res.statusCode = response.status;
        response.headers.forEach((value, name) => res.appendHeader(name, value));
        if (!response.body) {
          res.end();
          return;
        }
        res.flushHeaders();
        const reader = response.body.getReader();
        for (;;) {
          if (res.destroyed) {
            await reader.cancel().catch(() => {});
            return;
          }
          const { done, value } = await reader.read();
          if (done) break;
          // Backpressure: wait for the socket to drain (or close) before reading on.
          if (!res.write(value)) await drained(res);
        }
        res.end();
      })
      .catch(() => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } }));
        } else res.destroy();
      });
  };
}

export interface ServeOptions extends AppOptions {
  /** Default 9000 (0 picks a free port). */
  port?: number;
  /** Default 127.0.0.1. On a loopback address, `Host` must be a localhost name unless `allowedHosts` says otherwise. */
  host?: string;
  /** Where the endpoint answers (default `/mcp`, with and without a trailing slash). */
  path?: string;
}

export interface RunningServer {
  /** The endpoint, e.g. `http://127.0.0.1:9000/mcp`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Listens with `node:http` and serves the app at `path`. */
export async function serveFetch(makeApp: (options: AppOptions) => FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const path = (options.path ?? '/mcp').replace(/\/+$/, '') || '/';
  const allowedHosts = options.allowedHosts ?? (LOOPBACK.has(host) ? localhostAllowedHostnames() : undefined);
  const app = makeApp({ ...options, ...(allowedHosts ? { allowedHosts } : {}) });
  const listener = toNodeListener(async (request) => {
    const pathname = new URL(request.url).pathname.replace(/\/+$/, '') || '/';
    if (pathname !== path) return new Response(JSON.stringify({ error: `Not found: the MCP endpoint is ${path}` }), { status: 404, headers: { 'content-type': 'application/json' } });
    return app(request);
  });
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}${path === '/' ? '' : path}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
