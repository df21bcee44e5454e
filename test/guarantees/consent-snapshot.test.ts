import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPact, type TestPact } from '../helpers/pact';

/**
 * A page and its consent-hidden count must come from one snapshot: while another client withdraws
 * and grants consent on an account's contacts, `returned + consentFiltered` of every page that
 * lists the whole account equals the account's number of contacts.
 */
const CONTACTS = 8;

let pact: TestPact;
let key: string;
let accountId: string;
const emails: string[] = [];

beforeAll(async () => {
  pact = await startTestPact({ limits: { tenantPerMin: 100_000, operationPerMin: 100_000, fieldPerMin: { contacts: 100_000 } } });
  const admin = await pact.signIn('admin@pact.demo');
  key = await pact.mintKey(admin, ['read:contacts', 'write:crm', 'write:consent']);
  const account = await pact.gql<{ createAccount: { id: string } }>(
    'mutation($i: AccountInput!) { createAccount(input: $i) { id } }',
    { i: { name: 'Snapshot Ltd', domain: 'snapshot.example' } },
    { token: key },
  );
  accountId = account.body.data?.createAccount.id ?? '';
  expect(accountId).not.toBe('');
  for (let i = 0; i < CONTACTS; i += 1) {
    const email = `person${i}@snapshot.example`;
    const res = await pact.gql('mutation($i: ContactInput!) { createContact(input: $i) { id } }', { i: { name: `Person ${i}`, email, accountId } }, { token: key });
    expect(res.body.errors).toBeUndefined();
    emails.push(email);
  }
});
afterAll(() => pact.close());

describe('consent counts under concurrent consent changes', () => {
  it('answers every page with returned + consentFiltered equal to the matching total', async () => {
    let writing = true;
    const writer = (async () => {
      let round = 0;
      while (writing) {
        const status = round % 2 === 0 ? 'withdrawConsent' : 'grantConsent';
        await Promise.all(
          emails.map((value) =>
            pact.gql(`mutation($s: ConsentSubjectInput!) { ${status}(subject: $s) { status } }`, { s: { kind: 'EMAIL', value } }, { token: key }),
          ),
        );
        round += 1;
      }
      return round;
    })();

    const mismatches: string[] = [];
    let pages = 0;
    const readers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 40; i += 1) {
        const res = await pact.gql<{ contacts: { returned: number; consentFiltered: number } }>(
          'query($a: ID) { contacts(first: 50, filter: { accountId: $a }) { returned consentFiltered } }',
          { a: accountId },
          { token: key },
        );
        expect(res.body.errors).toBeUndefined();
        const list = res.body.data?.contacts;
        pages += 1;
        if (!list || list.returned + list.consentFiltered !== CONTACTS) mismatches.push(`${list?.returned}+${list?.consentFiltered}`);
      }
    });
    try {
      await Promise.all(readers);
    } finally {
      writing = false;
    }
    const rounds = await writer;

    expect(rounds).toBeGreaterThan(1);
    expect(pages).toBe(160);
    expect(mismatches).toEqual([]);
  }, 180_000);
});
