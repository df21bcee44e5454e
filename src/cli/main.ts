import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import keysCreate from './commands/keys/create';
import keysList from './commands/keys/list';
import keysRevoke from './commands/keys/revoke';
import login from './commands/login';
import logout from './commands/logout';
import mcpApprove from './commands/mcp/approve';
import mcpDelete from './commands/mcp/delete';
import mcpDev from './commands/mcp/dev';
import mcpList from './commands/mcp/list';
import mcpPublish from './commands/mcp/publish';
import mcpValidate from './commands/mcp/validate';
import initMcpServer from './commands/init/mcp-server';
import whoami from './commands/whoami';
import type { PactCommand } from './lib/command';
import { CliError, ExitCode } from './lib/errors';
import { processIo, type Io } from './lib/output';

/** Every command. Adding one is a file in `commands/` (see `lib/command.ts`) and a line here. */
const COMMANDS: readonly PactCommand[] = [
  login,
  logout,
  whoami,
  keysCreate,
  keysList,
  keysRevoke,
  initMcpServer,
  mcpDev,
  mcpValidate,
  mcpPublish,
  mcpList,
  mcpApprove,
  mcpDelete,
];

/** What `pact <topic> --help` says about a topic of two-word commands. */
const TOPICS: Readonly<Record<string, string>> = {
  keys: 'Create, list and revoke API keys',
  init: 'Scaffold a project: `pact init mcp-server NAME [--lang ts|py]`',
  mcp: 'Your own MCP server: `pact mcp dev` (hot reload), `pact mcp validate` (pact.toml), then `publish` it into Pact, `list`, `approve`, `delete`',
};

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const PROGRAM_HELP = `
Environment:
  PACT_URL              the Pact server (default http://127.0.0.1:4000)
  PACT_ADMIN_TOKEN      a pact_sess_ or pact_live_ token; takes precedence over \`pact login\`
  PACT_TENANT           tenant slug or id sent as X-Tenant-ID (default: the tenant chosen at login)
  PACT_MCP_AUTH_SECRET  for \`pact mcp publish\`: your MCP server's credential (auth_kind bearer or header)
  PACT_CONFIG_DIR       where credentials.json lives (default $XDG_CONFIG_HOME/pact or ~/.config/pact)

Exit codes:
  0 ok, 1 the server refused or failed (or pact.toml is not valid), 2 usage error,
  3 not logged in or credentials refused, 4 cannot reach PACT_URL`;

/** The commander program; output goes through `io` so tests and the bin share it. */
export function buildProgram(io: Io): Command {
  const program = new Command('pact')
    .description('Pact from the command line: sign in, inspect your identity, manage API keys, build your own MCP server.')
    .version(VERSION, '-v, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', PROGRAM_HELP);

  const parentOf = (topic: string): Command =>
    program.commands.find((c) => c.name() === topic) ??
    program.command(topic).description(TOPICS[topic] ?? `${topic} commands`);

  for (const spec of COMMANDS) {
    const [first, second] = spec.path as [string, string?];
    const command = (second ? parentOf(first).command(second) : program.command(first)).description(spec.summary);
    spec.configure(command);
    command.action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      await spec.execute(self.args.slice(0, self.registeredArguments.length), self.opts(), io);
    });
  }
  return program;
}

/** Runs `pact` and returns its exit code: errors go to stderr as `error:` and `hint:` lines. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    if (error instanceof CliError) {
      io.err(`error: ${error.message}\n`);
      if (error.hint) io.err(`hint: ${error.hint}\n`);
      return error.exitCode;
    }
    io.err(`error: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Failed;
  }
}
