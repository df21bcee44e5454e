import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the root `prepare` script (`npm run build:console`) writes the console bundle. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/**
 * The console's Content-Security-Policy: scripts and styles only from this origin (the bundle has
 * no inline script and no inline style), requests only to this origin, no framing, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const MISSING = `<!doctype html><meta charset="utf-8"><title>Pact console not built</title>
<p>The console bundle is missing. It is built by <code>npm install</code> (the <code>prepare</code> script); run <code>npm run build:console</code> to build it again.</p>`;

/**
 * Serves the built console under `/ui/`: hashed assets (`/ui/assets/*`) cached for good, every
 * other path the app's `index.html` (client-side routes). Files are read once and kept in memory;
 * nothing is built here.
 */
export function createConsoleFiles(dist = CONSOLE_DIST) {
  const cache = new Map<string, Buffer | null>();
  const read = async (file: string): Promise<Buffer | null> => {
    if (cache.has(file)) return cache.get(file) ?? null;
    const body = await readFile(file).catch(() => null);
    cache.set(file, body);
    return body;
  };

  return async function serve(request: Request, path: string): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Use GET.', { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' } });
    }
    let rest: string;
    try {
      rest = decodeURIComponent(path.slice('/ui/'.length));
    } catch {
      return new Response('Not found.', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    const asset = rest.startsWith('assets/') || /^[\w.-]+\.(svg|png|ico|json)$/.test(rest);
    if (asset) {
      const file = normalize(join(dist, rest));
      if (!file.startsWith(dist) || file.includes(`${sep}..`)) return new Response('Not found.', { status: 404 });
      const body = await read(file);
      if (!body) return new Response('Not found.', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
        headers: {
          ...SECURITY_HEADERS,
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': rest.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        },
      });
    }
    const index = await read(join(dist, 'index.html'));
    return new Response(request.method === 'HEAD' ? null : index ? new Uint8Array(index) : MISSING, {
      status: index ? 200 : 503,
      headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    });
  };
}

/** The header every cookie-authenticated `/graphql` call carries (the console and GraphiQL send it). */
export const CONSOLE_CSRF_HEADER = 'x-pact-csrf';
