import { classifyInboundRequest, ProtocolErrorCode, UnsupportedProtocolVersionError } from '@modelcontextprotocol/server';

/** 2026-07-28: no `initialize`, the protocol version and client capabilities in each request's `_meta`. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** The `initialize` revisions, newest first (a client offering another one is answered with the first). */
export const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];
export const SERVED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];

/** `HeaderMismatch` (2026-07-28): a required MCP header is missing, or disagrees with the body. */
export const HEADER_MISMATCH = -32020;

export type Era = 'modern' | 'legacy';

/** A message refused on protocol grounds, with the HTTP status and JSON-RPC error it is answered with. */
export interface ProtocolRefusal {
  status: number;
  code: number;
  message: string;
  data?: unknown;
  /** The audit row's error code. */
  reason: string;
}

const REASONS: Record<number, string> = {
  [HEADER_MISMATCH]: 'HEADER_MISMATCH',
  [ProtocolErrorCode.UnsupportedProtocolVersion]: 'UNSUPPORTED_PROTOCOL_VERSION',
  [ProtocolErrorCode.InvalidParams]: 'INVALID_PARAMS',
  [ProtocolErrorCode.InvalidRequest]: 'INVALID_REQUEST',
};

const refusal = (status: number, code: number, message: string, data?: unknown): ProtocolRefusal => ({
  status,
  code,
  message,
  ...(data === undefined ? {} : { data }),
  reason: REASONS[code] ?? 'PROTOCOL_ERROR',
});

const unsupported = (requested: string): ProtocolRefusal => {
  const error = new UnsupportedProtocolVersionError({ supported: [...SERVED_VERSIONS], requested });
  return refusal(400, error.code, error.message, error.data);
};

const mismatch = (header: string, detail: string) => refusal(400, HEADER_MISMATCH, `Header mismatch: ${detail}`, { mismatch: { header } });

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/** An `Mcp-Name` value as sent (plain, or the `=?base64?…?=` sentinel decoded), or null when the sentinel is malformed. */
function decodeName(value: string): string | null {
  const trimmed = value.trim();
  const encoded = SENTINEL.exec(trimmed);
  if (!encoded) return trimmed.startsWith('=?base64?') ? null : trimmed;
  return Buffer.from(encoded[1] ?? '', 'base64').toString('utf8');
}

/** The body fields `Mcp-Name` mirrors, by method. */
const NAME_SOURCE: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/**
 * Which revision a parsed JSON-RPC message speaks, or why it is refused: the SDK's own
 * classification (body first, the `MCP-Protocol-Version` and `Mcp-Method` headers cross-checked),
 * then the rules it leaves to its handler, checked here because tool calls are admitted (and
 * charged) before the SDK dispatches them: a revision this server does not serve (400, -32022
 * listing the served ones), and on 2026-07-28 requests the required headers, with `Mcp-Name`
 * compared to the body (400, -32020). Without a version header a legacy message is 2025-03-26.
 */
export function classifyMessage(request: Request, body: unknown): { era: Era } | { refusal: ProtocolRefusal } {
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const headers = { protocolVersionHeader: header('mcp-protocol-version'), mcpMethodHeader: header('mcp-method'), mcpNameHeader: header('mcp-name') };
  const outcome = classifyInboundRequest({ httpMethod: 'POST', ...headers, body });
  if (outcome.kind === 'reject') return { refusal: refusal(outcome.httpStatus, outcome.code, outcome.message, outcome.data) };
  if (outcome.kind === 'legacy') {
    const version = headers.protocolVersionHeader;
    return version !== undefined && !LEGACY_VERSIONS.includes(version) ? { refusal: unsupported(version) } : { era: 'legacy' };
  }
  const revision = outcome.classification.revision;
  if (revision === undefined || !MODERN_VERSIONS.includes(revision)) return { refusal: unsupported(revision ?? 'unknown') };
  if (outcome.messageKind === 'notification') return { era: 'modern' };
  const { method, params } = outcome.message;
  if (headers.protocolVersionHeader === undefined) return { refusal: mismatch('MCP-Protocol-Version', 'the MCP-Protocol-Version header is required.') };
  if (headers.mcpMethodHeader === undefined) return { refusal: mismatch('Mcp-Method', `the Mcp-Method header is required (the body names ${method}).`) };
  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
  const bodyName = field ? (params as Record<string, unknown> | undefined)?.[field] : undefined;
  if (typeof bodyName !== 'string') return { era: 'modern' };
  if (headers.mcpNameHeader === undefined) return { refusal: mismatch('Mcp-Name', `the Mcp-Name header is required (the body names "${bodyName.slice(0, 100)}").`) };
  const named = decodeName(headers.mcpNameHeader);
  if (named !== bodyName) {
    const shown = named === null ? 'an invalid Base64 value' : `"${named.slice(0, 100)}"`;
    return { refusal: mismatch('Mcp-Name', `the Mcp-Name header names ${shown} but the body names "${bodyName.slice(0, 100)}".`) };
  }
  return { era: 'modern' };
}
