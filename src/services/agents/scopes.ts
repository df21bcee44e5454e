import { ErrorCode, PactError } from '../../lib/errors';
import type { Scope } from '../auth/scopes';
import type { ServiceContext } from '../context';
import type { AgentDefinition } from './roster';

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

/** The caller holds `scope`: agents that read several kinds of record leave out the kinds it does not cover. */
export const callerHas = (ctx: ServiceContext, scope: Scope): boolean => ctx.principal.scopes.has(scope);
