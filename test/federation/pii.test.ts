import type { CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';
import { auditRows, firstText, ledgerRows, mcpClient, postToolCall, publish } from './gateway-setup';
import { startPlainUpstream, type Upstream } from './upstreams';

/** A seeded contact of the tenant: the canary values. */
let canary: { name: string; email: string; phone: string };
const STRANGER = { name: 'Zebulon Quark', email: 'zebulon.quark@elsewhere.example' };
const PHONE = '+44 20 7946 0958';

/** What the upstream answers: the canary contact, free text naming it, and values that are not personal data. */
const payload = () => ({
  customer: { name: canary.name, email: canary.email, phone: canary.phone },
  note: `Met ${canary.name} on 2026-12-06; call back on ${PHONE} or write to ${canary.email}.`,
  order: { id: 'o-123', placed: '2026-12-06', total: 1234567, status: 'Closed Won', server: '10.1.2.3', handled_by: canary.name },
});
const strangerPayload = () => ({ customer: { email: STRANGER.email }, note: `Met ${STRANGER.name} at the fair.`, order: { id: 'o-9' } });
const nameOnly = () => ({ note: `Met ${canary.name} at the fair.` });

const answer = (value: Record<string, unknown>): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value });
const PAYLOADS: Record<string, () => Record<string, unknown>> = {
  profile_redact: payload,
  profile_allow: payload,
  profile_block: payload,
  stranger_block: strangerPayload,
  name_block: nameOnly,
};

let pact: TestPact;
let upstream: Upstream;
let admin: string;

beforeAll(async () => {
  pact = await startTestPact({ upstreams: { allowPrivate: true, timeoutMs: 5_000 } });
  admin = await pact.signIn('admin@pact.demo');
  const contacts = await pact.gql<{ contacts: { items: { name: string; email: string; phone: string }[] } }>('{ contacts(first: 1) { items { name email phone } } }', {}, { token: admin });
  const first = contacts.body.data?.contacts.items[0];
  if (!first) throw new Error('no seeded contact');
  canary = first;
  upstream = await startPlainUpstream({
    tools: Object.keys(PAYLOADS).map((name) => ({ name, description: `Answers ${name}.`, inputSchema: { type: 'object', properties: {} } })),
    call: (name) => answer((PAYLOADS[name] ?? (() => ({})))()),
  });
  const roles = ['admin'];
  await publish(pact, admin, { slug: 'crm', url: upstream.url }, [
    { tool: 'profile_redact', enabled: true, allowedRoles: roles, estCostCents: 0.3, piiPolicy: 'REDACT' },
    { tool: 'profile_allow', enabled: true, allowedRoles: roles, estCostCents: 0.3, piiPolicy: 'ALLOW' },
    { tool: 'profile_block', enabled: true, allowedRoles: roles, estCostCents: 0.3, piiPolicy: 'BLOCK' },
    { tool: 'stranger_block', enabled: true, allowedRoles: roles, estCostCents: 0.3, piiPolicy: 'BLOCK' },
    { tool: 'name_block', enabled: true, allowedRoles: roles, estCostCents: 0.3, piiPolicy: 'BLOCK' },
  ]);
});
afterAll(async () => {
  await pact.close();
  await upstream.close();
});

const calledUpstream = (name: string) => upstream.calls.filter((c) => c.name === name).length;

describe('pii_policy', () => {
  it('redact: replaces the e-mail, the phones, the name under `name` and the contact named elsewhere (blind index); other values pass', async () => {
    const res = await postToolCall(pact, admin, 'crm__profile_redact', {});
    const raw = await res.text();
    for (const value of [canary.email, canary.phone, canary.name, PHONE]) expect(raw).not.toContain(value);
    const client = await mcpClient(pact, admin);
    const result = await client.callTool({ name: 'crm__profile_redact', arguments: {} });
    await client.close();
    const redacted = {
      customer: { name: '[redacted:name]', email: '[redacted:email]', phone: '[redacted:phone]' },
      note: 'Met [redacted:name] on 2026-12-06; call back on [redacted:phone] or write to [redacted:email].',
      order: { id: 'o-123', placed: '2026-12-06', total: 1234567, status: 'Closed Won', server: '10.1.2.3', handled_by: '[redacted:name]' },
    };
    expect(result.structuredContent).toEqual({ ...redacted, cost_cents: 0.3 });
    expect(JSON.parse(firstText(result))).toEqual(result.structuredContent);
    expect(calledUpstream('profile_redact')).toBe(2);
    expect(await ledgerRows(pact, 'crm__profile_redact')).toEqual([300_000, 300_000]);
  });

  it('allow: passes the answer unchanged', async () => {
    const client = await mcpClient(pact, admin);
    const result = await client.callTool({ name: 'crm__profile_allow', arguments: {} });
    await client.close();
    expect(result.structuredContent).toEqual({ ...payload(), cost_cents: 0.3 });
    expect(firstText(result)).toContain(canary.email);
  });

  it('block: refuses an answer holding a contact’s e-mail or name (blind indexes) with PII_BLOCKED, audited, not charged', async () => {
    const client = await mcpClient(pact, admin);
    for (const tool of ['crm__profile_block', 'crm__name_block']) {
      const result = await client.callTool({ name: tool, arguments: {} });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toMatch(new RegExp(`^PII_BLOCKED: ${tool} answered with personal data of this workspace's contacts \\(\\d e-mail address\\(es\\), \\d name\\(s\\)\\); its PII policy is block, so the answer is withheld\\.$`));
      expect(firstText(result)).not.toContain(canary.name);
      expect(await auditRows(pact, tool)).toEqual([{ path: 'mcp', outcome: 'error', error_code: 'PII_BLOCKED', cost: 0 }]);
      expect(await ledgerRows(pact, tool)).toEqual([]);
    }
    expect(calledUpstream('profile_block')).toBe(1);
    expect(calledUpstream('name_block')).toBe(1);
  });

  it('block: passes an answer naming people who are not the tenant’s contacts', async () => {
    const client = await mcpClient(pact, admin);
    const result = await client.callTool({ name: 'crm__stranger_block', arguments: {} });
    await client.close();
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ ...strangerPayload(), cost_cents: 0.3 });
    expect(await ledgerRows(pact, 'crm__stranger_block')).toEqual([300_000]);
  });

  it('applies the same policy on /graphql', async () => {
    const CALL = 'mutation($tool: String!) { callFederatedTool(tool: $tool, arguments: {}) { structuredContent } }';
    const redacted = await pact.gql<{ callFederatedTool: { structuredContent: { customer: unknown } } }>(CALL, { tool: 'crm__profile_redact' }, { token: admin });
    expect(redacted.body.data?.callFederatedTool.structuredContent.customer).toEqual({ name: '[redacted:name]', email: '[redacted:email]', phone: '[redacted:phone]' });
    const blocked = await pact.gql(CALL, { tool: 'crm__profile_block' }, { token: admin });
    expect(blocked.body.errors?.[0]?.extensions?.code).toBe('PII_BLOCKED');
    expect(JSON.stringify(blocked.body)).not.toContain(canary.email);
  });
});
