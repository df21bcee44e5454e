/**
 * The three request paths the throughput benchmark measures for the same first page of 50 visible
 * contacts: MCP `tools/call` of `query_contacts`, the same persisted operation over `/graphql`, and
 * the bare node:http → postgres.js server. For each: the HTTP call, the full check of one answer
 * (returns the ids), and a cheap body test autocannon runs on every response under load.
 */
import { persistedOperations } from '../../src/graphql/persisted';
import { mcpTools } from '../../src/mcp/generated/tools';
import type { HttpCall } from './load';
import type { ServerKind } from './protocol';

export type PathKind = 'mcp' | 'graphql' | 'bare';

/** The server process that serves each path (MCP and GraphQL are the same Pact process). */
export const SERVER_OF: Record<PathKind, ServerKind> = { mcp: 'pact', graphql: 'pact', bare: 'bare' };

export const PATH_LABEL: Record<PathKind, string> = {
  mcp: 'Pact MCP tools/call query_contacts',
  graphql: 'Pact /graphql, same persisted operation',
  bare: 'bare node:http → postgres.js',
};

export const MCP_TOOL = 'query_contacts';
export const MCP_PROTOCOL_VERSION = '2025-11-25';
export const PAGE_ARGUMENTS = { first: 50 } as const;

/** The headers of an MCP `tools/call` with a bearer API key. */
export const mcpHeaders = (apiKey: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${apiKey}`,
  'mcp-protocol-version': MCP_PROTOCOL_VERSION,
});

/** The generated tool definition of `query_contacts` and the persisted document it runs. */
export function contactsTool(): { hash: string; document: string; rateLimitPerMin: number } {
  const tool = mcpTools.find((t) => t.name === MCP_TOOL);
  if (!tool) throw new Error(`no MCP tool ${MCP_TOOL} in src/mcp/generated/tools.ts`);
  const document = persistedOperations()[tool.hash];
  if (!document) throw new Error(`persisted operation ${tool.hash} (tool ${MCP_TOOL}) is missing from schema/persisted-operations.json`);
  return { hash: tool.hash, document, rateLimitPerMin: tool.rateLimitPerMin };
}

// Cheap tests of a response body under load (substring checks, no JSON parse in the load generator).
// A body that fails one is counted as an error answer even with a 2xx status.
const mcpOk = (body: string): boolean =>
  body.includes('"structuredContent":{') && body.includes('"returned":50') && !body.includes('"isError":true') && !body.includes('"error":{');
const graphqlOk = (body: string): boolean => body.includes('"data":{"contacts":{') && body.includes('"returned":50') && !body.includes('"errors":');
const bareOk = (body: string): boolean => body.startsWith('{"returned":50,');

export function pathCalls(apiKey: string): Record<PathKind, HttpCall> {
  const { document } = contactsTool();
  return {
    mcp: {
      path: '/mcp/',
      headers: mcpHeaders(apiKey),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: MCP_TOOL, arguments: PAGE_ARGUMENTS } }),
      okBody: mcpOk,
    },
    graphql: {
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ query: document, variables: PAGE_ARGUMENTS }),
      okBody: graphqlOk,
    },
    bare: { path: '/contacts', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ first: 50 }), okBody: bareOk },
  };
}

/** The persisted operation's result shape (aliases as in schema/persisted-operations.json), as both Pact paths return it. */
interface ContactsPage {
  returned: number;
  consent_filtered: number;
  note: string;
  items: { id: string; name: string | null; email: string | null }[];
}

const parse = <T>(what: string, status: number, body: string): T => {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new Error(`${what} answered ${status} with a body that is not JSON: ${body.slice(0, 300)}`);
  }
};

function checkPage(what: string, page: ContactsPage, expectedHidden: number): string[] {
  if (page.returned !== 50 || page.items.length !== 50) throw new Error(`${what} returned ${page.returned} items, expected 50`);
  if (page.consent_filtered !== expectedHidden) throw new Error(`${what} reported consent_filtered ${page.consent_filtered}, expected ${expectedHidden}`);
  if (!page.items.every((i) => i.email?.startsWith('person.') && i.name)) throw new Error(`${what} items lack decrypted PII`);
  return page.items.map((i) => i.id);
}

/** Checks an MCP answer: a JSON-RPC result, not `isError`, 50 items with decrypted PII, the exact hidden count. */
export function checkMcp(status: number, body: string, expectedHidden: number): string[] {
  const parsed = parse<{ result?: { isError?: boolean; structuredContent?: ContactsPage; content?: { text?: string }[] }; error?: unknown }>('MCP', status, body);
  const page = parsed.result?.structuredContent;
  if (status !== 200 || parsed.error || parsed.result?.isError || !page) throw new Error(`MCP answered ${status}: ${body.slice(0, 400)}`);
  if (!mcpOk(body)) throw new Error(`MCP answer fails the load-time body test: ${body.slice(0, 300)}`);
  return checkPage('MCP', page, expectedHidden);
}

/** Checks a /graphql answer to the persisted operation: no errors, 50 items with decrypted PII, the exact hidden count. */
export function checkGraphql(status: number, body: string, expectedHidden: number): string[] {
  const parsed = parse<{ data?: { contacts?: ContactsPage } | null; errors?: unknown[] }>('/graphql', status, body);
  const page = parsed.data?.contacts;
  if (status !== 200 || parsed.errors?.length || !page) throw new Error(`/graphql answered ${status}: ${body.slice(0, 400)}`);
  if (!graphqlOk(body)) throw new Error(`/graphql answer fails the load-time body test: ${body.slice(0, 300)}`);
  return checkPage('/graphql', page, expectedHidden);
}

/** Checks a bare answer: 50 items. */
export function checkBare(status: number, body: string): string[] {
  const parsed = parse<{ items?: { id: string }[] }>('bare server', status, body);
  if (status !== 200 || parsed.items?.length !== 50 || !bareOk(body)) throw new Error(`bare server answered ${status}: ${body.slice(0, 300)}`);
  return parsed.items.map((i) => i.id);
}

export function checkPath(kind: PathKind, status: number, body: string, expectedHidden: number): string[] {
  if (kind === 'mcp') return checkMcp(status, body, expectedHidden);
  if (kind === 'graphql') return checkGraphql(status, body, expectedHidden);
  return checkBare(status, body);
}
