import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistedOperations } from '../../src/graphql/persisted';
import { mcpTools } from '../../src/mcp/generated/tools';
import { startTestPact, type TestPact } from '../helpers/pact';

let pact: TestPact;
let token: string;
const hash = mcpTools.find((t) => t.name === 'query_accounts')?.hash ?? '';
beforeAll(async () => {
  pact = await startTestPact();
  const admin = await pact.signIn('admin@pact.demo');
  const minted = await pact.gql<{ createApiKey: { secret: string } }>(
    'mutation { createApiKey(input: { name: "trusted", scopes: ["read:accounts"], trustedDocumentsOnly: true }) { secret } }',
    {},
    { token: admin },
  );
  token = minted.body.data?.createApiKey.secret ?? '';
});
afterAll(() => pact.close());

const send = async (body: unknown) => {
  const res = await fetch(`${pact.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: { accounts?: { returned: number } }; errors?: { message: string; extensions: { code: string } }[] } };
};

describe('a key restricted to persisted operations', () => {
  it.each([
    ['documentId with the manifest key', { documentId: hash }],
    ['documentId without the sha256: prefix', { documentId: hash.replace(/^sha256:/, '') }],
    ['extensions.persistedQuery.sha256Hash', { extensions: { persistedQuery: { version: 1, sha256Hash: hash.replace(/^sha256:/, '') } } }],
    ['the operation text', { query: persistedOperations()[hash] }],
  ])('runs one named by %s', async (_, request) => {
    const res = await send({ ...request, variables: { first: 2 } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.accounts?.returned).toBe(2);
  });

  it('refuses anything else with a message naming the shapes it accepts', async () => {
    for (const request of [{ query: '{ accounts { returned } }' }, { documentId: 'sha256:unknown' }, { documentId: '__proto__' }]) {
      const res = await send(request);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions.code).toBe('PERSISTED_OPERATIONS_ONLY');
      expect(res.body.errors?.[0]?.message).toMatch(/"documentId": "<hash>".*"persistedQuery": \{"version": 1, "sha256Hash": "<hash>"\}/);
    }
  });
});
