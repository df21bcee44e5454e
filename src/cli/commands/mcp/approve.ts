import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { CliError, ExitCode } from '../../lib/errors';
import { whyNotCallable } from '../../lib/mcp-output';
import { mcpAdmin, serverBySlug, type McpToolView } from '../../lib/mcp-servers';

export interface ApproveResult {
  slug: string;
  tool: McpToolView;
}

export default defineCommand<ApproveResult, { json?: boolean }>({
  path: ['mcp', 'approve'],
  summary: "Approve a tool's changed definition (description or schemas) so that it is callable again",
  json: true,
  configure: (command) =>
    command
      .argument('<slug>', "the server's slug")
      .argument('<tool>', "the tool's upstream name (as in pact.toml)")
      .addHelpText('after', '\nA tool whose definition changed upstream stays disabled until approved. Owners and admins only.\n\nExample:\n  $ pact mcp approve custom lookup_orders'),
  async run({ args, io }) {
    const [slug = '', name = ''] = args;
    const admin = mcpAdmin(await resolveCredential(io.env));
    const server = await serverBySlug(admin, slug);
    if (!server.tools.some((t) => t.name === name)) {
      const known = server.tools.map((t) => t.name).sort();
      throw new CliError(`MCP server '${slug}' has no tool '${name}'.`, ExitCode.Failed, known.length ? `Its tools: ${known.join(', ')}.` : null);
    }
    return { slug, tool: await admin.approve(server.id, name) };
  },
  render({ slug, tool }, io) {
    const why = whyNotCallable(slug, tool);
    io.out(
      why === null
        ? `Approved the definition of '${tool.name}': ${tool.federatedName} is callable.\n`
        : `Approved the definition of '${tool.name}'; ${tool.federatedName} stays disabled: ${why}.\n`,
    );
  },
});
