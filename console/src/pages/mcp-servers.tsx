import { Page } from '../ui';

export function McpServersPage() {
  return (
    <Page title="Connected MCP servers">
      <div className="state empty" role="status">
        <strong>Publishing MCP servers is not available yet.</strong>
        <p>
          Once a tool author publishes a server to this workspace, it will be listed here with its tools, their governance and status, a way to approve a tool whose
          description changed, and to enable or disable it.
        </p>
      </div>
    </Page>
  );
}
