import { ADMIN_ROLES } from '../../services/auth/scopes';
import { discoverMcpServer, type DiscoveryView } from '../../services/federation/discovery';
import { approveMcpTool, governMcpTools, setMcpToolEnabled } from '../../services/federation/governance';
import { deleteMcpServer, listMcpServers, registerMcpServer, type McpServerView, type McpToolView } from '../../services/federation/servers';
import { builder } from '../builder';
import { svc } from '../context';

const McpTransport = builder.enumType('McpTransport', {
  description: 'How Pact reaches a federated MCP server.',
  values: { STREAMABLE_HTTP: { value: 'streamable_http' }, SSE: { value: 'sse', description: 'The legacy HTTP+SSE transport (2024-11-05).' } } as const,
});

const McpAuthKind = builder.enumType('McpAuthKind', {
  description: 'How Pact presents its credential to the server (OAuth is not supported).',
  values: {
    NONE: { value: 'none' },
    BEARER: { value: 'bearer', description: '`Authorization: Bearer <secret>`.' },
    HEADER: { value: 'header', description: '`<authHeader>: <secret>`.' },
  } as const,
});

const McpServerStatus = builder.enumType('McpServerStatus', {
  values: {
    PENDING: { value: 'pending', description: 'Registered, not yet discovered.' },
    ACTIVE: { value: 'active', description: 'The last discovery succeeded.' },
    ERROR: { value: 'error', description: 'The last discovery failed (`lastError`); the tools found earlier are kept.' },
  } as const,
});

const PiiPolicy = builder.enumType('PiiPolicy', {
  description: "What the gateway does with the tenant's contacts' personal data in a tool's result.",
  values: {
    REDACT: { value: 'redact', description: 'Replaced by placeholders such as `[redacted:email]`.' },
    ALLOW: { value: 'allow', description: 'Passed unchanged.' },
    BLOCK: { value: 'block', description: 'The result is refused (PII_BLOCKED).' },
  } as const,
});

const McpTool = builder.objectRef<McpToolView>('McpTool').implement({
  description: 'A tool of a federated MCP server, with the governance applied to it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: "The upstream's tool name." }),
    federatedName: t.exposeString('federatedName', { description: 'The name Pact lists it under: `<slug>__<tool>`.' }),
    title: t.exposeString('title', { nullable: true }),
    description: t.exposeString('description'),
    enabled: t.exposeBoolean('enabled'),
    callable: t.exposeBoolean('callable', { description: 'Enabled and its current definition approved: the gateway may call it.' }),
    disabledReason: t.exposeString('disabledReason', {
      nullable: true,
      description: 'Why it is not callable: `no_entry`, `disabled_in_config`, `definition_changed` or `removed_upstream`.',
    }),
    changed: t.exposeBoolean('changed', { description: "The upstream's definition differs from the approved one (approveMcpTool)." }),
    allowedRoles: t.exposeStringList('allowedRoles', { description: 'Tenant roles that may call it; `api` lets API keys call it.' }),
    rateLimitPerMin: t.exposeInt('rateLimitPerMin'),
    costCapCents: t.exposeFloat('costCapCents', { nullable: true, description: "The tenant's daily budget for this tool; null = no cap." }),
    estCostCents: t.exposeFloat('estCostCents', { description: 'Charged to the ledger per call.' }),
    piiPolicy: t.field({ type: PiiPolicy, resolve: (tool) => tool.piiPolicy as 'redact' | 'allow' | 'block' }),
    consentSubject: t.exposeString('consentSubject', { nullable: true, description: 'The argument naming the data subject checked against consent before a call.' }),
  }),
});

const McpServer = builder.objectRef<McpServerView>('McpServer').implement({
  description: "An author's MCP server published into the tenant. Its credential is never shown.",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    endpointUrl: t.exposeString('endpointUrl'),
    transport: t.field({ type: McpTransport, resolve: (s) => s.transport as 'streamable_http' | 'sse' }),
    authKind: t.field({ type: McpAuthKind, resolve: (s) => s.authKind as 'none' | 'bearer' | 'header' }),
    authHeader: t.exposeString('authHeader', { nullable: true }),
    hasSecret: t.exposeBoolean('hasSecret', { description: 'A credential is stored (sealed under the tenant key).' }),
    status: t.field({ type: McpServerStatus, resolve: (s) => s.status as 'pending' | 'active' | 'error' }),
    lastError: t.exposeString('lastError', { nullable: true }),
    protocolVersion: t.exposeString('protocolVersion', { nullable: true, description: 'The protocol revision the last discovery negotiated.' }),
    discoveredAt: t.expose('discoveredAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    tools: t.field({ type: [McpTool], resolve: (s) => s.tools }),
  }),
});

