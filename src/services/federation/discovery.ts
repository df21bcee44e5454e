import { and, eq, inArray, ne } from 'drizzle-orm';
import { federatedServers, federatedTools } from '../../db/schema';
import { ErrorCode, PactError, isPactError } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { outsideTransaction, type ServiceContext } from '../context';
import { checkToolName, declaredGovernance, definitionHash } from './definition';
import { findServer, mcpServer, toolsOf, upstreamTargetOf, type McpServerView } from './servers';
import { listUpstreamTools, type UpstreamPolicy, type UpstreamTool } from './upstream';

export interface DiscoveryView {
  server: McpServerView;
  /** Every tool the upstream lists now. */
  discovered: string[];
  /** Tools whose definition differs from the approved one (first seen changed by this discovery). */
  changed: string[];
  /** Tools Pact knew that the upstream no longer lists. */
  removed: string[];
}

const UPSTREAM_CODES: ReadonlySet<string> = new Set([ErrorCode.UpstreamUnreachable, ErrorCode.UpstreamTimeout, ErrorCode.UpstreamNotMcp, ErrorCode.UpstreamBlockedAddress]);

/** Lists the upstream's tools holding no database connection; an unreachable upstream leaves status ERROR and its reason. */
async function listOutside(ctx: ServiceContext, serverId: string, policy: UpstreamPolicy) {
  const server = await findServer(ctx, serverId);
  const target = await upstreamTargetOf(ctx.tx, ctx.keys, server);
  return outsideTransaction(ctx, async (detached) => {
    try {
      return await listUpstreamTools(target, policy);
    } catch (error) {
      // The call answers this error and rolls back: the status is recorded in a transaction of its own.
      if (detached && isPactError(error) && UPSTREAM_CODES.has(error.code)) {
        await ctx.database.withTenant(server.tenantId, (tx) =>
          tx
            .update(federatedServers)
            .set({ status: 'error', lastError: error.message, updatedAt: new Date() })
            .where(and(eq(federatedServers.tenantId, server.tenantId), eq(federatedServers.id, server.id))),
        );
      }
      throw error;
    }
  });
}

/** Checks every listed tool before anything is written: valid, unique, federated names that fit and collide with no other server's. */
async function checkNames(ctx: ServiceContext, serverId: string, slug: string, tools: UpstreamTool[]): Promise<void> {
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name)) throw new PactError(ErrorCode.UpstreamNotMcp, `The MCP server lists tool "${tool.name}" twice.`, { tool: tool.name });
    seen.add(tool.name);
    checkToolName(slug, tool.name);
  }
  const names = tools.map((t) => `${slug}__${t.name}`);
  if (names.length === 0) return;
  const [taken] = await ctx.tx
    .select({ federatedName: federatedTools.federatedName })
    .from(federatedTools)
    .where(and(eq(federatedTools.tenantId, ctx.principal.tenantId), inArray(federatedTools.federatedName, names), ne(federatedTools.serverId, serverId)))
    .limit(1);
  if (taken) throw new PactError(ErrorCode.Conflict, `The federated name "${taken.federatedName}" is already used by another server of this tenant.`, { federatedName: taken.federatedName });
}

/**
 * Connects to the server as an MCP client (outside the call's transaction), lists every tool and
 * stores them: a tool seen for the first time is approved as listed (the publishing admin saw it) and
 * left off until governed; a tool whose definition hash changed keeps its approved hash and is not
 * callable (`definition_changed`) until approved; a tool gone upstream is switched off
 * (`removed_upstream`). The upstream's `_meta["dev.pact/governance"]` is kept, and its consent subject
 * applied. Any refusal changes no tool.
 */
export async function discoverMcpServer(ctx: ServiceContext, serverId: string, policy: UpstreamPolicy): Promise<DiscoveryView> {
  const listed = await listOutside(ctx, serverId, policy);
  const server = await findServer(ctx, serverId, true);
  await checkNames(ctx, server.id, server.slug, listed.tools);
  const tenantId = ctx.principal.tenantId;
  const known = new Map((await toolsOf(ctx, [server.id])).map((t) => [t.name, t]));
  const now = new Date();
  const changed: string[] = [];
  for (const tool of listed.tools) {
    const hash = definitionHash(tool);
    const governance = declaredGovernance(tool);
    const definition = {
      title: tool.title ?? null,
      description: tool.description ?? '',
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema ?? null,
      annotations: tool.annotations ?? null,
      upstreamGovernance: governance.declared,
      consentSubject: governance.consentSubject,
      definitionHash: hash,
      updatedAt: now,
    };
    const existing = known.get(tool.name);
    if (!existing) {
      await ctx.tx.insert(federatedTools).values({
        id: newId(),
        tenantId,
        serverId: server.id,
        name: tool.name,
        federatedName: `${server.slug}__${tool.name}`,
        ...definition,
        approvedHash: hash,
        enabled: false,
        disabledReason: 'no_entry',
        ...(governance.rateLimitPerMin === null ? {} : { rateLimitPerMin: governance.rateLimitPerMin }),
        ...(governance.estCostMicrocents === null ? {} : { estCostMicrocents: governance.estCostMicrocents }),
      });
      continue;
    }
    const isChanged = existing.approvedHash !== hash;
    if (isChanged) changed.push(tool.name);
    const wasRemoved = existing.disabledReason === 'removed_upstream';
    const enabled = wasRemoved ? false : existing.enabled;
    let reason: string | null;
    if (isChanged) reason = 'definition_changed';
    else if (wasRemoved) reason = 'no_entry';
    else if (existing.disabledReason === 'definition_changed') reason = enabled ? null : 'disabled_in_config';
    else reason = existing.disabledReason;
    await ctx.tx
      .update(federatedTools)
      .set({ ...definition, enabled, disabledReason: reason })
      .where(and(eq(federatedTools.tenantId, tenantId), eq(federatedTools.id, existing.id)));
  }
  const listedNames = new Set(listed.tools.map((t) => t.name));
  const removed = [...known.values()].filter((t) => !listedNames.has(t.name));
  const newlyRemoved = removed.filter((t) => t.disabledReason !== 'removed_upstream');
  if (newlyRemoved.length > 0) {
    await ctx.tx
      .update(federatedTools)
      .set({ enabled: false, disabledReason: 'removed_upstream', updatedAt: now })
      .where(and(eq(federatedTools.tenantId, tenantId), inArray(federatedTools.id, newlyRemoved.map((t) => t.id))));
  }
  await ctx.tx
    .update(federatedServers)
    .set({ status: 'active', lastError: null, protocolVersion: listed.protocolVersion, discoveredAt: now, updatedAt: now })
    .where(and(eq(federatedServers.tenantId, tenantId), eq(federatedServers.id, server.id)));
  return {
    server: await mcpServer(ctx, server.id),
    discovered: listed.tools.map((t) => t.name),
    changed,
    removed: removed.map((t) => t.name),
  };
}
