import { defineCommand } from '../../lib/command';
import { resolveCredential } from '../../lib/credentials';
import { CliError, ExitCode } from '../../lib/errors';
import { mcpAdmin, serverBySlug, slugOf, type McpServerView } from '../../lib/mcp-servers';

export interface DeleteResult {
  deleted: Pick<McpServerView, 'id' | 'name' | 'slug' | 'endpointUrl'>;
  tools: string[];
}

export default defineCommand<DeleteResult, { config?: string; json?: boolean }>({
  path: ['mcp', 'delete'],
  summary: 'Remove a published MCP server: its federated tools are refused at once, on every instance',
  json: true,
  configure: (command) =>
    command
      .argument('[slug]', "the server's slug (default: the one in pact.toml)")
      .option('--config <file>', 'the pact.toml naming the server when SLUG is not given', 'pact.toml')
      .addHelpText('after', '\nLike `pact keys revoke`, it asks nothing. Owners and admins only.\n\nExamples:\n  $ pact mcp delete            # the server of ./pact.toml\n  $ pact mcp delete custom'),
  async run({ args, options, io }) {
    const slug = await slugOf(args[0], options.config);
    const admin = mcpAdmin(await resolveCredential(io.env));
    const server = await serverBySlug(admin, slug);
    if (!(await admin.remove(server.id))) throw new CliError(`Pact did not delete MCP server '${slug}'.`, ExitCode.Failed);
    return { deleted: { id: server.id, name: server.name, slug: server.slug, endpointUrl: server.endpointUrl }, tools: server.tools.map((t) => t.federatedName) };
  },
  render({ deleted, tools }, io) {
    io.out(`Deleted MCP server '${deleted.name}' (slug ${deleted.slug}) and its ${tools.length} tool(s); calls to ${deleted.slug}__* are refused from now on.\n`);
  },
});
