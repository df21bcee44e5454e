import { persistedOperations } from '../graphql/persisted';
import type { HttpPolicy } from '../pipeline/http-guards';
import type { PactYoga } from '../pipeline/yoga';
import type { Services } from '../services/index';
import { createMcpFacade } from './facade';
import { mcpTools } from './generated/tools';

export interface PactMcpOptions {
  services: Services;
  publicUrl: string;
}

/** The MCP endpoint over the generated tool table, for `createApp({ mcp })`. */
export const pactMcp = (options: PactMcpOptions) => (yoga: PactYoga, http: HttpPolicy) =>
  createMcpFacade({ ...options, yoga, http, tools: mcpTools, manifest: persistedOperations(), version: '0.1.0' });
