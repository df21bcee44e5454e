import { SERVER_INFO_META_KEY, type CallToolResult, type Implementation } from '@modelcontextprotocol/server';
import type { RpcId } from './http-guards';
import type { Era } from './protocol';

/** A tool call's result, and for one made by `structuredResult` the one serialization of its value (its text block). */
export interface ToolResult {
  result: CallToolResult;
  serialized?: string;
}

/** A structured tool result: the text block is the value serialized once, and the wire's `structuredContent` reuses it. */
export function structuredResult(structured: Record<string, unknown>): ToolResult {
  const serialized = JSON.stringify(structured);
  return { result: { content: [{ type: 'text', text: serialized }], structuredContent: structured }, serialized };
}

/**
 * The JSON-RPC body answering a `tools/call` with `answer`, as the SDK's server encodes a tool
 * result for the revision (2026-07-28 stamps `resultType: "complete"` and the server's identity in
 * `_meta`; the 2025 revisions send the result as it is). A structured value is written from its one
 * serialization: as the text block's string and, verbatim, as `structuredContent`.
 * test/mcp/transport.test.ts checks these bodies against the SDK's own answers to the same calls.
 */
export function toolCallBody(era: Era, id: RpcId, answer: ToolResult, server: Implementation): string {
  const stamp = era === 'modern' ? { resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: server } } : null;
  const { result, serialized } = answer;
  let encoded: string;
  if (serialized !== undefined) {
    const tail = stamp ? `,"resultType":"complete","_meta":${JSON.stringify(stamp._meta)}` : '';
    encoded = `{"content":[{"type":"text","text":${JSON.stringify(serialized)}}],"structuredContent":${serialized}${tail}}`;
  } else {
    encoded = JSON.stringify(stamp ? { ...result, ...stamp } : result);
  }
  return `{"result":${encoded},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
}
