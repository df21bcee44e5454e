import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { run } from '../api';
import { ApproveMcpToolDocument, DiscoverMcpServerDocument, McpServersDocument, SetMcpToolEnabledDocument, type McpServersQuery } from '../ops';
import { Confirm, Empty, ErrorState, Loading, Page, cents, when } from '../ui';

type Server = McpServersQuery['mcpServers'][number];
type Tool = Server['tools'][number];

/** Why a tool is not callable, in words. */
const REASONS: Record<string, string> = {
  no_entry: 'not in the governance file',
  disabled_in_config: 'disabled by an admin',
  definition_changed: 'its definition changed: approve it to call it again',
  removed_upstream: 'the server no longer lists it',
};

/** A tool's state as people read it. */
export function toolStatus(tool: Pick<Tool, 'callable' | 'enabled' | 'changed' | 'disabledReason'>): { label: string; tone: 'ok' | 'warn' | 'off' } {
  if (tool.callable) return { label: 'Callable', tone: 'ok' };
  if (tool.changed) return { label: 'Changed — needs approval', tone: 'warn' };
  if (!tool.enabled) return { label: `Disabled${tool.disabledReason ? ` (${REASONS[tool.disabledReason] ?? tool.disabledReason})` : ''}`, tone: 'off' };
  return { label: tool.disabledReason ? REASONS[tool.disabledReason] ?? tool.disabledReason : 'Not callable', tone: 'off' };
}

type Pending = { kind: 'approve' | 'enable' | 'disable'; server: Server; tool: Tool } | { kind: 'discover'; server: Server };

/** What each action does, said before it is done. */
export function explainMcpAction(pending: Pending): string {
  if (pending.kind === 'discover') {
    return `Pact connects to ${pending.server.endpointUrl} with the server's stored credential and lists its tools again. New tools are stored disabled until governed; a tool whose definition changed stops being callable until approved; a tool the server no longer lists is disabled. If the server cannot be reached, nothing changes.`;
  }
  const name = pending.tool.federatedName;
  if (pending.kind === 'approve') {
    return `${name} becomes callable again with its new definition (description, input and output schemas as the server lists them now). Its governance (roles, rate limit, cost cap, PII policy) stays as it is.`;
  }
  if (pending.kind === 'enable') return `${name} becomes callable by the roles allowed to call it (${pending.tool.allowedRoles.join(', ') || 'none yet'}), through /graphql and MCP.`;
  return `${name} is refused to every caller from their next call, on every instance. Its governance is kept, so enabling it again restores it as it was.`;
}

