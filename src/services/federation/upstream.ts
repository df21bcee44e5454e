import { Readable } from 'node:stream';
import type * as ClientSdkModule from '@modelcontextprotocol/client';
import type { CallToolResult, Client, FetchLike, Transport } from '@modelcontextprotocol/client';
import { ErrorCode, PactError } from '../../lib/errors';
import { safeFetchStream, SafeFetchError, type Resolver, type SafeFetchErrorCode } from '../../lib/safe-fetch';

/**
 * Pact as an MCP client of a federated (author's) server: every request goes through safe-fetch
 * (addresses checked after DNS and on every redirect hop, the connection pinned to the checked
 * address), under one deadline, and every failure becomes a PactError with a stable UPSTREAM_* code
 * whose message never names a resolved address or the credential.
 */

type ClientSdk = typeof ClientSdkModule;
let clientSdk: Promise<ClientSdk> | undefined;
/** The MCP client SDK, loaded on the first federated exchange rather than on Pact's start path. */
const loadClientSdk = (): Promise<ClientSdk> => (clientSdk ??= import('@modelcontextprotocol/client'));

export interface UpstreamTarget {
  endpointUrl: string;
  transport: 'streamable_http' | 'sse';
  /** Headers carrying the upstream credential from the sealed secret; never the caller's token. */
  headers: Record<string, string>;
}

export interface UpstreamPolicy {
  /** `PACT_ALLOW_PRIVATE_UPSTREAMS`: loopback and private addresses (and plain http to them) for development. */
  allowPrivate: boolean;
  /** The deadline of one whole exchange (connect, negotiation, every page or the call). */
  timeoutMs: number;
  /** Host name → addresses (tests); the system resolver by default. */
  resolver?: Resolver;
}

export interface UpstreamTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

export type { CallToolResult };

/** The policy when none is configured: public addresses only, 15 s per exchange. */
export const DEFAULT_UPSTREAM_POLICY: UpstreamPolicy = { allowPrivate: false, timeoutMs: 15_000 };

/** Pages of tools/list read at most (a server whose cursor never ends is not followed forever). */
const MAX_PAGES = 100;
/** The largest answer body read from an upstream. */
const MAX_BYTES = 8 * 1024 * 1024;
const CLIENT_INFO = { name: 'pact-federation', version: '1.0.0' };

/** What the fetch saw, to explain a failure the SDK reports in its own words. */
interface Exchange {
  failure?: SafeFetchError;
  status?: number;
  timedOut: boolean;
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/** The SDK's `fetch`, over safe-fetch: streamed bodies (SSE), redirects returned to the SDK (which re-enters here, re-checked). */
function upstreamFetch(policy: UpstreamPolicy, session: AbortSignal, seen: Exchange): FetchLike {
  return async (url, init) => {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const raw = init?.body;
    let body: string | Buffer | undefined;
    if (raw === undefined || raw === null) body = undefined;
    else if (typeof raw === 'string') body = raw;
    else if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) body = raw instanceof ArrayBuffer ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    else throw new Error('unsupported request body');
    const signal = init?.signal ? AbortSignal.any([session, init.signal]) : session;
    try {
      const res = await safeFetchStream(url, {
        method: init?.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        allowPrivate: policy.allowPrivate,
        ...(policy.resolver ? { resolver: policy.resolver } : {}),
        timeoutMs: policy.timeoutMs,
        maxBytes: MAX_BYTES,
        signal,
      });
      const method = (init?.method ?? 'GET').toUpperCase();
      // A stateless server refusing the optional GET stream (405) says nothing about the exchange.
      if (!(method === 'GET' && res.status === 405)) seen.status = res.status;
      if (res.status < 200 || res.status > 599) {
        res.body.destroy();
        throw new SafeFetchError('NETWORK', `answered with HTTP status ${res.status}`);
      }
      const empty = NULL_BODY.has(res.status) || method === 'HEAD';
      if (empty) res.body.resume();
      return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>), { status: res.status, headers: res.headers });
    } catch (error) {
      if (error instanceof SafeFetchError) seen.failure ??= error;
      throw error;
    }
  };
}

const FETCH_CODES: Record<SafeFetchErrorCode, ErrorCode> = {
  BAD_URL: ErrorCode.UpstreamBlockedAddress,
  BLOCKED_ADDRESS: ErrorCode.UpstreamBlockedAddress,
  DNS: ErrorCode.UpstreamUnreachable,
  NETWORK: ErrorCode.UpstreamUnreachable,
  TIMEOUT: ErrorCode.UpstreamTimeout,
  TOO_LARGE: ErrorCode.UpstreamNotMcp,
  TOO_MANY_REDIRECTS: ErrorCode.UpstreamUnreachable,
};

const hostOf = (endpointUrl: string): string => {
  try {
    return new URL(endpointUrl).host;
  } catch {
    return 'the endpoint';
  }
};

