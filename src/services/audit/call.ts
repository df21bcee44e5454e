import type { CallPath, Principal } from '../auth/principal';

export type AuditOutcome = 'ok' | 'denied' | 'blocked' | 'rate_limited' | 'error';

/** What services report about a call while it runs. */
export interface CallMetrics {
  /** Records returned (list items, found look-ups, written records). */
  resultCount: number;
  /** Records matching the call that the consent gate hid. */
  consentHidden: number;
  /** Set when the consent gate refused the call's subject (`consent_withdrawn`, …): audited as `blocked`, not charged. */
  blocked: string | null;
  /** Model spend of AI work done by the call, charged on top of its declared cost (integer micro-cents). */
  modelCostMicrocents: number;
}

/** One call on any path (GraphQL operation, MCP tool call): everything its audit row and ledger row need. */
export interface Call {
  path: CallPath;
  principal: Principal;
  /** Root field(s) for GraphQL (never the client-chosen operation name), the tool name for MCP. */
  operation: string;
  /** The call's arguments (GraphQL variables, tool arguments); only their HMAC digest is stored. */
  args: unknown;
  startedAt: number;
  metrics: CallMetrics;
  costMicrocents: number;
  outcome: AuditOutcome | null;
  errorCode: string | null;
  idempotencyKey: string | null;
}

export function newCall(principal: Principal, path: CallPath = principal.path): Call {
  return {
    path,
    principal,
    operation: 'unknown',
    args: {},
    startedAt: performance.now(),
    metrics: { resultCount: 0, consentHidden: 0, blocked: null, modelCostMicrocents: 0 },
    costMicrocents: 0,
    outcome: null,
    errorCode: null,
    idempotencyKey: null,
  };
}

/** Cents (as the schema and tools declare them) to integer micro-cents, the ledger's unit. */
export const toMicrocents = (cents: number): number => Math.round(cents * 1_000_000);
export const toCents = (microcents: number): number => microcents / 1_000_000;

interface ErrorLike {
  extensions?: Record<string, unknown> | null;
}

/**
 * The audit outcome and error code of a call: from its errors, else `blocked` when the consent gate
 * refused its subject (the reason as code), else `ok`.
 */
export function outcomeOf(errors: readonly ErrorLike[] | undefined, metrics?: CallMetrics): { outcome: AuditOutcome; code: string | null } {
  if (!errors || errors.length === 0) return metrics?.blocked ? { outcome: 'blocked', code: metrics.blocked } : { outcome: 'ok', code: null };
  const codes = errors.map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));
  if (codes.includes('RATE_LIMITED')) return { outcome: 'rate_limited', code: 'RATE_LIMITED' };
  const denied = errors.find((e) => e.extensions?.code === 'FORBIDDEN' && e.extensions.reason === undefined);
  if (denied) return { outcome: 'denied', code: 'FORBIDDEN' };
  if (codes.includes('AI_BUDGET_EXCEEDED')) return { outcome: 'denied', code: 'AI_BUDGET_EXCEEDED' };
  if (codes.includes('COST_CAP_EXCEEDED')) return { outcome: 'denied', code: 'COST_CAP_EXCEEDED' };
  const first = errors[0]?.extensions;
  const reason = typeof first?.reason === 'string' ? first.reason : null;
  return { outcome: 'error', code: reason ?? codes[0] ?? 'INTERNAL_SERVER_ERROR' };
}
