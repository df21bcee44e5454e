import type { HttpPolicy } from '../pipeline/http-guards';

/** A JSON-RPC id as echoed in an answer: null only when the request's id is unknown. */
export type RpcId = string | number | null;

const ALLOW_METHODS = 'POST, GET, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID, X-Tenant-ID, Mcp-Method, Mcp-Name';
const EXPOSE_HEADERS = 'WWW-Authenticate, Mcp-Session-Id, Retry-After, X-Request-Id';

/** A JSON-RPC error answer with an HTTP status. */
export const rpcError = (
  status: number,
  id: RpcId,
  code: number,
  message: string,
  data?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Response =>
  new Response(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/** The request's `Origin` when it is not one the policy allows (null: none sent, or allowed). */
export const foreignOrigin = (request: Request, policy: HttpPolicy): string | null => {
  const origin = request.headers.get('origin');
  return origin !== null && !policy.origins.has(origin) ? origin : null;
};

/** The answer to a CORS preflight from an allowed origin (or from no browser at all). */
export function preflight(request: Request): Response {
  const origin = request.headers.get('origin');
  const headers: Record<string, string> = { allow: ALLOW_METHODS };
  if (origin !== null) {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  }
  return new Response(null, { status: 204, headers });
}

/** Adds the CORS answer headers for an allowed browser origin; no credentials (cookies are refused on /mcp). */
export function withCors(response: Response, origin: string | null): Response {
  if (origin === null) return response;
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', origin);
  headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  headers.append('vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * A body read up to `max` bytes: its text, or `tooLarge` as soon as it passes the bound. A body
 * with a declared length within the bound is read whole (the HTTP parser delivers no more than
 * it declares); a chunked one is counted as it arrives.
 */
export async function readBounded(request: Request, max: number): Promise<{ text: string } | { tooLarge: true }> {
  const length = request.headers.get('content-length');
  const declared = Number(length ?? '0');
  if (declared > max) return { tooLarge: true };
  if (length !== null && Number.isInteger(declared) && declared >= 0) {
    const text = await request.text();
    return Buffer.byteLength(text) > max ? { tooLarge: true } : { text };
  }
  if (!request.body) return { text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The id of a JSON-RPC message, when it has a usable one. */
export const rpcIdOf = (message: unknown): RpcId => {
  const id = isObject(message) ? message.id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
};

/**
 * Why a parsed body is not a valid JSON-RPC 2.0 message (-32600 Invalid Request), or null.
 * Requests and notifications need `jsonrpc: "2.0"` and a string `method` (a request's id is a
 * string or a number); a message without `method` must be a response (`result` or `error`, with an id).
 */
export function invalidRequest(message: unknown): string | null {
  if (!isObject(message)) return `Invalid Request: the body must be a JSON-RPC message object, not ${message === null ? 'null' : typeof message}.`;
  if (message.jsonrpc !== '2.0') return 'Invalid Request: "jsonrpc" must be "2.0".';
  if ('id' in message && rpcIdOf(message) === null) return 'Invalid Request: "id" must be a string or a number.';
  if ('method' in message) return typeof message.method === 'string' ? null : 'Invalid Request: "method" must be a string.';
  if (('result' in message || 'error' in message) && 'id' in message) return null;
  return 'Invalid Request: a message needs a "method" (a request or notification) or a "result"/"error" (a response).';
}
