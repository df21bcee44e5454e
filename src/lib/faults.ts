import { currentRequest } from './request-context';

/** Seconds a client should wait before retrying while the database is unreachable. */
export const RETRY_AFTER_S = 2;

/** Node and postgres.js codes of a lost or refused connection. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
]);

/** SQLSTATEs of a server that is going away, starting, or full (class 08: connection exception). */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * The database could not be reached (connection refused, lost, or the server shutting down). Its
 * message is safe to show; the driver's error (with host, SQL and parameters) is its `cause`.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  readonly code = 'DATABASE_UNAVAILABLE';
  /** JSON-RPC error data, should an MCP SDK handler relay this error. */
  readonly data: { code: 'DATABASE_UNAVAILABLE'; requestId?: string; retryAfterSeconds: number };
  constructor(cause: unknown) {
    super('The database is unreachable; retry shortly.', { cause });
    const requestId = currentRequest()?.requestId;
    this.data = { code: 'DATABASE_UNAVAILABLE', ...(requestId ? { requestId } : {}), retryAfterSeconds: RETRY_AFTER_S };
  }
}

/** True when `error` (or an error in its `cause` chain) is a lost or refused database connection. */
export function isConnectionLoss(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof DatabaseUnavailableError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** What a handler answers for an unexpected error: never the error's own message. */
export interface MaskedFailure {
  status: 500 | 503;
  code: 'INTERNAL_SERVER_ERROR' | 'DATABASE_UNAVAILABLE';
  message: string;
  headers: Record<string, string>;
}

export function maskFailure(error: unknown): MaskedFailure {
  if (isConnectionLoss(error)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is unreachable; retry shortly.',
      headers: { 'retry-after': String(RETRY_AFTER_S) },
    };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.', headers: {} };
}
