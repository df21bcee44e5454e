import { ErrorCode, PactError } from '../../lib/errors';
import type { Scope } from '../auth/scopes';
import type { ServiceContext } from '../context';
import { agentById, isAgentId, type AgentDefinition } from './roster';

/** The first scope of the agent's `requiredScopes` the caller lacks, or null. */
export const missingAgentScope = (agent: AgentDefinition, scopes: ReadonlySet<Scope>): Scope | null => agent.requiredScopes.find((s) => !scopes.has(s)) ?? null;

/** FORBIDDEN naming the scope (`extensions.scope`), audited as `denied` like a tool's own scope. */
export const agentScopeRefusal = (agent: AgentDefinition, scope: Scope): PactError =>
  new PactError(ErrorCode.Forbidden, `Missing required scope '${scope}': agent ${agent.id} needs ${agent.requiredScopes.join(', ')}.`, { scope, agent: agent.id });

/** Refuses a run of `agent` unless the caller holds every scope it declares. */
export function assertAgentScopes(ctx: ServiceContext, agent: AgentDefinition): void {
  const missing = missingAgentScope(agent, ctx.principal.scopes);
  if (missing) throw agentScopeRefusal(agent, missing);
}

/**
 * The refusal a call of the root field `rootField` with `args` gets for a scope beyond the field's
 * own (fireAgent: the named agent's scopes), or null. The MCP facade asks before dispatch to answer
 * HTTP 403; the resolver enforces the same rule on every path. An unknown agent is left to the resolver.
 */
export function callScopeRefusal(rootField: string, args: unknown, scopes: ReadonlySet<Scope>): PactError | null {
  if (rootField !== 'fireAgent' || typeof args !== 'object' || args === null) return null;
  const id = (args as { agent?: unknown }).agent;
  if (typeof id !== 'string' || !isAgentId(id)) return null;
  const agent = agentById(id);
  const missing = missingAgentScope(agent, scopes);
  return missing ? agentScopeRefusal(agent, missing) : null;
}

/** The caller holds `scope`: agents that read several kinds of record leave out the kinds it does not cover. */
export const callerHas = (ctx: ServiceContext, scope: Scope): boolean => ctx.principal.scopes.has(scope);
