/**
 * One version of an author's server under `pact mcp dev`. The supervisor starts it ahead of time
 * (a warm spare): it loads tsx and preloads the project's dependencies (the SDK, zod: modules a
 * save does not change), says `{ type: 'warm' }`, then waits for `{ type: 'load', entry }`. It then
 * imports the entry module, serves it (`serve()`, path /mcp) on an ephemeral loopback port and
 * answers `{ type: 'ready', port, tools }` or `{ type: 'error', message }`. It exits when the
 * supervisor goes away (IPC disconnect) or sends SIGTERM; a terminal's Ctrl-C is the supervisor's.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type WorkerMessage = { type: 'warm' } | { type: 'ready'; port: number; tools: string[] } | { type: 'error'; message: string };
export type SupervisorMessage = { type: 'load'; entry: string };

/** What the worker needs of a `PactServer` (structural: the author's copy of @pact/mcp-server is not the CLI's). */
interface Serves {
  serve(options: { port: number; host: string }): Promise<{ port: number; close(): Promise<void> }>;
  listTools?(): { name: string }[];
}

const send = (message: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

/** The error as the author needs it: message and their own frames, not node's internals. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stack = (error.stack ?? error.message).split('\n').filter((line) => !/\(node:|node:internal|\/tsx\/dist\/|\/esbuild\/lib\/|dev\/worker\.ts/.test(line));
  return stack.join('\n');
}

/** Imports the project's runtime dependencies as the project resolves them; a failure is the entry's to report. */
async function preload(cwd: string, names: string[]): Promise<void> {
  const require = createRequire(join(cwd, 'package.json'));
  for (const name of names) {
    try {
      await import(pathToFileURL(require.resolve(name)).href);
    } catch {
      // not resolvable this way (or fails to load): the entry's import will say so
    }
  }
}

async function load(entry: string): Promise<void> {
  try {
    const module = (await import(pathToFileURL(entry).href)) as { default?: unknown; server?: unknown };
    const server = (module.default ?? module.server) as Partial<Serves> | undefined;
    if (!server || typeof server.serve !== 'function')
      throw new Error(`${entry} must export the server made by createPactServer() (\`export default server\` or \`export const server\`).`);
    const running = await server.serve({ port: 0, host: '127.0.0.1' });
    process.removeAllListeners('SIGTERM');
    process.on('SIGTERM', () => void running.close().finally(() => process.exit(0)));
    await send({ type: 'ready', port: running.port, tools: server.listTools?.().map((t) => t.name) ?? [] });
  } catch (error) {
    await send({ type: 'error', message: describe(error) });
    process.exit(1);
  }
}

const warm = preload(process.cwd(), JSON.parse(process.env.PACT_DEV_PRELOAD ?? '[]') as string[]).then(() => send({ type: 'warm' }));
process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'load') void warm.then(() => load(message.entry));
});
