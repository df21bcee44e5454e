/**
 * One version of an author's server under `pact mcp dev`: imports the entry module (run through
 * tsx), serves its `app()` on an ephemeral loopback port and tells the supervisor over IPC:
 * `{ type: 'ready', port }` or `{ type: 'error', message }`. It exits when the supervisor goes
 * away (IPC disconnect) or sends SIGTERM; a terminal's Ctrl-C is the supervisor's to handle.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createServerAdapter } from '@whatwg-node/server';

export type WorkerMessage = { type: 'ready'; port: number } | { type: 'error'; message: string };

interface ServesFetch {
  app(): (request: Request) => Promise<Response> | Response;
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
  const server = (module.default ?? module.server) as Partial<ServesFetch> | undefined;
  if (!server || typeof server.app !== 'function')
    throw new Error(`${entry} must export the server made by createPactServer() (\`export default server\` or \`export const server\`).`);
  const handler = server.app();
  const http = createServer(createServerAdapter((request: Request) => handler(request)));
  http.on('error', (error) => void send({ type: 'error', message: describe(error) }).then(() => process.exit(1)));
  http.listen(0, '127.0.0.1', () => {
    const address = http.address();
    void send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('SIGTERM', () => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
} catch (error) {
  await send({ type: 'error', message: describe(error) });
  process.exit(1);
}
