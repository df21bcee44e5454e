import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { federatedServers, federatedTools } from '../../db/schema';
import type { Principal } from '../auth/principal';
import type { FederatedServerRow, FederatedToolRow } from './servers';

/** The scope every federated call needs; each tool's `allowed_roles` decides further. */
export const FEDERATED_SCOPE = 'call:federated';

/** The shape of a federated name `<slug>__<tool>` (a slug, two underscores, the upstream's tool name; 64 characters at most). */
export const FEDERATED_NAME = /^(?=.{4,64}$)[a-z0-9][a-z0-9_-]{0,31}__[A-Za-z0-9_.-]+$/;

/** A tool is callable when enabled and its current definition is the one an owner or admin approved. */
export const isCallable = (tool: Pick<FederatedToolRow, 'enabled' | 'definitionHash' | 'approvedHash'>): boolean =>
  tool.enabled && tool.approvedHash !== null && tool.approvedHash === tool.definitionHash;

/**
 * Whether the caller's role may call a tool: people by their tenant role (OAuth tokens act with
 * their user's), API keys (role `api`) only when `allowed_roles` lists `api`.
 */
export const roleMayCall = (principal: Principal, tool: Pick<FederatedToolRow, 'allowedRoles'>): boolean => tool.allowedRoles.includes(principal.role);

/** A federated tool and the server it is on, by federated name, in the caller's tenant (null when there is none). */
export async function federatedToolByName(tx: Db, principal: Principal, federatedName: string): Promise<{ tool: FederatedToolRow; server: FederatedServerRow } | null> {
  const [row] = await tx
    .select({ tool: federatedTools, server: federatedServers })
    .from(federatedTools)
    .innerJoin(federatedServers, eq(federatedServers.id, federatedTools.serverId))
    .where(and(eq(federatedTools.tenantId, principal.tenantId), eq(federatedTools.federatedName, federatedName)))
    .limit(1);
  return row ?? null;
}

/**
 * The federated tools the caller may call now, in name order: callable, the caller's role in
 * `allowed_roles`, and the caller holding `call:federated`. Read on every request, so a tool
 * deleted, disabled or changed upstream disappears on every instance at once.
 */
export async function callableToolsFor(tx: Db, principal: Principal): Promise<FederatedToolRow[]> {
  if (!principal.scopes.has(FEDERATED_SCOPE)) return [];
  return tx
    .select()
    .from(federatedTools)
    .where(
      and(
        eq(federatedTools.tenantId, principal.tenantId),
        eq(federatedTools.enabled, true),
        sql`${federatedTools.approvedHash} = ${federatedTools.definitionHash}`,
        sql`${principal.role}::text = any(${federatedTools.allowedRoles})`,
      ),
    )
    .orderBy(asc(federatedTools.federatedName));
}
