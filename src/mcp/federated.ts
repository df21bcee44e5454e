import { isDeepStrictEqual } from 'node:util';
import { ProtocolError, ProtocolErrorCode as RpcError, type CallToolResult, type Tool } from '@modelcontextprotocol/server';
import { parse, type DocumentNode, type ExecutionResult } from 'graphql';
import { CallFederatedToolDocument } from '../generated/graphql/graphql';
import { ErrorCode } from '../lib/errors';
import { maskFailure } from '../lib/faults';
import { currentRequest, noteFailure } from '../lib/request-context';
import type { Call } from '../services/audit/call';
import type { Principal } from '../services/auth/principal';
import type { FederatedCallResult } from '../services/federation/gateway';
import { callableToolsFor, FEDERATED_NAME, FEDERATED_SCOPE } from '../services/federation/listing';
import type { FederatedToolRow } from '../services/federation/servers';
import type { Services } from '../services/index';

/** A tool call's answer: the result, or the JSON-RPC error. */
export type FederatedAnswer = { result: CallToolResult } | { error: ProtocolError };

const COST_PROPERTY = { type: 'number', description: "This call's cost in cents, charged to the tenant's usage ledger." };
const BLOCKED_SHAPE = {
  type: 'object',
  properties: { blocked: { const: true }, reason: { type: 'string' }, cost_cents: COST_PROPERTY },
  required: ['blocked', 'reason', 'cost_cents'],
};
/** Keywords of a schema's root that its `$ref`s point into: they stay at the root when the schema is wrapped. */
const ROOT_KEYWORDS = ['$schema', '$id', '$defs', 'definitions'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The upstream's output schema as Pact answers it: `cost_cents` added to its properties, and for a
 * tool with a consent subject, the blocked shape allowed beside it (clients check results against it).
 */
function outputSchemaOf(tool: FederatedToolRow): Tool['outputSchema'] | undefined {
  const schema = tool.outputSchema;
  if (!schema) return undefined;
  const withCost = isObject(schema.properties) ? { ...schema, properties: { ...schema.properties, cost_cents: COST_PROPERTY } } : schema;
  if (tool.consentSubject === null) return withCost as Tool['outputSchema'];
  const root = Object.fromEntries(ROOT_KEYWORDS.filter((k) => k in withCost).map((k) => [k, withCost[k]]));
  const inner = Object.fromEntries(Object.entries(withCost).filter(([k]) => !ROOT_KEYWORDS.includes(k)));
  return { ...root, type: 'object', anyOf: [inner, BLOCKED_SHAPE] } as Tool['outputSchema'];
}

/** A federated tool as `tools/list` shows it: its federated name, the upstream's title, description, schemas and annotations. */
function listed(tool: FederatedToolRow): Tool {
  const output = outputSchemaOf(tool);
  return {
    name: tool.federatedName,
    ...(tool.title ? { title: tool.title } : {}),
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    ...(output ? { outputSchema: output } : {}),
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
  };
}

/** The upstream's answer with Pact's charge as `cost_cents`: in the structured content (and the text block that mirrors it), else in `_meta`. */
function withCost(value: FederatedCallResult, costCents: number): CallToolResult {
  const content = value.content as CallToolResult['content'];
  const isError = value.isError ? { isError: true } : {};
  if (!value.structuredContent) return { content, ...isError, _meta: { 'dev.pact/cost_cents': costCents } };
  const structured = { ...value.structuredContent, cost_cents: costCents };
  const mirrors = (text: string) => {
    try {
      return isDeepStrictEqual(JSON.parse(text), value.structuredContent);
    } catch {
      return false;
    }
  };
  const blocks = content.map((block) => (block.type === 'text' && mirrors(block.text) ? { ...block, text: JSON.stringify(structured) } : block));
  return { content: blocks, structuredContent: structured, ...isError };
}

/**
 * The federated tools of Pact's MCP endpoint: listed per request from the database (callable, and
 * the caller's role allowed), and called through the `callFederatedTool` persisted operation, so
 * each call passes the same pipeline as a first-party tool (scope, limits, transaction, one audit
 * row named after the federated tool, the ledger).
 */
export function createFederatedTools(options: { services: Services; manifest: Record<string, string> }) {
  const hash = (CallFederatedToolDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;
  const source = options.manifest[hash];
  if (!source) throw new Error(`persisted operation CallFederatedTool (${hash}) is missing from the manifest`);
  const document: DocumentNode = parse(source);
  return {
    document,
    /** Whether a tool name is a federated one (`<slug>__<tool>`), answered here rather than by the generated table. */
    owns: (name: string): boolean => FEDERATED_NAME.test(name),
    /** The federated tools the caller may call, in name order (none without `call:federated`); a failure is answered masked. */
    async list(principal: Principal): Promise<Tool[]> {
      if (!principal.scopes.has(FEDERATED_SCOPE)) return [];
      try {
        const tools = await options.services.database.withTenant(principal.tenantId, (tx) => callableToolsFor(tx, principal));
        return tools.map(listed);
      } catch (error) {
        noteFailure(error);
        const masked = maskFailure(error);
        options.services.logger.error({ err: error, requestId: currentRequest()?.requestId }, 'could not list federated tools');
        throw new ProtocolError(RpcError.InternalError, masked.message, { code: masked.code });
      }
    },
    /** Names the call after the federated tool and returns the operation's variables. */
    prepare(call: Call, name: string, args: unknown): Record<string, unknown> {
      call.operation = name;
      return { tool: name, arguments: args ?? {} };
    },
    /**
     * The tool answer of a finished operation: a tool that cannot be called is an unknown tool
     * (-32602, as it is not listed); other refusals and upstream failures are `isError` results
     * with their code; a blocked subject is the blocked shape as data.
     */
    answer(name: string, result: ExecutionResult): FederatedAnswer {
      const errors = result.errors ?? [];
      if (errors.some((e) => e.extensions?.code === ErrorCode.NotFound)) return { error: new ProtocolError(RpcError.InvalidParams, `Unknown tool: ${name}`) };
      const value = (result.data as { callFederatedTool?: FederatedCallResult | null } | null | undefined)?.callFederatedTool;
      if (errors.length > 0 || !value) {
        const text = errors.map((e) => `${(e.extensions?.code as string | undefined) ?? 'ERROR'}: ${e.message}`).join('\n') || 'No result.';
        return { result: { isError: true, content: [{ type: 'text', text }] } };
      }
      return { result: withCost(value, (result.extensions?.cost_cents as number | undefined) ?? 0) };
    },
  };
}

export type FederatedTools = ReturnType<typeof createFederatedTools>;
