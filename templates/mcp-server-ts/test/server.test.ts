import { createTestClient, type TestClient } from '@pact/mcp-server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { server } from '../src/server.js';

describe('{{name}}', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await createTestClient(server);
  });
  afterAll(() => client.close());

  it('lists both tools, each with its governance', async () => {
    const tools = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['lookup_orders', 'ping']);
  });

  it('looks up orders and says what the call cost', async () => {
    const result = await client.callTool('lookup_orders', { email: 'ada@example.com', limit: 1 });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ email: 'ada@example.com', returned: 1, cost_cents: 0.1 });
  });

  it('answers a subject who withdrew consent with a block, as data', async () => {
    const result = await client.callTool('lookup_orders', { email: 'withdrawn@example.com' });
    expect(result.structuredContent).toEqual({ blocked: true, reason: 'consent_withdrawn', cost_cents: 0 });
  });

  it('tells the model when the arguments are wrong', async () => {
    const result = await client.callTool('lookup_orders', { email: 'not an e-mail address' });
    expect(result.isError).toBe(true);
  });

  it('pings', async () => {
    const result = await client.callTool('ping');
    expect(result.structuredContent).toMatchObject({ ok: true, message: 'pong' });
  });
});
