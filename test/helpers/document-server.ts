import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One canned answer; `handler` takes over the response entirely (slow or endless answers). */
export interface Route {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface DocumentServer {
  /** `http(s)://127.0.0.1:<port>` */
  url: string;
  port: number;
  routes: Map<string, Route>;
  /** Requests per path. */
  hits: Map<string, number>;
  /** The Host header of each request, in order. */
  hosts: string[];
  close(): Promise<void>;
}

/** A self-signed certificate for `names` (SAN), made with the openssl CLI. */
export function selfSignedCertificate(names: string[]): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pact-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', `/CN=${names[0]}`,
      '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A server on 127.0.0.1 answering from `routes` (404 otherwise) and counting requests: http, or https with `tls`. */
export async function startDocumentServer(tls?: { key: string; cert: string }): Promise<DocumentServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const hosts: string[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    hosts.push(req.headers.host ?? '');
    const route = routes.get(path);
    if (route?.handler) return route.handler(req, res);
    if (!route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers }).end(route.body ?? '');
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    routes,
    hits,
    hosts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A resolver from a fixed table; unknown names fail as DNS would. */
export const mapResolver =
  (table: Record<string, string[]>) =>
  async (hostname: string): Promise<string[]> => {
    const found = table[hostname];
    if (!found) throw new Error(`ENOTFOUND ${hostname}`);
    return found;
  };
