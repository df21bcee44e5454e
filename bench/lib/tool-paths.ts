/**
 * Any generated MCP tool on three paths: MCP `tools/call`, the same persisted operation over
 * `/graphql` (the tool's arguments are its variables), and a bare route of the bare server
 * (`BARE_ROUTES`). Checks that MCP and GraphQL answer the same value.
 */
import { isDeepStrictEqual } from 'node:util';
import { persistedOperations } from '../../src/graphql/persisted';
import { mcpTools } from '../../src/mcp/generated/tools';
import type { HttpCall } from './load';
import { mcpHeaders } from './paths';

export interface ToolCase {
  tool: string;
  args: Record<string, unknown>;
  /** The bare server's route running the equivalent SQL. */
  barePath: string;
  /** Fields that differ on every call (e.g. a run id), left out of the MCP = GraphQL comparison. */
  volatile?: string[];
}

export interface ToolCalls {
  rootField: string;
  mcp: HttpCall;
  graphql: HttpCall;
  bare: HttpCall;
}

export function toolCalls(apiKey: string, c: ToolCase): ToolCalls {
  const tool = mcpTools.find((t) => t.name === c.tool);
  if (!tool) throw new Error(`no MCP tool ${c.tool} in src/mcp/generated/tools.ts`);
  const document = persistedOperations()[tool.hash];
  if (!document) throw new Error(`persisted operation of ${c.tool} is missing`);
  const root = tool.rootField;
  return {
    rootField: root,
    mcp: {
      path: '/mcp/',
      headers: mcpHeaders(apiKey),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: c.tool, arguments: c.args } }),
      okBody: (b) => b.includes('"structuredContent":{') && !b.includes('"isError":true') && !b.includes('"error":{'),
    },
    graphql: {
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: document, variables: c.args }),
      okBody: (b) => b.includes(`"data":{"${root}":{`) && !b.includes('"errors":'),
    },
    bare: { path: c.barePath, headers: { 'content-type': 'application/json' }, body: '{}', okBody: (b) => b.startsWith('{"returned":') },
  };
}

const without = (value: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));

/**
 * Checks one answer per path (status 200, no error) and that MCP's `structuredContent` (less
 * `cost_cents`) equals GraphQL's `data[rootField]`, volatile fields aside. Returns the value and the bare rows.
 */
export function checkToolAnswers(
  c: ToolCase,
  rootField: string,
  answers: Record<'mcp' | 'graphql' | 'bare', { status: number; body: string }>,
): { value: Record<string, unknown>; bareRows: Record<string, unknown>[] } {
  for (const [kind, a] of Object.entries(answers)) if (a.status !== 200) throw new Error(`${c.tool} ${kind} answered ${a.status}: ${a.body.slice(0, 300)}`);
  const mcp = JSON.parse(answers.mcp.body) as { result?: { isError?: boolean; structuredContent?: Record<string, unknown> }; error?: unknown };
  const gql = JSON.parse(answers.graphql.body) as { data?: Record<string, Record<string, unknown> | null>; errors?: unknown[] };
  const bare = JSON.parse(answers.bare.body) as { returned: number; items: Record<string, unknown>[] };
  const structured = mcp.result?.structuredContent;
  const value = gql.data?.[rootField];
  if (mcp.error || mcp.result?.isError || !structured) throw new Error(`${c.tool} MCP: ${answers.mcp.body.slice(0, 300)}`);
  if (gql.errors?.length || !value) throw new Error(`${c.tool} /graphql: ${answers.graphql.body.slice(0, 300)}`);
  const skip = ['cost_cents', ...(c.volatile ?? [])];
  if (!isDeepStrictEqual(without(structured, skip), without(value, skip))) {
    throw new Error(`${c.tool}: MCP and /graphql answered differently:\n${JSON.stringify(without(structured, skip)).slice(0, 400)}\n${JSON.stringify(without(value, skip)).slice(0, 400)}`);
  }
  if (typeof value.consent_filtered !== 'number') throw new Error(`${c.tool}: no consent_filtered in the answer`);
  return { value, bareRows: bare.items };
}