function ToolsTable({ server, onAction }: { server: Server; onAction: (p: Pending) => void }) {
  if (server.tools.length === 0) return <Empty>No tools discovered yet: rediscover once the server is reachable.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid={`tools-${server.slug}`}>
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Status</th>
            <th scope="col">Roles</th>
            <th scope="col">Limit / cost</th>
            <th scope="col">PII · consent</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {server.tools.map((t) => {
            const status = toolStatus(t);
            return (
              <tr key={t.id} data-testid={`tool-${t.federatedName}`}>
                <td>
                  <code>{t.federatedName}</code>
                  <br />
                  <span className="hint">{t.title ?? t.description}</span>
                </td>
                <td className={`tool-${status.tone}`}>{status.label}</td>
                <td>{t.allowedRoles.length > 0 ? t.allowedRoles.join(', ') : '—'}</td>
                <td>
                  {t.rateLimitPerMin}/min · est. {cents(t.estCostCents)}
                  {t.costCapCents !== null ? ` · cap ${cents(t.costCapCents)}/day` : ''}
                </td>
                <td>
                  {t.piiPolicy.toLowerCase()}
                  {t.consentSubject ? ` · ${t.consentSubject}` : ''}
                </td>
                <td>
                  <div className="actions">
                    {t.changed ? (
                      <button type="button" className="primary" onClick={() => onAction({ kind: 'approve', server, tool: t })}>
                        Approve
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className={t.enabled ? 'danger' : undefined}
                      aria-label={`${t.enabled ? 'Disable' : 'Enable'} ${t.federatedName}`}
                      onClick={() => onAction({ kind: t.enabled ? 'disable' : 'enable', server, tool: t })}
                    >
                      {t.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Owners and admins: the federated MCP servers published into the tenant, their tools, governance and status. */
export function McpServersPage() {
  const client = useQueryClient();
  const servers = useQuery({ queryKey: ['mcp-servers'], queryFn: () => run(McpServersDocument) });
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useMutation({
    mutationFn: async (p: Pending): Promise<string> => {
      if (p.kind === 'discover') {
        const { discoverMcpServer: d } = await run(DiscoverMcpServerDocument, { id: p.server.id });
        return `Rediscovered ${p.server.name}: ${d.discovered.length} tool(s) listed, ${d.changed.length} changed, ${d.removed.length} removed.`;
      }
      if (p.kind === 'approve') {
        await run(ApproveMcpToolDocument, { serverId: p.server.id, tool: p.tool.name });
        return `Approved ${p.tool.federatedName}.`;
      }
      await run(SetMcpToolEnabledDocument, { serverId: p.server.id, tool: p.tool.name, enabled: p.kind === 'enable' });
      return `${p.kind === 'enable' ? 'Enabled' : 'Disabled'} ${p.tool.federatedName}.`;
    },
    onSuccess: (message) => {
      setPending(null);
      setDone(message);
      void client.invalidateQueries({ queryKey: ['mcp-servers'] });
    },
  });
  const items = servers.data?.mcpServers;
  return (
    <Page title="Connected MCP servers">
      {done ? (
        <p className="hint" role="status" data-testid="mcp-done">
          {done}
        </p>
      ) : null}
      {servers.isPending ? (
        <Loading what="Loading MCP servers" />
      ) : servers.error ? (
        <ErrorState error={servers.error} retry={() => void servers.refetch()} />
      ) : !items || items.length === 0 ? (
        <Empty>No MCP server is published to this workspace yet. A tool author publishes one with `pact mcp publish`.</Empty>
      ) : (
        items.map((s) => (
          <section key={s.id} className="card" aria-labelledby={`server-${s.slug}`} data-testid={`server-${s.slug}`}>
            <div className="page-head">
              <h2 id={`server-${s.slug}`}>
                {s.name} <span className="hint">({s.slug})</span>
              </h2>
              <button type="button" onClick={() => setPending({ kind: 'discover', server: s })}>
                Rediscover
              </button>
            </div>
            <dl className="fields">
              <dt>Status</dt>
              <dd data-testid={`status-${s.slug}`} className={s.status === 'ERROR' ? 'tool-warn' : undefined}>
                {s.status}
                {s.lastError ? ` — ${s.lastError}` : ''}
              </dd>
              <dt>Endpoint</dt>
              <dd>
                <code>{s.endpointUrl}</code> · {s.transport === 'SSE' ? 'legacy SSE' : 'Streamable HTTP'}
                {s.protocolVersion ? ` · MCP ${s.protocolVersion}` : ''}
              </dd>
              <dt>Credential</dt>
              <dd>{s.authKind === 'NONE' ? 'none' : `${s.authKind === 'BEARER' ? 'bearer token' : `header ${s.authHeader ?? ''}`} · ${s.hasSecret ? 'stored sealed' : 'missing'}`}</dd>
              <dt>Discovered</dt>
              <dd>{s.discoveredAt ? when(s.discoveredAt) : 'never'}</dd>
            </dl>
            <ToolsTable server={s} onAction={setPending} />
          </section>
        ))
      )}
      {pending ? (
        <Confirm
          title={
            pending.kind === 'discover'
              ? `Rediscover ${pending.server.name}?`
              : `${pending.kind === 'approve' ? 'Approve' : pending.kind === 'enable' ? 'Enable' : 'Disable'} ${pending.tool.federatedName}?`
          }
          confirmLabel={pending.kind === 'discover' ? 'Rediscover' : pending.kind === 'approve' ? 'Approve' : pending.kind === 'enable' ? 'Enable' : 'Disable'}
          danger={pending.kind === 'disable'}
          busy={action.isPending}
          onCancel={() => {
            setPending(null);
            action.reset();
          }}
          onConfirm={() => action.mutate(pending)}
        >
          <p>{explainMcpAction(pending)}</p>
          {action.error ? <ErrorState error={action.error} /> : null}
        </Confirm>
      ) : null}
    </Page>
  );
}
