import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { serversText } from '../../lib/mcp-output';
import { mcpAdmin, type McpServerView } from '../../lib/mcp-servers';

export default defineCommand<McpServerView[], { json?: boolean }>({
  path: ['mcp', 'list'],
  summary: 'List the published MCP servers: status, each tool with its governance and why it is disabled',
  json: true,
  configure: (command) =>
    command.addHelpText(
      'after',
      `
A tool is callable when it is enabled and its definition is the one approved; WHY says what stops
the others: no pact.toml entry, disabled in pact.toml, removed upstream, or a definition changed
upstream (\`pact mcp approve SLUG TOOL\`). Owners and admins only.

Examples:
  $ pact mcp list
  $ pact mcp list --json`,
    ),
  async run({ io }) {
    return mcpAdmin(await resolveCredential(io.env)).servers();
  },
  render(servers, io) {
    if (servers.length === 0) {
      io.err('No MCP servers are published in this tenant. Publish one with `pact mcp publish` in a directory with a pact.toml.\n');
      return;
    }
    io.out(serversText(servers));
  },
});
