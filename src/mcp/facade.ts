import {
  createMcpHandler,
  ProtocolError,
  ProtocolErrorCode as RpcError,
  Server,
  WebStandardStreamableHTTPServerTransport,
  type CallToolResult,
  type McpHttpHandler,
  type ServerOptions,
  type Tool,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { parse, type DocumentNode } from 'graphql';
import { ErrorCode, forbiddenScope, isPactError, type PactError } from '../lib/errors';
import { maskFailure } from '../lib/faults';
import { currentRequest, noteFailure } from '../lib/request-context';
import type { PactYoga } from '../server/yoga';
import { authenticateRequest, clientIp } from '../server/credentials';
import { refuseForeignHost, type HttpPolicy } from '../server/http-guards';
import { pactResources, resourceMetadataUrl } from '../server/oauth/resources';
import { OAUTH_SCOPES } from '../services/oauth/scopes';
import { callScopeRefusal } from '../services/agents/scopes';
import { newCall, outcomeOf, toMicrocents, type Call } from '../services/audit/call';
import { recordCall } from '../services/audit/record';
import type { Principal } from '../services/auth/principal';
import type { Services } from '../services/index';
import { admit } from '../services/limits/policy';
import { recordSecurityEvent } from '../services/security-events';
import type { McpToolDefinition } from './generated/tools';
import { foreignOrigin, invalidRequest, preflight, readBounded, rpcError, rpcIdOf, withCors, type RpcId } from './http-guards';
import { invalidParams } from './params';
import { classifyMessage, SERVED_VERSIONS } from './protocol';
import { runOperation } from './run-operation';

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

/** A tool result: the structured value, and its text block from the one serialization of it. */
function structuredResult(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

interface Compiled {
  tool: McpToolDefinition;
  document: DocumentNode;
  validate: (input: unknown) => { valid: boolean; errorMessage?: string | undefined };
}

/** What the server instance of one admitted request serves: the caller, and the admitted tool call if it is one. */
interface Dispatch {
  principal: Principal;
  call: Call | null;
}

/**
 * The MCP endpoint, Streamable HTTP on the v2 SDK: 2026-07-28 (no `initialize`, no session,
 * `server/discover`, version and capabilities in each request's `_meta`) through
 * `createMcpHandler`, and the `initialize` revisions (2025-11-25, 2025-06-18, 2025-03-26)
 * statelessly on the SDK's legacy transport, both from one server factory over the generated tool
 * table. Each tool call runs its persisted operation through the GraphQL pipeline; refusals that
 * need an HTTP status (401, 403, 429, 400 on protocol rules) are answered here, before dispatch,
 * and audited like any call.
 */
export function createMcpFacade(options: McpFacadeOptions) {
  const { services, yoga } = options;
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

  const refusal = async (call: Call, id: RpcId, error: PactError, status: number, code: number, headers: Record<string, string> = {}) => {
    await recordCall(services.database, services.audit, call, outcomeOf([error]).outcome, error.code);
    const data = Object.fromEntries(Object.entries(error.extensions).filter(([k]) => k !== 'http'));
    return rpcError(status, id, code, error.message, data, headers);
  };

  /**
   * Admission of a `tools/call` before the SDK dispatches it, so that a refusal is an HTTP status:
   * an unknown tool is audited and left to the SDK (-32602); a missing scope (the tool's, or one a
   * `fire_agent` target needs) is 403 naming it; a spent limit is 429 with `Retry-After`. Returns
   * the call to run, or the refusal to answer.
   */
  const admitToolCall = async (request: Request, principal: Principal, id: RpcId, params: { name: string; arguments?: unknown }): Promise<{ call: Call | null } | { refused: Response }> => {
    const entry = compiled.get(params.name);
    if (!entry) {
      const unknown = newCall(principal, 'mcp');
      unknown.operation = `unknown_tool:${params.name.slice(0, 100)}`;
      unknown.args = params.arguments ?? {};
      await recordCall(services.database, services.audit, unknown, 'error', 'UNKNOWN_TOOL');
      return { call: null };
    }
    const call = newCall(principal, 'mcp');
    call.operation = entry.tool.name;
    call.args = params.arguments ?? {};
    call.declaredCostMicrocents = toMicrocents(entry.tool.costCents);
    call.declaredLimits = [{ name: entry.tool.rootField, perMin: entry.tool.rateLimitPerMin }];
    const refused = principal.scopes.has(entry.tool.scope as never) ? callScopeRefusal(entry.tool.rootField, call.args, principal.scopes) : forbiddenScope(entry.tool.scope);
    if (refused) {
      const scope = String(refused.extensions.scope);
      const headers: Record<string, string> =
        principal.kind === 'oauth'
          ? {
              'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${resourceMetadataUrl(resources, resourceOf(request))}", error_description="${entry.tool.name} needs scope ${scope}"`,
            }
          : {};
      return { refused: await refusal(call, id, refused, 403, -32003, headers) };
    }
    const limited = await admit(services.limiter, services.limits, principal.tenantId, call.declaredLimits);
    if (limited) {
      const retry = String(limited.extensions.retry_after_s);
      return { refused: await refusal(call, id, limited, 429, -32029, { 'retry-after': retry }) };
    }
    call.limitsAdmitted = true;
    return { call };
  };

  const callTool = async (entry: Compiled, args: Record<string, unknown>, call: Call): Promise<CallToolResult> => {
    const checked = entry.validate(args);
    if (!checked.valid) {
      await recordCall(services.database, services.audit, call, 'error', 'INVALID_ARGUMENTS');
      return { isError: true, content: [{ type: 'text', text: `Invalid arguments for ${entry.tool.name}: ${checked.errorMessage ?? 'see the input schema'}` }] };
    }
    const result = await runOperation(yoga, services, call, entry.document, args);
    const errors = result.errors ?? [];
    const value = (result.data as Record<string, unknown> | null | undefined)?.[entry.tool.rootField];
    if (errors.length > 0 || value === undefined || value === null) {
      const text = errors.map((e) => `${(e.extensions?.code as string | undefined) ?? 'ERROR'}: ${e.message}`).join('\n') || 'No result.';
      return { isError: true, content: [{ type: 'text', text }] };
    }
    return structuredResult({ ...(value as Record<string, unknown>), cost_cents: (result.extensions?.cost_cents as number | undefined) ?? 0 });
  };

  /** A fresh server for one request (never shared: answers must not reach another caller), for either revision. */
  const serverFor = ({ principal, call }: Dispatch): Server => {
    const server = new Server(
      { name: 'pact', version: options.version },
      { capabilities: { tools: {} }, supportedProtocolVersions: [...SERVED_VERSIONS], cacheHints: CACHE_HINTS, jsonSchemaValidator: validator },
    );
    server.setRequestHandler('tools/list', () => ({ tools: visibleTools(principal) }));
    server.setRequestHandler('tools/call', async (req) => {
      const entry = compiled.get(req.params.name);
      if (!entry || !call) throw new ProtocolError(RpcError.InvalidParams, `Unknown tool: ${req.params.name}`);
      try {
        return await callTool(entry, req.params.arguments ?? {}, call);
      } catch (error) {
        // The SDK would relay the error's own message: log the detail, answer the masked one.
        noteFailure(error);
        const masked = maskFailure(error);
        const requestId = currentRequest()?.requestId;
        services.logger.error({ err: error, requestId, tool: entry.tool.name }, 'unexpected error in a tool call');
        throw new ProtocolError(RpcError.InternalError, masked.message, { code: masked.code, ...(requestId ? { requestId } : {}) });
      }
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

  /** An `initialize`-revision message: a fresh server on the SDK's stateless transport (no session id issued). */
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
    if (json || !response.body) {
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
      await recordCall(services.database, services.audit, call, 'error', reason);
      return response;
    };
    if (!('text' in read)) return malformed('BODY_TOO_LARGE', rpcError(413, null, -32600, 'Request body too large.'));
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

    let call: Call | null = null;
    if (message.method === 'tools/call' && typeof message.params?.name === 'string') {
      const admitted = await admitToolCall(request, principal, id, { name: message.params.name, arguments: message.params.arguments });
      if ('refused' in admitted) return admitted.refused;
      call = admitted.call;
    }
    const dispatch: Dispatch = { principal, call };
    const json = !prefersEventStream(request);
    if (route.era === 'legacy') return serveLegacy(request, body, dispatch, json);
    dispatches.set(request, dispatch);
    return (json ? modern.json : modern.sse).fetch(request, { parsedBody: body });
  };

  return {
    /** Answers one HTTP request to /mcp; an allowed browser origin gets the CORS headers on every answer. */
    async handle(request: Request): Promise<Response> {
      const origin = request.headers.get('origin');
      const response = await answer(request);
      return withCors(response, origin !== null && options.http.origins.has(origin) ? origin : null);
    },
  };
}
