/**
 * One version of an author's server under `pact mcp dev`: imports the entry module (run through
 * tsx), serves it (`serve()`, path /mcp) on an ephemeral loopback port and tells the supervisor over IPC:
 * `{ type: 'ready', port }` or `{ type: 'error', message }`. It exits when the supervisor goes
 * away (IPC disconnect) or sends SIGTERM; a terminal's Ctrl-C is the supervisor's to handle.
 */
import { pathToFileURL } from 'node:url';

export type WorkerMessage = { type: 'ready'; port: number; tools: string[] } | { type: 'error'; message: string };

/** What the worker needs of a `PactServer` (structural: the author's copy of @pact/mcp-server is not the CLI's). */
interface Serves {
  serve(options: { port: number; host: string }): Promise<{ port: number; close(): Promise<void> }>;
  listTools?(): { name: string }[];
}

const send = (message: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));

/** The error as the author needs it: message and their own frames, not node's internals. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const stack = (error.stack ?? error.message).split('\n').filter((line) => !/\(node:|node:internal|\/tsx\/dist\//.test(line));
  return stack.join('\n');
}

const entry = process.argv[2];
try {
  if (!entry) throw new Error('no entry module given');
  const module = (await import(pathToFileURL(entry).href)) as { default?: unknown; server?: unknown };
  const server = (module.default ?? module.server) as Partial<Serves> | undefined;
  if (!server || typeof server.serve !== 'function')
    throw new Error(`${entry} must export the server made by createPactServer() (\`export default server\` or \`export const server\`).`);
  const running = await server.serve({ port: 0, host: '127.0.0.1' });
  process.on('SIGTERM', () => void running.close().finally(() => process.exit(0)));
  await send({ type: 'ready', port: running.port, tools: server.listTools?.().map((t) => t.name) ?? [] });
} catch (error) {
  await send({ type: 'error', message: describe(error) });
  process.exit(1);
}
