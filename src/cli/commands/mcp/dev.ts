import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand } from '../../lib/command';
import { CliError, ExitCode } from '../../lib/errors';
import type { Io } from '../../lib/output';
import { DevServer } from '../../lib/dev/supervisor';
import { errorLines, loadPactToml } from '../../lib/project';

export interface DevResult {
  url: string;
  /** How it stopped. */
  signal: string;
}

interface DevOptions {
  port: string;
  host: string;
  entry: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function connectHelp(url: string, host: string): string {
  const remote = LOOPBACK.has(host) ? `npx -y mcp-remote ${url}` : `npx -y mcp-remote ${url} --allow-http`;
  return [
    `  MCP endpoint  ${url}  (Streamable HTTP)`,
    `  mcp-remote    ${remote}`,
    `  Inspector     npx -y @modelcontextprotocol/inspector --transport http --server-url ${url}`,
    `  Claude Desktop (claude_desktop_config.json): { "mcpServers": { "dev": { "command": "npx", "args": ["-y", "mcp-remote", "${url}"] } } }`,
    '',
  ].join('\n');
}

/** Resolves on SIGINT or SIGTERM (Ctrl-C), with the signal's name. */
const interrupted = () =>
  new Promise<string>((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

async function python(cwd: string, port: number, host: string, io: Io): Promise<DevResult> {
  const probe = spawnSync('python3', ['-c', 'import uvicorn, mcp'], { cwd, encoding: 'utf8' });
  if (probe.status !== 0)
    throw new CliError(
      'This is a Python server: `pact mcp dev` runs it with uvicorn, and the Python packages it needs are not installed.',
      ExitCode.Failed,
      `Run \`pip install -r requirements.txt\` (in a virtualenv), then \`pact mcp dev\` again; or run \`uvicorn server:app --reload --port ${port}\` yourself.`,
    );
  const url = `http://${host}:${port}/mcp`;
  io.out(`pact mcp dev: server.py with uvicorn --reload (pact.toml is checked at start only)\n${connectHelp(url, host)}`);
  const child = spawn('python3', ['-m', 'uvicorn', 'server:app', '--reload', '--port', String(port), '--host', host], { cwd, stdio: 'inherit' });
  const signal = await Promise.race([interrupted(), new Promise<string>((resolve) => child.on('exit', (code) => resolve(`exit ${code}`)))]);
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
  }
  return { url, signal };
}

export default defineCommand<DevResult, DevOptions>({
  path: ['mcp', 'dev'],
  summary: 'Run the MCP server in this directory with hot reload (default http://127.0.0.1:9000/mcp)',
  configure: (command) =>
    command
      .option('--port <port>', 'the port to serve on', '9000')
      .option('--host <host>', 'the address to bind (0.0.0.0 to reach it from other machines)', '127.0.0.1')
      .option('--entry <file>', 'the module that exports the server (TypeScript)', 'src/server.ts')
      .addHelpText(
        'after',
        '\nReloads within a moment of a saved change; a change that fails to compile or load, or a pact.toml that does\nnot validate, prints its error and the last good version keeps serving. Ctrl-C stops it.\n\nExample:\n  $ pact mcp dev --port 9000',
      ),
  async run({ options, io }) {
    const cwd = process.cwd();
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number (got "${options.port}").`, ExitCode.Usage);
    const loaded = existsSync(join(cwd, 'pact.toml')) ? await loadPactToml(undefined, cwd) : null;
    if (loaded && !loaded.result.ok) io.err(`pact.toml is not valid:\n${errorLines(loaded)}`);

    if (!existsSync(join(cwd, 'package.json')) && existsSync(join(cwd, 'server.py'))) return python(cwd, port, options.host, io);
    if (!existsSync(join(cwd, options.entry)))
      throw new CliError(`No ${options.entry} here.`, ExitCode.Usage, 'Run `pact mcp dev` in a directory made by `pact init mcp-server NAME`, or pass --entry FILE.');
    if (!existsSync(join(cwd, 'node_modules')))
      throw new CliError('The dependencies are not installed (no node_modules here).', ExitCode.Usage, 'Run `npm install` first.');

    const server = new DevServer({ cwd, entry: options.entry, port, host: options.host, out: io.out, err: io.err });
    const stopped = interrupted();
    try {
      await server.start();
    } catch (error) {
      await server.stop();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new CliError(`Port ${port} is in use.`, ExitCode.Failed, 'Stop what uses it, or pass --port N.');
      throw error;
    }
    io.out(`pact mcp dev: ${options.entry} with hot reload\n${connectHelp(server.url, options.host)}Watching for changes; Ctrl-C stops.\n`);
    await server.load();
    const signal = await stopped;
    await server.stop();
    return { url: server.url, signal };
  },
  render(r, io) {
    io.err(`Stopped (${r.signal}).\n`);
  },
});
