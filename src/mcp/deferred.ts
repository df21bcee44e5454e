import type { HttpPolicy } from '../pipeline/http-guards';
import type { PactYoga } from '../pipeline/yoga';
import type { PactMcpOptions } from './index';

type Endpoint = { handle(request: Request): Promise<Response> };

/**
 * The MCP endpoint for `npm start`: the facade (the MCP SDK, its schemas and two copies of zod,
 * several hundred modules) loads just after the server is ready instead of before it; a request
 * to /mcp meanwhile waits for it. Same endpoint as `pactMcp` once loaded.
 */
export const pactMcpDeferred = (options: PactMcpOptions) => (yoga: PactYoga, http: HttpPolicy): Endpoint => {
  let facade: Promise<Endpoint> | null = null;
  const load = () => (facade ??= import('./index').then(({ pactMcp }) => pactMcp(options)(yoga, http)));
  setImmediate(() => void load().catch(() => undefined));
  return { handle: async (request) => (await load()).handle(request) };
};
