import { createPactServer, InMemoryConsentStore } from '@pact/mcp-server';
import { z } from 'zod';
import { lookupOrders } from './tools/lookup-orders.js';
import { ping } from './tools/ping.js';

/**
 * Who may be processed. In production use `PactConsentStore` (asks your Pact tenant); here an
 * in-memory store where one example subject has withdrawn consent.
 */
export const consentStore = new InMemoryConsentStore({ 'withdrawn@example.com': 'withdrawn' });

export const server = createPactServer('{{name}}', { consentStore, version: '0.1.0' })
  .tool(
    'lookup_orders',
    {
      description: "Look up a customer's recent orders by e-mail address.",
      costCents: 0.1,
      consentSubject: 'email',
      rateLimitPerMin: 60,
      schema: z.object({
        email: z.string().email().describe("The customer's e-mail address"),
        limit: z.number().int().min(1).max(50).default(10).describe('How many orders, newest first'),
      }),
      annotations: { readOnlyHint: true },
    },
    ({ email, limit }) => lookupOrders(email, limit),
  )
  .tool(
    'ping',
    {
      description: 'Check that the server answers.',
      costCents: 0,
      schema: z.object({}),
      annotations: { readOnlyHint: true },
    },
    () => ping(),
  );

export default server;
