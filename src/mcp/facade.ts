import {
  createMcpHandler,
  isJsonContentType,
  ProtocolError,
  ProtocolErrorCode as RpcError,
  Server,
  WebStandardStreamableHTTPServerTransport,
  type McpHttpHandler,
  type ServerOptions,
  type Tool,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { parse, type DocumentNode, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, isPactError } from '../lib/errors';
import { maskFailure } from '../lib/faults';
import { currentRequest, noteFailure } from '../lib/request-context';
import type { PactYoga } from '../pipeline/yoga';
import { authenticateRequest, clientIp } from '../pipeline/credentials';
import { refuseForeignHost, type HttpPolicy } from '../pipeline/http-guards';
import { pactResources, resourceMetadataUrl } from '../pipeline/resources';
import { OAUTH_SCOPES } from '../services/oauth/scopes';
import { newCall, type Call } from '../services/audit/call';
import { finishCall } from '../services/audit/record';
import type { Principal } from '../services/auth/principal';
import type { Services } from '../services/index';
import { recordSecurityEvent } from '../services/security-events';
import type { McpToolDefinition } from './generated/tools';
import { foreignOrigin, invalidRequest, preflight, readBounded, rpcError, rpcIdOf, withCors, type RpcId } from './http-guards';
import { invalidParams } from './params';
import { classifyMessage, SERVED_VERSIONS } from './protocol';
import { runOperation } from '../pipeline/run-operation';
import { createFederatedTools } from './federated';
import { structuredResult, toolCallBody, type ToolResult } from './tool-answer';

export interface McpFacadeOptions {
  yoga: PactYoga;
  services: Services;
  tools: readonly McpToolDefinition[];
  /** Persisted operations: hash → document. */
  manifest: Record<string, string>;
  publicUrl: string;
  /** The `Host` headers and browser origins answered (createApp derives them: src/server/http-guards.ts). */
  http: HttpPolicy;
  version: string;
}

const MAX_BODY = 1024 * 1024;

/** `tools/list` depends on the caller's scopes: cached per caller, briefly. */
const CACHE_HINTS: ServerOptions['cacheHints'] = {
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'server/discover': { ttlMs: 3_600_000, cacheScope: 'public' },
};

/** A client that lists `text/event-stream` before `application/json` gets an SSE response; others JSON. */
function prefersEventStream(request: Request): boolean {
  const accept = (request.headers.get('accept') ?? '').toLowerCase();
  const sse = accept.indexOf('text/event-stream');
  const json = accept.indexOf('application/json');
  return sse !== -1 && (json === -1 || sse < json);
}

interface Compiled {
  tool: McpToolDefinition;
  document: DocumentNode;
  validate: (input: unknown) => { valid: boolean; errorMessage?: string | undefined };
}

/** The 2025 revisions' transport rule: a POST must accept both JSON and an event stream (406 otherwise). */
function acceptsJsonAndStream(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

/** A tool call's answer, computed by the pipeline before dispatch: the result, or the JSON-RPC error. */
type ToolAnswer = ToolResult | { error: ProtocolError };

/** What the server instance of one request serves: the caller, and the tool call's answer if it is one. */
interface Dispatch {
  principal: Principal;
  tool: { name: string; answer: ToolAnswer } | null;
}

/**
 * The MCP endpoint, Streamable HTTP on the v2 SDK: 2026-07-28 (no `initialize`, no session,
 * `server/discover`, version and capabilities in each request's `_meta`) through
 * `createMcpHandler`, and the `initialize` revisions (2025-11-25, 2025-06-18, 2025-03-26)
 * statelessly on the SDK's legacy transport, both from one server factory over the generated tool
 * table. The adapter only translates: authentication and the protocol's own rules (401, 400, 406, 415) come
 * first; a tool call then runs its persisted operation through the GraphQL pipeline (scopes,
 * limits, transaction, audit and ledger, once) before the SDK dispatches the message, so that the
 * pipeline's refusals can be answered as HTTP 403 and 429. Its result, when answered with JSON, is
 * written here (src/mcp/tool-answer.ts) without an SDK server; the SDK answers everything else.
 */
export function createMcpFacade(options: McpFacadeOptions) {
  const { services, yoga } = options;
  const serverInfo = { name: 'pact', version: options.version };
  const ServerResponse = yoga.fetchAPI.Response as typeof Response;
  const validator = new AjvJsonSchemaValidator();
  const compiled = new Map<string, Compiled>();
  for (const tool of options.tools) {
    const source = options.manifest[tool.hash];
    if (!source) throw new Error(`MCP tool ${tool.name}: persisted operation ${tool.hash} is missing from the manifest`);
    compiled.set(tool.name, {
      tool,
      document: parse(source),
      validate: validator.getValidator(tool.inputSchema as Parameters<typeof validator.getValidator>[0]),
    });
  }
  const listed: Tool[] = [...options.tools]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => ({
      name: t.name,
      ...(t.title ? { title: t.title } : {}),
      description: t.description,
      inputSchema: t.inputSchema as Tool['inputSchema'],
      outputSchema: t.outputSchema as Tool['outputSchema'],
      annotations: { ...t.annotations, ...(t.title ? { title: t.title } : {}) },
    }));
  const scopeOf = new Map(options.tools.map((t) => [t.name, t.scope]));
  const federated = createFederatedTools({ services, manifest: options.manifest });
  /** The tools a caller may call, in name order. */
  const visibleTools = (principal: Principal) => listed.filter((t) => principal.scopes.has(scopeOf.get(t.name) as never));

  const resources = pactResources(options.publicUrl);
  const audiences = new Set<string>(resources.mcp);
  /** The resource a request addressed: `/mcp` and `/mcp/` each have their own metadata document. */
  const resourceOf = (request: Request) => (new URL(request.url).pathname.endsWith('/') ? resources.mcp[0] : resources.mcp[1]);
  const challenge = (request: Request, error?: { code: string; description: string }) =>
    [
      `Bearer resource_metadata="${resourceMetadataUrl(resources, resourceOf(request))}"`,
      `scope="${OAUTH_SCOPES.join(' ')}"`,
      ...(error ? [`error="${error.code}"`, `error_description="${error.description.replace(/["\\]/g, '')}"`] : []),
    ].join(', ');

  /** An HTTP refusal of a tool call the pipeline refused (already audited there): 403 naming the scope, or 429. */
  const httpRefusal = (request: Request, principal: Principal, tool: string, id: RpcId, error: GraphQLFormattedError): Response | null => {
    const extensions = error.extensions ?? {};
    const data = Object.fromEntries(Object.entries(extensions).filter(([k]) => k !== 'http'));
    if (extensions.code === ErrorCode.RateLimited) {
      return rpcError(429, id, -32029, error.message, data, { 'retry-after': String(extensions.retry_after_s ?? 60) });
    }
    if (extensions.code !== ErrorCode.Forbidden || typeof extensions.scope !== 'string') return null;
    const scope = extensions.scope;
    const headers: Record<string, string> =
      principal.kind === 'oauth'
        ? {
            'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${resourceMetadataUrl(resources, resourceOf(request))}", error_description="${tool} needs scope ${scope}"`,
          }
        : {};
    return rpcError(403, id, -32003, error.message, data, headers);
  };

  /**
   * Runs a `tools/call` through the pipeline before the SDK dispatches it, so that the pipeline's
   * refusals can be HTTP statuses: a missing scope (the tool's, or one a `fire_agent` target needs)
   * is 403 naming it, a spent limit 429 with `Retry-After`; the pipeline audits and charges every
   * call once. Arguments that fail the tool's input schema are an `isError` result (audited as
   * INVALID_ARGUMENTS); an unknown tool is audited and left to the SDK (-32602). A federated name
   * (`<slug>__<tool>`) runs the `callFederatedTool` operation (src/mcp/federated.ts). Returns what
   * the SDK's handler answers, or the HTTP refusal.
   */
  const runToolCall = async (request: Request, principal: Principal, id: RpcId, params: { name: string; arguments?: unknown }): Promise<{ answer: ToolAnswer } | { refused: Response }> => {
    const entry = compiled.get(params.name);
    const call = newCall(principal, 'mcp');
    call.args = params.arguments ?? {};
    if (!entry && federated.owns(params.name)) {
      const ran = await runPipeline(call, params.name, federated.document, federated.prepare(call, params.name, params.arguments));
      if ('answer' in ran) return ran;
      return refusalOf(request, principal, id, params.name, ran.result) ?? { answer: federated.answer(params.name, ran.result) };
    }
    if (!entry) {
      call.operation = `unknown_tool:${params.name.slice(0, 100)}`;
      await finishCall(services.database, services.audit, call, 'error', 'UNKNOWN_TOOL');
      return { answer: { error: new ProtocolError(RpcError.InvalidParams, `Unknown tool: ${params.name}`) } };
    }
    call.operation = entry.tool.name;
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    const checked = entry.validate(args);
    if (!checked.valid) {
      await finishCall(services.database, services.audit, call, 'error', 'INVALID_ARGUMENTS');
      return { answer: { result: { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${entry.tool.name}: ${checked.errorMessage ?? 'see the input schema'}` }] } } };
    }
    const ran = await runPipeline(call, entry.tool.name, entry.document, args);
    if ('answer' in ran) return ran;
    const { result } = ran;
    const refused = refusalOf(request, principal, id, entry.tool.name, result);
    if (refused) return refused;
    const errors = result.errors ?? [];
    const value = (result.data as Record<string, unknown> | null | undefined)?.[entry.tool.rootField];
    if (errors.length > 0 || value === undefined || value === null) {
      const text = errors.map((e) => `${(e.extensions?.code as string | undefined) ?? 'ERROR'}: ${e.message}`).join('\n') || 'No result.';
      return { answer: { result: { isError: true, content: [{ type: 'text', text }] } } };
    }
    return { answer: structuredResult({ ...(value as Record<string, unknown>), cost_cents: (result.extensions?.cost_cents as number | undefined) ?? 0 }) };
  };

  /** Runs a tool's operation through the pipeline; an unexpected failure is answered masked (the SDK would relay its own message). */
  const runPipeline = async (call: Call, tool: string, document: DocumentNode, variables: Record<string, unknown>): Promise<{ result: ExecutionResult } | { answer: ToolAnswer }> => {
    try {
      return { result: await runOperation(yoga, services, call, document, variables) };
    } catch (error) {
      noteFailure(error);
      const masked = maskFailure(error);
      const requestId = currentRequest()?.requestId;
      services.logger.error({ err: error, requestId, tool }, 'unexpected error in a tool call');
      return { answer: { error: new ProtocolError(RpcError.InternalError, masked.message, { code: masked.code, ...(requestId ? { requestId } : {}) }) } };
    }
  };

  /** The first of a result's errors that is answered as an HTTP refusal (403 naming a scope, 429), if any. */
  const refusalOf = (request: Request, principal: Principal, id: RpcId, tool: string, result: ExecutionResult): { refused: Response } | null => {
    for (const error of result.errors ?? []) {
      const refused = httpRefusal(request, principal, tool, id, error);
      if (refused) return { refused };
    }
    return null;
  };

  /** A fresh server for one request (never shared: answers must not reach another caller), for either revision. */
  const serverFor = ({ principal, tool }: Dispatch): Server => {
    const server = new Server(
      serverInfo,
      { capabilities: { tools: {} }, supportedProtocolVersions: [...SERVED_VERSIONS], cacheHints: CACHE_HINTS, jsonSchemaValidator: validator },
    );
    server.setRequestHandler('tools/list', async () => ({ tools: [...visibleTools(principal), ...(await federated.list(principal))] }));
    server.setRequestHandler('tools/call', (req) => {
      if (!tool || tool.name !== req.params.name) throw new ProtocolError(RpcError.InvalidParams, `Unknown tool: ${req.params.name}`);
      if ('error' in tool.answer) throw tool.answer.error;
      return tool.answer.result;
    });
    return server;
  };

  /** The admitted requests the 2026-07-28 handler is serving, for its factory. */
  const dispatches = new WeakMap<Request, Dispatch>();
  const modernHandler = (responseMode: 'auto' | 'sse'): McpHttpHandler =>
    createMcpHandler(
      ({ requestInfo }) => {
        const dispatch = requestInfo && dispatches.get(requestInfo);
        if (!dispatch) throw new Error('MCP request reached the SDK without admission');
        return serverFor(dispatch);
      },
      {
        legacy: 'reject',
        responseMode,
        maxRequestBodySize: MAX_BODY,
        onerror: (error) => services.logger.warn({ err: error, requestId: currentRequest()?.requestId }, 'MCP handler error'),
      },
    );
  /** `auto` answers JSON (no tool emits a message before its result); `sse` always streams. */
  const modern = { json: modernHandler('auto'), sse: modernHandler('sse') };

  /**
   * An `initialize`-revision message: a fresh server on the SDK's stateless transport (no session
   * id issued). A JSON answer ends the exchange (the transport resolves it once every handler has
   * answered, and keeps no stream or timer): the pair is dropped rather than closed, as closing
   * would only settle handlers that no longer exist. A stream is closed when it ends.
   */
  const serveLegacy = async (request: Request, body: unknown, dispatch: Dispatch, json: boolean): Promise<Response> => {
    const server = serverFor(dispatch);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    await server.connect(transport);
    let response: Response;
    try {
      response = await transport.handleRequest(request, { parsedBody: body });
    } catch (error) {
      await server.close();
      throw error;
    }
    if (json) return response;
    if (!response.body) {
      await server.close();
      return response;
    }
    // An SSE response is written after handleRequest returns: close the server once the stream ends.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({ flush: () => void server.close() });
    response.body.pipeTo(writable).catch(() => void server.close());
    return new Response(readable, { status: response.status, headers: response.headers });
  };

  /** Host, Origin, method, credentials, then the message itself: each refusal echoes the request's id. */
  const answer = async (request: Request): Promise<Response> => {
    const read = request.method === 'POST' ? await readBounded(request, MAX_BODY) : { text: '' };
    let body: unknown;
    let parsed = false;
    if ('text' in read) {
      try {
        body = JSON.parse(read.text);
        parsed = true;
      } catch {
        body = undefined;
      }
    }
    const id: RpcId = rpcIdOf(body);
    const context = currentRequest();
    if (context) context.rpcId = id;
    const foreignHost = await refuseForeignHost(services, request, options.http, 'mcp');
    if (foreignHost) return rpcError(403, id, -32000, foreignHost, { code: ErrorCode.Forbidden, reason: 'FOREIGN_HOST' });
    const origin = foreignOrigin(request, options.http);
    if (origin !== null) {
      await recordSecurityEvent(services.database, services.logger, {
        kind: 'foreign_origin',
        path: 'mcp',
        ip: clientIp(),
        userAgent: request.headers.get('user-agent'),
        detail: { origin: origin.slice(0, 200) },
      });
      return rpcError(403, id, -32000, `Origin ${origin.slice(0, 200)} is not allowed.`, { code: ErrorCode.Forbidden, reason: 'FOREIGN_ORIGIN' });
    }
    if (request.method === 'OPTIONS') return preflight(request);
    if (request.method !== 'POST') {
      return rpcError(405, null, -32000, 'This server is stateless: POST JSON-RPC messages; there is no standalone SSE stream or session to delete.', undefined, {
        allow: 'POST, OPTIONS',
      });
    }
    let principal: Principal;
    try {
      principal = await authenticateRequest(services, request, 'mcp', audiences);
    } catch (error) {
      if (!isPactError(error)) throw error;
      const status = error.code === ErrorCode.Unauthenticated ? 401 : error.code === ErrorCode.TenantRequired ? 400 : 403;
      const presented = request.headers.has('authorization');
      const header = challenge(request, presented ? { code: 'invalid_token', description: error.message } : undefined);
      return rpcError(status, id, -32001, error.message, { code: error.code }, status === 401 ? { 'www-authenticate': header } : {});
    }
    /** A message the caller sent that cannot be served: audited as a refused call, then answered. */
    const malformed = async (reason: string, response: Response) => {
      const call = newCall(principal, 'mcp');
      const method = (body as { method?: unknown } | undefined)?.method;
      call.operation = `malformed:${typeof method === 'string' ? method.slice(0, 100) : reason}`;
      await finishCall(services.database, services.audit, call, 'error', reason);
      return response;
    };
    if (!('text' in read)) return malformed('BODY_TOO_LARGE', rpcError(413, null, -32600, 'Request body too large.'));
    if (!isJsonContentType(request.headers.get('content-type'))) {
      return malformed('UNSUPPORTED_MEDIA_TYPE', rpcError(415, id, -32000, 'Unsupported Media Type: Content-Type must be application/json.'));
    }
    if (!parsed) return malformed('PARSE_ERROR', rpcError(400, null, -32700, 'Parse error: the body is not JSON.'));
    if (Array.isArray(body))
      return malformed('BATCH_REFUSED', rpcError(400, null, -32600, 'Batched JSON-RPC requests are not supported (removed in MCP 2025-06-18): send one message per request.'));
    const invalid = invalidRequest(body);
    if (invalid) return malformed('INVALID_REQUEST', rpcError(400, id, RpcError.InvalidRequest, invalid));
    const message = body as { method?: string; id?: unknown; params?: { name?: unknown; arguments?: unknown } };
    const badParams = message.method === undefined ? null : invalidParams({ ...message, method: message.method });
    if (badParams) return malformed('INVALID_PARAMS', rpcError(200, id, RpcError.InvalidParams, badParams));
    const route = classifyMessage(request, body);
    if ('refusal' in route) {
      const { status, code, message: text, data, reason } = route.refusal;
      return malformed(reason, rpcError(status, id, code, text, data as Record<string, unknown> | undefined));
    }
    if (route.era === 'legacy' && !acceptsJsonAndStream(request)) {
      return malformed('NOT_ACCEPTABLE', rpcError(406, id, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream.'));
    }

    let tool: Dispatch['tool'] = null;
    if (message.method === 'tools/call' && typeof message.params?.name === 'string') {
      const ran = await runToolCall(request, principal, id, { name: message.params.name, arguments: message.params.arguments });
      if ('refused' in ran) return ran.refused;
      tool = { name: message.params.name, answer: ran.answer };
    }
    const json = !prefersEventStream(request);
    if (tool && json && 'result' in tool.answer) {
      return new ServerResponse(toolCallBody(route.era, id, tool.answer, serverInfo), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    const dispatch: Dispatch = { principal, tool };
    if (route.era === 'legacy') return serveLegacy(request, body, dispatch, json);
    dispatches.set(request, dispatch);
    return (json ? modern.json : modern.sse).fetch(request, { parsedBody: body });
  };

  /**
   * A JSON answer (the SDK's, or one built here, on the runtime's own `Response`) as a response of
   * the server's fetch API over its encoded bytes, which the HTTP layer writes in one piece as it
   * does /graphql's (the runtime's body is a stream it would pump); an SSE stream or an empty body
   * is passed through.
   */
  const settled = async (response: Response): Promise<Response> => {
    if (ServerResponse === Response || !(response instanceof Response)) return response;
    if (response.body === null || !(response.headers.get('content-type') ?? '').startsWith('application/json')) return response;
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return new ServerResponse(Buffer.from(await response.arrayBuffer()), { status: response.status, statusText: response.statusText, headers });
  };

  return {
    /** Answers one HTTP request to /mcp; an allowed browser origin gets the CORS headers on every answer. */
    async handle(request: Request): Promise<Response> {
      const origin = request.headers.get('origin');
      const response = await answer(request);
      return settled(withCors(response, origin !== null && options.http.origins.has(origin) ? origin : null));
    },
  };
}
