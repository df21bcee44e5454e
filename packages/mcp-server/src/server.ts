import { ProtocolError, ProtocolErrorCode, Server, type McpServerFactory } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { serveStdio, type ServeStdioOptions, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { ConsentStore } from './consent.js';
import { createFetchHandler, serveFetch, type AppOptions, type FetchHandler, type RunningServer, type ServeOptions } from './http.js';
import type { StandardSchema } from './schema.js';
import { createToolTable, rateLimitedError, type Admission, type ToolHandler, type ToolOptions } from './tools.js';
import type { Tool } from '@modelcontextprotocol/server';

export interface PactServerOptions {
  /** Where `consentSubject` tools check their subject (`InMemoryConsentStore`, `PactConsentStore`, or your own). */
  consentStore?: ConsentStore;
  /** Reported to clients as the server's version (default `0.1.0`). */
  version?: string;
  /** Shown to clients at connection. */
  instructions?: string;
  /** The clock of the rate-limit windows, in milliseconds (default `Date.now`; tests pass their own). */
  now?: () => number;
}

export interface PactServer {
  readonly name: string;
  readonly version: string;
  /** Registers a tool (chainable). Throws at once on a bad name, cost, limit, schema or consent subject. */
  tool<S extends StandardSchema>(name: string, options: ToolOptions<S>, handler: ToolHandler<S>): PactServer;
  /** The tools as `tools/list` shows them, governance `_meta` included. */
  listTools(): Tool[];
  /** The Streamable HTTP endpoint as a Fetch handler `(Request) => Promise<Response>` (stateless; 2026-07-28 and 2025-era clients). */
  app(options?: AppOptions): FetchHandler;
  /** Listens on `node:http` (default 127.0.0.1:9000, path `/mcp`). */
  serve(options?: ServeOptions): Promise<RunningServer>;
  /** Serves over this process's stdin/stdout (or `options.transport`), both eras; rate limits answer a JSON-RPC RATE_LIMITED error. */
  connectStdio(options?: ServeStdioOptions): StdioServerHandle;
  /** A server factory for the SDK's serving entries (`createMcpHandler`, `serveStdio`), for custom wiring. */
  factory(): McpServerFactory;
}

/** One validator for every per-request server (each would otherwise build its own Ajv). */
const validator = new AjvJsonSchemaValidator();

/**
 * Creates an MCP server whose tools are consent-gated, cost-metered and rate-limited:
 *
 *     createPactServer('my-tools', { consentStore: new InMemoryConsentStore() })
 *       .tool('lookup_orders', { description, costCents: 0.1, consentSubject: 'email', rateLimitPerMin: 60, schema }, handler)
 *       .serve({ port: 9000 });
 */
export function createPactServer(name: string, options: PactServerOptions = {}): PactServer {
  const version = options.version ?? '0.1.0';
  const table = createToolTable({ consentStore: options.consentStore, now: options.now ?? Date.now });

  /** A fresh low-level server (one per HTTP request or stdio connection), answering calls the HTTP edge may have admitted already. */
  const makeFactory =
    (admitted: (request: Request) => Admission | undefined = () => undefined): McpServerFactory =>
    () => {
      const server = new Server(
        { name, version },
        { capabilities: { tools: { listChanged: false } }, jsonSchemaValidator: validator, ...(options.instructions ? { instructions: options.instructions } : {}) },
      );
      server.setRequestHandler('tools/list', () => ({ tools: table.list() }));
      server.setRequestHandler('tools/call', async (request, ctx) => {
        const http = ctx.http?.req;
        const pre = http ? admitted(http) : undefined;
        const admission = pre && pre.kind === 'run' && pre.tool.name !== request.params.name ? undefined : (pre ?? (await table.admit(request.params.name, request.params.arguments)));
        if (!admission) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
        if (admission.kind === 'limited') throw rateLimitedError(admission.refusal);
        if (admission.kind === 'answer') return admission.result;
        return table.run(admission.tool, admission.args, { signal: ctx.mcpReq.signal, ...(http ? { request: http } : {}) });
      });
      return server;
    };

  const pact: PactServer = {
    name,
    version,
    tool(toolName, toolOptions, handler) {
      table.register(toolName, toolOptions as ToolOptions<StandardSchema>, handler as ToolHandler<StandardSchema>);
      return pact;
    },
    listTools: () => table.list(),
    app: (appOptions) => createFetchHandler(table, makeFactory, appOptions),
    serve: (serveOptions) => serveFetch((appOptions) => createFetchHandler(table, makeFactory, appOptions), serveOptions),
    connectStdio: (stdioOptions) => serveStdio(makeFactory(), stdioOptions),
    factory: () => makeFactory(),
  };
  return pact;
}
