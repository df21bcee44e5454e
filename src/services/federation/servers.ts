import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { federatedServers, federatedTools } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import { newId } from '../../lib/ids';
import { toCents } from '../audit/call';
import type { ServiceContext } from '../context';
import { requireId, requiredText } from '../input';
import { openTenantJson, sealTenantJson, type SealedAt } from '../keys/sealed-json';
import type { KeyService } from '../keys/tenant-keys';
import { SLUG_PATTERN } from './definition';
import type { UpstreamTarget } from './upstream';

export type FederatedServerRow = typeof federatedServers.$inferSelect;
export type FederatedToolRow = typeof federatedTools.$inferSelect;

export type McpTransport = 'streamable_http' | 'sse';
export type McpAuthKind = 'none' | 'bearer' | 'header';

/** A federated tool as the admin API shows it. */
export interface McpToolView extends FederatedToolRow {
  /** Enabled and its current definition is the approved one: the gateway may call it. */
  callable: boolean;
  /** The upstream's definition differs from the approved one (approve it with `approveMcpTool`). */
  changed: boolean;
  costCapCents: number | null;
  estCostCents: number;
}

/** A federated server as the admin API shows it: never the credential, only whether one is stored. */
export interface McpServerView extends Omit<FederatedServerRow, 'authSecret'> {
  hasSecret: boolean;
  tools: McpToolView[];
}

export interface McpServerInput {
  name: string;
  slug: string;
  endpointUrl: string;
  transport: McpTransport;
  authKind: McpAuthKind;
  authHeader?: string | null | undefined;
  authSecret?: string | null | undefined;
}

/** The sealed credential's place: it opens only as this server's `auth_secret`. */
const secretAt = (serverId: string): SealedAt => ({ table: 'federated_servers', rowId: serverId, field: 'auth_secret' });

interface SealedSecret {
  secret: string;
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

export function toolView(row: FederatedToolRow): McpToolView {
  const changed = row.approvedHash !== row.definitionHash;
  return {
    ...row,
    callable: row.enabled && !changed,
    changed,
    costCapCents: row.costCapMicrocents === null ? null : toCents(row.costCapMicrocents),
    estCostCents: toCents(row.estCostMicrocents),
  };
}

function serverView(row: FederatedServerRow, tools: FederatedToolRow[]): McpServerView {
  const { authSecret, ...rest } = row;
  return { ...rest, hasSecret: authSecret !== null, tools: tools.filter((t) => t.serverId === row.id).map(toolView) };
}

/** The server `id` of the caller's tenant, optionally locked for update; NOT_FOUND otherwise. */
export async function findServer(ctx: ServiceContext, id: string, forUpdate = false): Promise<FederatedServerRow> {
  const query = ctx.tx
    .select()
    .from(federatedServers)
    .where(and(eq(federatedServers.tenantId, ctx.principal.tenantId), eq(federatedServers.id, requireId(id))));
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) throw new PactError(ErrorCode.NotFound, 'No MCP server with this id in this tenant.');
  return row;
}

/** The tools of the given servers, by name. */
export function toolsOf(ctx: ServiceContext, serverIds: string[]): Promise<FederatedToolRow[]> {
  if (serverIds.length === 0) return Promise.resolve([]);
  return ctx.tx
    .select()
    .from(federatedTools)
    .where(and(eq(federatedTools.tenantId, ctx.principal.tenantId), inArray(federatedTools.serverId, serverIds)))
    .orderBy(asc(federatedTools.name));
}

/** One server with its tools, as the API shows it. */
export async function mcpServer(ctx: ServiceContext, id: string): Promise<McpServerView> {
  const row = await findServer(ctx, id);
  return serverView(row, await toolsOf(ctx, [row.id]));
}

/** Every federated server of the tenant (by slug) with its tools and their governance. */
export async function listMcpServers(ctx: ServiceContext): Promise<McpServerView[]> {
  const rows = await ctx.tx.select().from(federatedServers).where(eq(federatedServers.tenantId, ctx.principal.tenantId)).orderBy(asc(federatedServers.slug));
  const tools = await toolsOf(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map((row) => serverView(row, tools));
}

/** Header names the credential may not be sent as (they steer the HTTP exchange itself). */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'accept', 'accept-encoding', 'connection', 'transfer-encoding', 'cookie', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id']);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

function checkEndpoint(value: string, allowPrivate: boolean): string {
  const text = requiredText(value, 'endpointUrl', 2048);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(ErrorCode.BadUserInput, '`endpointUrl` must be an absolute URL (https://…).', { field: 'endpointUrl' });
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw badInput(ErrorCode.BadUserInput, '`endpointUrl` must use https (plain http only with PACT_ALLOW_PRIVATE_UPSTREAMS, for development).', { field: 'endpointUrl' });
  }
  if (url.username || url.password) throw badInput(ErrorCode.BadUserInput, '`endpointUrl` must not carry credentials: use authKind and authSecret.', { field: 'endpointUrl' });
  if (url.hash) throw badInput(ErrorCode.BadUserInput, '`endpointUrl` must not have a #fragment.', { field: 'endpointUrl' });
  return url.href;
}

