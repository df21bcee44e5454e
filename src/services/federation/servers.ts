import type { Db } from '../../db/client';
import type { federatedServers } from '../../db/schema/federation';
import { openTenantJson, sealTenantJson, type SealedAt } from '../keys/sealed-json';
import type { KeyService } from '../keys/tenant-keys';
import type { UpstreamTarget } from './upstream';

export type FederatedServerRow = typeof federatedServers.$inferSelect;

/** The sealed credential's place: it opens only as this server's `auth_secret`. */
const secretAt = (serverId: string): SealedAt => ({ table: 'federated_servers', rowId: serverId, field: 'auth_secret' });

interface SealedSecret {
  secret: string;
}

/** Seals an upstream credential for `serverId` under the tenant's data key. */
export function sealServerSecret(tx: Db, keys: KeyService, tenantId: string, serverId: string, secret: string) {
  return sealTenantJson(tx, keys, tenantId, secretAt(serverId), { secret } satisfies SealedSecret);
}

/**
 * Where and how Pact reaches a federated server: its endpoint, transport, and the headers carrying
 * the sealed credential (bearer → `Authorization: Bearer <secret>`, header → `<auth_header>: <secret>`,
 * none → no header). Opens the secret; the caller keeps it in memory only.
 */
export async function upstreamTargetOf(tx: Db, keys: KeyService, server: FederatedServerRow): Promise<UpstreamTarget> {
  const transport = server.transport === 'sse' ? 'sse' : 'streamable_http';
  const base = { endpointUrl: server.endpointUrl, transport } as const;
  if (server.authKind === 'none' || !server.authSecret) return { ...base, headers: {} };
  const { secret } = await openTenantJson<SealedSecret>(tx, keys, server.tenantId, secretAt(server.id), server.authSecret);
  if (server.authKind === 'bearer') return { ...base, headers: { authorization: `Bearer ${secret}` } };
  return { ...base, headers: { [(server.authHeader ?? 'authorization').toLowerCase()]: secret } };
}
