import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import type { PactServer } from './server.js';

export interface TestClient {
  /** The tools as a client sees them (governance `_meta` included). */
  listTools(): Promise<Tool[]>;
  /** Calls a tool; a RATE_LIMITED refusal or an unknown tool rejects with the JSON-RPC error (`code`, `data`). */
  callTool(name: string, args?: Record<string, unknown>): Promise<CallToolResult & { structuredContent?: Record<string, unknown> }>;
  /** The official MCP client underneath, for anything else. */
  readonly client: Client;
  close(): Promise<void>;
}

export interface TestClientOptions {
  /** The protocol revision the client speaks: `2026-07-28` (default) or the 2025 `initialize` handshake (`legacy`). */
  protocol?: '2026-07-28' | 'legacy';
}

/**
 * An official MCP client connected to `server` in memory (no network, no process), for tool
 * authors' own tests:
 *
 *     const client = await createTestClient(server);
 *     const result = await client.callTool('ping', {});
 *     expect(result.structuredContent).toEqual({ pong: true, cost_cents: 0 });
 */
export async function createTestClient(server: PactServer, options: TestClientOptions = {}): Promise<TestClient> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const served = serveStdio(server.factory(), { transport: serverSide });
  const modern = (options.protocol ?? '2026-07-28') !== 'legacy';
  const client = new Client({ name: 'pact-test-client', version: '1.0.0' }, modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
  await client.connect(clientSide);
  return {
    client,
    listTools: async () => (await client.listTools()).tools as Tool[],
    callTool: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult & { structuredContent?: Record<string, unknown> },
    close: async () => {
      await client.close();
      await served.close();
    },
  };
}
