import { GraphQLError } from 'graphql';

/** Stable error codes every client may rely on. */
export const ErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  TenantRequired: 'TENANT_REQUIRED',
  UnknownTenant: 'UNKNOWN_TENANT',
  BadUserInput: 'BAD_USER_INPUT',
  InvalidId: 'INVALID_ID',
  InvalidCursor: 'INVALID_CURSOR',
  PageSizeExceeded: 'PAGE_SIZE_EXCEEDED',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  RateLimited: 'RATE_LIMITED',
  QueryTooDeep: 'QUERY_TOO_DEEP',
  TooManyAliases: 'TOO_MANY_ALIASES',
  TooManyDirectives: 'TOO_MANY_DIRECTIVES',
  TooManyTokens: 'TOO_MANY_TOKENS',
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  IntrospectionDisabled: 'INTROSPECTION_DISABLED',
  PersistedOperationsOnly: 'PERSISTED_OPERATIONS_ONLY',
  AiBudgetExceeded: 'AI_BUDGET_EXCEEDED',
  ModelTimeout: 'MODEL_TIMEOUT',
  ModelError: 'MODEL_ERROR',
  Internal: 'INTERNAL_SERVER_ERROR',
  DatabaseUnavailable: 'DATABASE_UNAVAILABLE',
  /** A federated MCP server could not be reached (DNS, connection, HTTP 5xx, refused credential). */
  UpstreamUnreachable: 'UPSTREAM_UNREACHABLE',
  /** A federated MCP server did not answer within the time limit. */
  UpstreamTimeout: 'UPSTREAM_TIMEOUT',
  /** A federated endpoint answered, but not as an MCP server. */
  UpstreamNotMcp: 'UPSTREAM_NOT_MCP',
  /** A federated endpoint's address is refused (loopback, private, link-local, metadata… without PACT_ALLOW_PRIVATE_UPSTREAMS). */
  UpstreamBlockedAddress: 'UPSTREAM_BLOCKED_ADDRESS',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const statusOf: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TENANT_REQUIRED: 400,
  UNKNOWN_TENANT: 403,
  RATE_LIMITED: 429,
};

/** An expected failure with a stable code; its message is safe to show to the caller. */
export class PactError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    const status = statusOf[code];
    super(message, {
      extensions: { code, ...extra, ...(status ? { http: { status } } : {}) },
    });
    this.code = code;
    this.name = 'PactError';
  }
}

export const unauthenticated = (message = 'Missing or invalid credentials.') =>
  new PactError(ErrorCode.Unauthenticated, message);

export const forbiddenScope = (scope: string) =>
  new PactError(ErrorCode.Forbidden, `Missing required scope '${scope}'.`, { scope });

/** "owner or admin", "owner, admin, manager or member". */
const orList = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

/**
 * A refusal by role: the message names what was attempted, the roles that may do it and the
 * caller's role; `extensions.requiredRole` lists the roles. Audited as `denied` (no `reason`).
 */
export const forbiddenRole = (action: string, allowed: readonly string[], role: string) =>
  new PactError(ErrorCode.Forbidden, `${action} needs role ${orList(allowed)}; you are ${role === 'api' ? 'api (an API key)' : role}.`, {
    requiredRole: [...allowed],
    role,
  });

export const badInput = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}) =>
  new PactError(code, message, extra);

export const isPactError = (error: unknown): error is PactError => error instanceof PactError;