/** The PactError a failed exchange answers (the safe-fetch refusal, the HTTP status, or the SDK's verdict). */
function upstreamError(sdk: ClientSdk, target: UpstreamTarget, policy: UpstreamPolicy, seen: Exchange, error: unknown): PactError {
  const { ProtocolError, SdkError, SdkErrorCode } = sdk;
  if (error instanceof PactError) return error;
  const where = `The MCP server at ${hostOf(target.endpointUrl)}`;
  const timedOut = seen.timedOut || seen.failure?.code === 'TIMEOUT' || (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout);
  if (timedOut) return new PactError(ErrorCode.UpstreamTimeout, `${where} did not answer within ${policy.timeoutMs} ms.`);
  if (seen.failure) {
    const code = FETCH_CODES[seen.failure.code];
    if (code === ErrorCode.UpstreamBlockedAddress) {
      return new PactError(code, `${where} is refused: ${seen.failure.message} (PACT_ALLOW_PRIVATE_UPSTREAMS allows loopback and private addresses in development).`);
    }
    return new PactError(code, `${where} is unreachable: ${seen.failure.message}.`);
  }
  const status = seen.status;
  if (status === 401 || status === 403) return new PactError(ErrorCode.UpstreamUnreachable, `${where} refused Pact's credential (HTTP ${status}): check the server's auth secret.`);
  if (status !== undefined && status >= 500) return new PactError(ErrorCode.UpstreamUnreachable, `${where} failed (HTTP ${status}).`);
  if (status !== undefined && (status < 200 || status >= 300)) return new PactError(ErrorCode.UpstreamNotMcp, `${where} is not an MCP endpoint (HTTP ${status}).`);
  return new PactError(ErrorCode.UpstreamNotMcp, `${where} did not answer as an MCP server${error instanceof ProtocolError ? ` (${error.message.slice(0, 200)})` : ''}.`);
}

/** Connects a fresh client to `target`, runs `work` with it under the policy's deadline, and closes it. */
async function withUpstream<T>(
  target: UpstreamTarget,
  policy: UpstreamPolicy,
  work: (client: Client, options: { signal: AbortSignal; timeout: number }, sdk: ClientSdk) => Promise<T>,
): Promise<T> {
  const sdk = await loadClientSdk();
  const { Client, SSEClientTransport, StreamableHTTPClientTransport } = sdk;
  const seen: Exchange = { timedOut: false };
  const controller = new AbortController();
  const timer = setTimeout(() => {
    seen.timedOut = true;
    controller.abort();
  }, policy.timeoutMs);
  let url: URL;
  try {
    url = new URL(target.endpointUrl);
  } catch {
    clearTimeout(timer);
    throw new PactError(ErrorCode.UpstreamBlockedAddress, 'The MCP server endpoint is not an absolute URL.');
  }
  const fetch = upstreamFetch(policy, controller.signal, seen);
  const requestInit: RequestInit = { headers: target.headers };
  const transport: Transport =
    target.transport === 'sse'
      ? new SSEClientTransport(url, { fetch, requestInit, eventSourceInit: { fetch } })
      : new StreamableHTTPClientTransport(url, { fetch, requestInit, reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 } });
  // The legacy SSE transport predates the 2026-07-28 revision: it gets the plain initialize handshake.
  const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: target.transport === 'sse' ? 'legacy' : 'auto' } });
  client.onerror = () => {};
  const options = { signal: controller.signal, timeout: policy.timeoutMs };
  try {
    await client.connect(transport, options);
    return await work(client, options, sdk);
  } catch (error) {
    throw upstreamError(sdk, target, policy, seen, error);
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
    controller.abort();
  }
}

const record = (value: unknown): Record<string, unknown> | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/** Every tool (all pages of tools/list) and the negotiated protocol revision. */
export function listUpstreamTools(target: UpstreamTarget, policy: UpstreamPolicy): Promise<{ protocolVersion: string; tools: UpstreamTool[] }> {
  return withUpstream(target, policy, async (client, options) => {
    const tools: UpstreamTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) throw new PactError(ErrorCode.UpstreamNotMcp, `The MCP server at ${hostOf(target.endpointUrl)} lists more than ${MAX_PAGES} pages of tools.`);
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, { ...options, cacheMode: 'bypass' });
      for (const tool of result.tools) {
        const annotations = record(tool.annotations);
        const outputSchema = record(tool.outputSchema);
        const meta = record(tool._meta);
        tools.push({
          name: tool.name,
          ...(tool.title === undefined ? {} : { title: tool.title }),
          ...(tool.description === undefined ? {} : { description: tool.description }),
          inputSchema: tool.inputSchema as Record<string, unknown>,
          ...(outputSchema ? { outputSchema } : {}),
          ...(annotations ? { annotations } : {}),
          ...(meta ? { _meta: meta } : {}),
        });
      }
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    return { protocolVersion: client.getNegotiatedProtocolVersion() ?? 'unknown', tools };
  });
}

/**
 * One tools/call; resolves with the upstream's CallToolResult (isError results included). A JSON-RPC
 * error the upstream answers (unknown tool, invalid arguments, its own rate limit) resolves as an
 * `isError` result carrying its message; transport failures throw UPSTREAM_*.
 */
export function callUpstreamTool(target: UpstreamTarget, policy: UpstreamPolicy, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return withUpstream(target, policy, async (client, options, sdk) => {
    try {
      return (await client.callTool({ name, arguments: args }, options)) as CallToolResult;
    } catch (error) {
      if (!(error instanceof sdk.ProtocolError)) throw error;
      return { content: [{ type: 'text', text: `The upstream tool answered an error: ${error.message}` }], isError: true };
    }
  });
}
