import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import { startTestPact, type TestPact } from '../helpers/pact';

const CANARY = { name: 'Zebulon Canarywing', email: 'zebulon.canarywing@canary-mail.example', phone: '+1 555 013 3742' };
let logs = '';
let pact: TestPact;
let key: string;
let secret: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  pact = await startTestPact({ logger: createLogger({ level: 'trace', destination: sink }) });
  secret = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(secret, ['read:contacts', 'write:crm', 'write:consent']);
});
afterAll(() => pact.close());

describe('logs', () => {
  it('never contain contact PII, credentials or secrets, even at trace level and on errors', async () => {
    const created = await pact.gql<{ createContact: { id: string } }>(
      'mutation($i: ContactInput!) { createContact(input: $i) { id name email phone } }',
      { i: CANARY },
      { token: key },
    );
    expect(created.body.errors).toBeUndefined();
    await pact.gql('query($e: String) { contacts(filter: { email: $e }) { items { name email phone } } }', { e: CANARY.email }, { token: key });
    await pact.gql('mutation($i: ContactInput!) { createContact(input: $i) { id } }', { i: { ...CANARY, email: `bad ${CANARY.email}` } }, { token: key });
    await pact.gql('mutation($e: String!) { suppressConsent(subject: { kind: EMAIL, value: $e }) { status } }', { e: CANARY.email }, { token: key });
    await pact.gql('{ contacts { returned } }', {}, { token: `${key}x` });
    await fetch(`${pact.url}/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@pact.demo', password: 'wrong-canary-password' }) });
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of [CANARY.name, 'Canarywing', CANARY.email, 'canary-mail', '013 3742', key, secret, 'wrong-canary-password', pact.masterKey.toString('hex')]) {
      expect(logs.includes(needle), needle).toBe(false);
    }
  });
});