function checkSlug(value: string): string {
  const slug = value.trim();
  if (!SLUG_PATTERN.test(slug) || slug.includes('__')) {
    throw badInput(ErrorCode.BadUserInput, '`slug` must be 1 to 32 lowercase letters, digits or hyphens (it prefixes the tool names as `<slug>__<tool>`).', { field: 'slug' });
  }
  return slug;
}

/** The credential settings checked together: what to store, and whether the stored secret is kept. */
function checkAuth(input: McpServerInput, existing: FederatedServerRow | undefined): { authHeader: string | null; secret: string | null | 'keep' } {
  const secret = input.authSecret ?? null;
  if (secret !== null && (secret.length === 0 || secret.length > 4096 || /[\r\n\0]/.test(secret))) {
    throw badInput(ErrorCode.BadUserInput, '`authSecret` must be 1 to 4096 characters on one line.', { field: 'authSecret' });
  }
  if (input.authKind === 'none') {
    if (secret !== null || input.authHeader) throw badInput(ErrorCode.BadUserInput, 'authKind NONE takes no `authHeader` or `authSecret`.', { field: 'authKind' });
    return { authHeader: null, secret: null };
  }
  let authHeader: string | null = null;
  if (input.authKind === 'header') {
    const name = input.authHeader?.trim() ?? '';
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      throw badInput(ErrorCode.BadUserInput, 'authKind HEADER needs `authHeader`, an HTTP header name that is not one the exchange itself uses (e.g. X-Api-Key).', { field: 'authHeader' });
    }
    authHeader = name;
  } else if (input.authHeader) {
    throw badInput(ErrorCode.BadUserInput, '`authHeader` is only for authKind HEADER (BEARER sends `Authorization: Bearer …`).', { field: 'authHeader' });
  }
  if (secret !== null) return { authHeader, secret };
  if (existing?.authSecret && existing.authKind !== 'none') return { authHeader, secret: 'keep' };
  throw badInput(ErrorCode.BadUserInput, `authKind ${input.authKind.toUpperCase()} needs \`authSecret\` (PACT_MCP_AUTH_SECRET for \`pact mcp publish\`).`, { field: 'authSecret' });
}

/**
 * Registers a server, or updates the tenant's server with the same slug in place (publishing again):
 * the secret is sealed under the tenant's data key and replaced only when a new one is given.
 */
export async function registerMcpServer(ctx: ServiceContext, input: McpServerInput, allowPrivate: boolean): Promise<McpServerView> {
  const tenantId = ctx.principal.tenantId;
  const slug = checkSlug(input.slug);
  const name = requiredText(input.name, 'name', 120);
  const endpointUrl = checkEndpoint(input.endpointUrl, allowPrivate);
  const [existing] = await ctx.tx
    .select()
    .from(federatedServers)
    .where(and(eq(federatedServers.tenantId, tenantId), eq(federatedServers.slug, slug)))
    .for('update');
  const auth = checkAuth(input, existing);
  const id = existing?.id ?? newId();
  const authSecret = auth.secret === 'keep' ? existing?.authSecret ?? null : auth.secret === null ? null : await sealTenantJson(ctx.tx, ctx.keys, tenantId, secretAt(id), { secret: auth.secret } satisfies SealedSecret);
  const values = { name, endpointUrl, transport: input.transport, authKind: input.authKind, authHeader: auth.authHeader, authSecret, updatedAt: new Date() };
  if (existing) await ctx.tx.update(federatedServers).set(values).where(and(eq(federatedServers.tenantId, tenantId), eq(federatedServers.id, id)));
  else await ctx.tx.insert(federatedServers).values({ id, tenantId, slug, ...values, status: 'pending', createdBy: ctx.principal.userId ?? null });
  return mcpServer(ctx, id);
}

/** Deletes a server and its tools (at once for every instance: the gateway reads them per request). */
export async function deleteMcpServer(ctx: ServiceContext, id: string): Promise<boolean> {
  const server = await findServer(ctx, id, true);
  await ctx.tx.delete(federatedServers).where(and(eq(federatedServers.tenantId, ctx.principal.tenantId), eq(federatedServers.id, server.id)));
  return true;
}
