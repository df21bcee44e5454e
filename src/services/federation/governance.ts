import { and, eq } from 'drizzle-orm';
import { federatedTools } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { toMicrocents } from '../audit/call';
import type { ServiceContext } from '../context';
import { requiredText } from '../input';
import { parseGovernance } from './definition';
import { findServer, mcpServer, toolView, toolsOf, type FederatedToolRow, type McpServerView, type McpToolView } from './servers';

export type PiiPolicy = 'redact' | 'allow' | 'block';

/** One `[tools.X]` entry of a server's pact.toml, as `governMcpTools` applies it. */
export interface ToolGovernanceInput {
  tool: string;
  enabled: boolean;
  allowedRoles: readonly string[];
  rateLimitPerMin?: number | null | undefined;
  costCapCents?: number | null | undefined;
  estCostCents?: number | null | undefined;
  piiPolicy?: PiiPolicy | null | undefined;
}

/** Roles `allowed_roles` may name: the tenant's member roles, and `api` for API keys. */
export const GOVERNED_ROLES = ['owner', 'admin', 'manager', 'member', 'api'] as const;
const DEFAULT_RATE_LIMIT = 60;
const MAX_RATE_LIMIT = 100_000;
const MAX_CENTS = 1_000_000;

/**
 * Why a tool is not callable, from its state: gone upstream, then a definition awaiting approval, then
 * switched off (by its config entry, or for want of one).
 */
function reasonFor(removed: boolean, changed: boolean, enabled: boolean, hasEntry: boolean): string | null {
  if (removed) return 'removed_upstream';
  if (changed) return 'definition_changed';
  if (!enabled) return hasEntry ? 'disabled_in_config' : 'no_entry';
  return null;
}

const cents = (value: number | null | undefined, field: string): number | null => {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value) || value < 0 || value > MAX_CENTS) throw badInput(ErrorCode.BadUserInput, `\`${field}\` must be between 0 and ${MAX_CENTS} cents.`, { field });
  return toMicrocents(value);
};

function checkEntry(entry: ToolGovernanceInput, tool: FederatedToolRow) {
  const bad = entry.allowedRoles.filter((r) => !(GOVERNED_ROLES as readonly string[]).includes(r));
  if (bad.length > 0) {
    throw badInput(ErrorCode.BadUserInput, `Tool "${entry.tool}": unknown role(s) in allowedRoles: ${bad.join(', ')} (roles: ${GOVERNED_ROLES.join(', ')}).`, { tool: entry.tool, field: 'allowedRoles' });
  }
  const rate = entry.rateLimitPerMin;
  if (rate !== null && rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE_LIMIT)) {
    throw badInput(ErrorCode.BadUserInput, `Tool "${entry.tool}": rateLimitPerMin must be a whole number from 1 to ${MAX_RATE_LIMIT}.`, { tool: entry.tool, field: 'rateLimitPerMin' });
  }
  const declared = parseGovernance(tool.upstreamGovernance);
  return {
    allowedRoles: [...new Set(entry.allowedRoles)],
    rateLimitPerMin: rate ?? declared.rateLimitPerMin ?? DEFAULT_RATE_LIMIT,
    costCapMicrocents: cents(entry.costCapCents, 'costCapCents'),
    estCostMicrocents: cents(entry.estCostCents, 'estCostCents') ?? declared.estCostMicrocents ?? 0,
    piiPolicy: entry.piiPolicy ?? 'redact',
  };
}

/**
 * Applies a server's governance (its pact.toml `[tools.X]` entries) in place: each listed tool gets its
 * switch, roles, limits, costs and PII policy (absent limits and costs fall back to what the upstream
 * declared); tools not listed are switched off (`no_entry`). A tool the server does not have, or a bad
 * value, refuses the whole call naming the tool.
 */