const McpDiscovery = builder.objectRef<DiscoveryView>('McpDiscovery').implement({
  fields: (t) => ({
    server: t.field({ type: McpServer, resolve: (d) => d.server }),
    discovered: t.exposeStringList('discovered', { description: 'Every tool the server lists now.' }),
    changed: t.exposeStringList('changed', { description: 'Tools whose definition differs from the approved one.' }),
    removed: t.exposeStringList('removed', { description: 'Tools the server no longer lists (switched off).' }),
  }),
});

const McpServerInput = builder.inputType('McpServerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    slug: t.string({ required: true, description: 'Lowercase letters, digits and hyphens (1–32): tools are listed as `<slug>__<tool>`.' }),
    endpointUrl: t.string({ required: true }),
    transport: t.field({ type: McpTransport, required: true }),
    authKind: t.field({ type: McpAuthKind, required: true }),
    authHeader: t.string({ description: 'The header carrying the secret (authKind HEADER).' }),
    authSecret: t.string({ description: 'Sealed under the tenant key, never returned; kept as it is when absent on an update.' }),
  }),
});

const McpToolGovernanceInput = builder.inputType('McpToolGovernanceInput', {
  fields: (t) => ({
    tool: t.string({ required: true }),
    enabled: t.boolean({ required: true }),
    allowedRoles: t.stringList({ required: true, description: 'Any of owner, admin, manager, member, api.' }),
    rateLimitPerMin: t.int({ description: "Calls per minute per tenant; the server's declaration, else 60, when absent." }),
    costCapCents: t.float({ description: 'Daily budget; none when absent.' }),
    estCostCents: t.float({ description: "Charged per call; the server's declaration, else 0, when absent." }),
    piiPolicy: t.field({ type: PiiPolicy, description: 'REDACT when absent.' }),
  }),
});

/** Owners and admins with `admin:mcp`; an API key (role api) is refused by the role gate. */
const publishers = { roles: ADMIN_ROLES, scope: 'admin:mcp', roleAction: 'Publishing MCP servers' } as const;

builder.queryField('mcpServers', (t) =>
  t.field({
    type: [McpServer],
    ...publishers,
    description: "The tenant's federated MCP servers, their tools and governance.",
    resolve: (_, __, ctx) => listMcpServers(svc(ctx)),
  }),
);

builder.mutationFields((t) => ({
  registerMcpServer: t.field({
    type: McpServer,
    ...publishers,
    description: 'Registers an MCP server, or updates the one with the same slug in place; the secret is replaced only when given.',
    args: { input: t.arg({ type: McpServerInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      registerMcpServer(svc(ctx), { ...input, authHeader: input.authHeader ?? null, authSecret: input.authSecret ?? null }, ctx.services.upstreams.allowPrivate),
  }),
  discoverMcpServer: t.field({
    type: McpDiscovery,
    ...publishers,
    description: 'Connects to the server as an MCP client and stores its tools; an unreachable or non-MCP endpoint answers an UPSTREAM_* error and changes no tool.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => discoverMcpServer(svc(ctx), String(id), ctx.services.upstreams),
  }),
  governMcpTools: t.field({
    type: McpServer,
    ...publishers,
    description: "Applies the server's governance in place; tools not listed are switched off (`no_entry`).",
    args: { serverId: t.arg.id({ required: true }), tools: t.arg({ type: [McpToolGovernanceInput], required: true }) },
    resolve: (_, args, ctx) => governMcpTools(svc(ctx), String(args.serverId), args.tools.map((tool) => ({ ...tool, allowedRoles: tool.allowedRoles }))),
  }),
  approveMcpTool: t.field({
    type: McpTool,
    ...publishers,
    description: "Approves a tool's current definition, so a changed tool becomes callable again.",
    args: { serverId: t.arg.id({ required: true }), tool: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => approveMcpTool(svc(ctx), String(args.serverId), args.tool),
  }),
  setMcpToolEnabled: t.field({
    type: McpTool,
    ...publishers,
    description: 'Switches one tool on or off, keeping the rest of its governance.',
    args: { serverId: t.arg.id({ required: true }), tool: t.arg.string({ required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_, args, ctx) => setMcpToolEnabled(svc(ctx), String(args.serverId), args.tool, args.enabled),
  }),
  deleteMcpServer: t.field({
    type: 'Boolean',
    ...publishers,
    description: 'Deletes the server and its tools, at once on every instance.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, { id }, ctx) => deleteMcpServer(svc(ctx), String(id)),
  }),
}));