export async function governMcpTools(ctx: ServiceContext, serverId: string, entries: readonly ToolGovernanceInput[]): Promise<McpServerView> {
  const server = await findServer(ctx, serverId, true);
  const tools = await toolsOf(ctx, [server.id]);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const seen = new Set<string>();
  const planned = entries.map((entry) => {
    const name = requiredText(entry.tool, 'tool', 128);
    if (seen.has(name)) throw badInput(ErrorCode.BadUserInput, `Tool "${name}" is governed twice.`, { tool: name });
    seen.add(name);
    const tool = byName.get(name);
    if (!tool) throw new PactError(ErrorCode.NotFound, `Tool "${name}" is not a tool of server ${server.slug} (discover the server first, or remove its entry).`, { tool: name });
    return { tool, entry, values: checkEntry(entry, tool) };
  });
  const now = new Date();
  for (const tool of tools) {
    const plan = planned.find((p) => p.tool.id === tool.id);
    const removed = tool.disabledReason === 'removed_upstream';
    const enabled = !removed && (plan?.entry.enabled ?? false);
    const reason = reasonFor(removed, tool.approvedHash !== tool.definitionHash, enabled, plan !== undefined);
    await ctx.tx
      .update(federatedTools)
      .set({ ...(plan ? plan.values : {}), enabled, disabledReason: reason, updatedAt: now })
      .where(and(eq(federatedTools.tenantId, ctx.principal.tenantId), eq(federatedTools.id, tool.id)));
  }
  return mcpServer(ctx, server.id);
}

async function findTool(ctx: ServiceContext, serverId: string, name: string): Promise<FederatedToolRow> {
  const server = await findServer(ctx, serverId);
  const [tool] = await ctx.tx
    .select()
    .from(federatedTools)
    .where(and(eq(federatedTools.tenantId, ctx.principal.tenantId), eq(federatedTools.serverId, server.id), eq(federatedTools.name, name)))
    .for('update');
  if (!tool) throw new PactError(ErrorCode.NotFound, `Tool "${name}" is not a tool of server ${server.slug}.`, { tool: name });
  return tool;
}

async function updateTool(ctx: ServiceContext, id: string, values: Partial<FederatedToolRow>): Promise<McpToolView> {
  const [row] = await ctx.tx
    .update(federatedTools)
    .set({ ...values, updatedAt: new Date() })
    .where(and(eq(federatedTools.tenantId, ctx.principal.tenantId), eq(federatedTools.id, id)))
    .returning();
  return toolView(row as FederatedToolRow);
}

const refuseRemoved = (tool: FederatedToolRow, action: string) => {
  if (tool.disabledReason === 'removed_upstream') {
    throw badInput(ErrorCode.BadUserInput, `Tool "${tool.name}" was removed upstream: it cannot be ${action} (discover the server again once it is back).`, { tool: tool.name });
  }
};

/** Accepts a tool's current definition (approved_hash := definition_hash): enabled, it is callable again. */
export async function approveMcpTool(ctx: ServiceContext, serverId: string, name: string): Promise<McpToolView> {
  const tool = await findTool(ctx, serverId, name);
  refuseRemoved(tool, 'approved');
  const reason = tool.enabled ? null : tool.disabledReason === 'definition_changed' ? 'disabled_in_config' : tool.disabledReason;
  return updateTool(ctx, tool.id, { approvedHash: tool.definitionHash, disabledReason: reason });
}

/** The console's switch: turns one tool on or off, keeping the rest of its governance. */
export async function setMcpToolEnabled(ctx: ServiceContext, serverId: string, name: string, enabled: boolean): Promise<McpToolView> {
  const tool = await findTool(ctx, serverId, name);
  if (enabled) refuseRemoved(tool, 'enabled');
  const reason = reasonFor(tool.disabledReason === 'removed_upstream', tool.approvedHash !== tool.definitionHash, enabled, true);
  return updateTool(ctx, tool.id, { enabled, disabledReason: reason });
}
