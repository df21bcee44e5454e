import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createByokKeyProvider, createLocalKeyProvider } from '../../src/services/keys/key-provider';
import { startTestPact, type TestPact } from '../helpers/pact';
import { CREATE_CONTACT, caller, freshKeys, keyUnavailableErrors, openAll, type Caller } from './helpers';

let pact: TestPact;
let demo: Caller;
let globex: Caller;
const KEY_MESSAGE = "The tenant's encryption key is unavailable; personal data cannot be read.";

beforeAll(async () => {
  pact = await startTestPact();
  demo = await caller(pact, 'admin@pact.demo');
  globex = await caller(pact, 'owner@globex.demo');
});
afterAll(() => pact.close());

const count = async (query: ReturnType<typeof sql>) => (await pact.sql<{ n: number }>(query))[0]?.n ?? 0;

describe('revocation (local provider)', () => {
  const tenantId = () => pact.seed.demoTenantId;
  let contactId: string;
  let before: { contacts: number; tokens: number; encryptions: number; pii: string };
  const snapshot = async () => ({
    contacts: await count(sql`select count(*)::int as n from contacts where tenant_id = ${tenantId()}`),
    tokens: await count(sql`select count(*)::int as n from contact_search_tokens where tenant_id = ${tenantId()}`),
    encryptions: await count(sql`select sum(encryptions)::int as n from tenant_keys where tenant_id = ${tenantId()}`),
    pii: (await pact.sql<{ d: string }>(sql`select md5(string_agg(pii::text, ',' order by id)) as d from contacts where tenant_id = ${tenantId()}`))[0]?.d ?? '',
  });
  const otherInstance = freshKeysLater();
  let fingerprints: string[];
  let hiddenBefore: number;

  beforeAll(async () => {
    contactId = (await demo.call(CREATE_CONTACT, { input: { name: 'Revoked Reader', email: 'revoked.reader@revoke.example' } })).createContact.id;
    // Both this server's cache and another instance's cache hold the unwrapped key before revocation.
    expect((await demo.call('{ contacts(first: 5) { items { name } } }')).contacts.items[0].name).toEqual(expect.any(String));
    expect([...(await openAll(pact, tenantId(), otherInstance())).values()].every((n) => !n.startsWith('error:'))).toBe(true);
    fingerprints = (
      await pact.sql<{ k: string }>(
        sql`select email_index as k from contacts where tenant_id = ${tenantId()} and email_index is not null
            union select subject_key from consent_subjects where tenant_id = ${tenantId()} and kind = 'email'`,
      )
    ).map((r) => r.k);
    hiddenBefore = (await demo.call('{ contacts(first: 1) { consentFiltered } }')).contacts.consentFiltered;
    const revoked = (await demo.call('mutation { revokeTenantKey { revoked provider versions { version status } } }')).revokeTenantKey;
    expect(revoked).toEqual({ revoked: true, provider: 'local', versions: [{ version: 1, status: 'REVOKED' }] });
    before = await snapshot();
  });

  it('destroys the wrapped keys and the search tokens in the database; e-mail indexes become keyless pseudonyms', async () => {
    const rows = await pact.sql<{ status: string; len: number }>(sql`select status, length(wrapped_key) as len from tenant_keys where tenant_id = ${tenantId()}`);
    expect(rows).toEqual([{ status: 'revoked', len: 0 }]);
    expect(before.tokens).toBe(0);
    expect(await count(sql`select count(*)::int as n from contact_search_tokens where tenant_id = ${pact.seed.secondTenantId}`)).toBeGreaterThan(0);
    expect(fingerprints.length).toBeGreaterThan(10);
    const left = await count(sql`select count(*)::int as n from (select email_index as k from contacts where tenant_id = ${tenantId()}
      union all select subject_key from consent_subjects where tenant_id = ${tenantId()}) s where k in ${fingerprints}`);
    expect(left).toBe(0);
    expect(await count(sql`select count(*)::int as n from contacts where tenant_id = ${tenantId()} and email_index like 'revoked:%'`)).toBeGreaterThan(0);
    const hidden = await demo.call('{ contacts(first: 1) { consentFiltered } }');
    expect(hiddenBefore).toBeGreaterThan(0);
    expect(hidden.contacts.consentFiltered).toBe(hiddenBefore);
  });

  it('answers PII fields null with an unmasked KEY_UNAVAILABLE error, and every other field as before', async () => {
    const res = await demo.raw('{ contacts(first: 3) { returned items { id name email phone title accountName } } }');
    const items = res.body.data?.contacts.items as Record<string, unknown>[];
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item).toMatchObject({ name: null, email: null, phone: null });
      expect(item.id).toEqual(expect.any(String));
    }
    expect(res.body.errors).toHaveLength(9);
    expect(keyUnavailableErrors(res.body.errors)).toHaveLength(9);
    for (const error of res.body.errors ?? []) expect(error.message).toBe(KEY_MESSAGE);
    const one = await demo.raw('query($id: ID!) { contact(id: $id) { id name title } }', { id: contactId });
    expect(one.body.data?.contact).toEqual({ id: contactId, name: null, title: null });
    expect(keyUnavailableErrors(one.body.errors)).toHaveLength(1);
  });

  it('keeps serving queries that select no PII', async () => {
    for (const q of [
      '{ contacts(first: 5) { returned consentFiltered items { id title accountName ownerName } } }',
      '{ accounts(first: 5) { returned items { name domain } } }',
      '{ deals(first: 5) { returned items { name amount } } }',
      '{ pipelineHealth { openDeals } }',
      '{ tenantKeys { revoked versions { status } } }',
    ]) {
      const res = await demo.raw(q);
      expect(res.body.errors, q).toBeUndefined();
      expect(res.body.data, q).toBeTruthy();
    }
    const renamed = await demo.raw('mutation($id: ID!) { updateContact(id: $id, input: { title: "Still editable" }) { id title } }', { id: contactId });
    expect(renamed.body.errors).toBeUndefined();
    expect(renamed.body.data).toEqual({ updateContact: { id: contactId, title: 'Still editable' } });
  });

  it('refuses to create or update PII with the same error and writes nothing', async () => {
    const created = await demo.raw(CREATE_CONTACT, { input: { name: 'After Revocation', email: 'after@revoke.example' } });
    expect(created.body.data).toBeNull();
    expect(keyUnavailableErrors(created.body.errors)).toHaveLength(1);
    const updated = await demo.raw('mutation($id: ID!) { updateContact(id: $id, input: { name: "New Name" }) { id } }', { id: contactId });
    expect(updated.body.data).toBeNull();
    expect(keyUnavailableErrors(updated.body.errors)).toHaveLength(1);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses searches that need the index key, rotation and new key material, with the same error', async () => {
    for (const q of [
      '{ contacts(filter: { email: "revoked.reader@revoke.example" }) { returned } }',
      '{ contacts(filter: { piiSearch: "reader" }) { returned } }',
      'mutation { rotateEncryptionKey { status } }',
    ]) {
      expect(keyUnavailableErrors((await demo.raw(q)).body.errors), q).toHaveLength(1);
    }
    const material = randomBytes(32).toString('base64');
    const set = await demo.raw('mutation($m: String!) { setTenantKeyMaterial(material: $m) { byok } }', { m: material });
    expect(keyUnavailableErrors(set.body.errors)).toHaveLength(1);
  });

  it('a revoked key stops working at once on another instance whose cache still holds it', async () => {
    const names = await openAll(pact, tenantId(), otherInstance());
    expect(new Set(names.values())).toEqual(new Set(['error:KEY_UNAVAILABLE']));
  });

  it('leaves the other tenant untouched', async () => {
    const res = await globex.raw('{ contacts(first: 3) { items { name email } } }');
    expect(res.body.errors).toBeUndefined();
    expect((res.body.data?.contacts.items as { name: string }[]).every((c) => c.name.length > 0)).toBe(true);
  });

  /** One key service standing for another server instance, created lazily (after `pact` exists). */
  function freshKeysLater() {
    let keys: ReturnType<typeof freshKeys> | undefined;
    return () => (keys ??= freshKeys(pact));
  }
});

describe('BYOK: set, rotate, change, revoke (second tenant)', () => {
  const tenantId = () => pact.seed.secondTenantId;
  const material = randomBytes(32);
  const KEYRING = '{ tenantKeys { provider byok revoked versions { version status provider } } }';
  const wrapped = () =>
    pact.sql<{ version: number; provider: string; wrapped: string }>(
      sql`select version, provider, encode(wrapped_key, 'base64') as wrapped from tenant_keys where tenant_id = ${tenantId()} order by version`,
    );

  it('refuses material that is not 32 random bytes', async () => {
    for (const m of ['short', Buffer.alloc(32).toString('base64'), randomBytes(31).toString('base64'), `${randomBytes(32).toString('base64')}!`]) {
      const res = await globex.raw('mutation($m: String!) { setTenantKeyMaterial(material: $m) { byok } }', { m });
      expect(res.body.errors?.[0]?.extensions, m).toMatchObject({ code: 'BAD_USER_INPUT', field: 'material' });
    }
    expect((await globex.call(KEYRING)).tenantKeys).toMatchObject({ provider: 'local', byok: false });
  });

  it('re-wraps every version under the tenant material, which is stored only wrapped', async () => {
    const names = await openAll(pact, tenantId());
    const set = (await globex.call('mutation($m: String!) { setTenantKeyMaterial(material: $m) { provider byok revoked versions { version status provider } } }', {
      m: material.toString('base64'),
    })).setTenantKeyMaterial;
    expect(set).toEqual({ provider: 'byok', byok: true, revoked: false, versions: [{ version: 1, status: 'ACTIVE', provider: 'byok' }] });
    const [row] = await wrapped();
    // The tenant's material is the KEK now: it unwraps the version, the server's own KEK no longer does.
    const blob = Buffer.from(row?.wrapped ?? '', 'base64');
    expect((await createByokKeyProvider(material).unwrap(tenantId(), 1, blob)).length).toBe(64);
    await expect(createLocalKeyProvider(pact.masterKey).unwrap(tenantId(), 1, blob)).rejects.toThrow();
    const [stored] = await pact.sql<{ hex: string; status: string }>(
      sql`select encode(wrapped_material, 'hex') as hex, status from tenant_key_material where tenant_id = ${tenantId()}`,
    );
    expect(stored?.status).toBe('active');
    expect(stored?.hex).not.toContain(material.toString('hex'));
    expect(await openAll(pact, tenantId())).toEqual(names);
    expect((await globex.call('{ contacts(first: 2) { items { name } } }')).contacts.items).toHaveLength(2);
  });

  it('rotates under BYOK: the new version is wrapped by the tenant material', async () => {
    const names = await openAll(pact, tenantId());
    const rotation = (await globex.call('mutation { rotateEncryptionKey { targetVersion status remaining } }')).rotateEncryptionKey;
    expect(rotation).toEqual({ targetVersion: 2, status: 'DONE', remaining: 0 });
    expect((await wrapped()).map((w) => [w.version, w.provider])).toEqual([[1, 'byok'], [2, 'byok']]);
    expect(await openAll(pact, tenantId())).toEqual(names);
  });

  it('changing the material re-wraps the versions without touching contact rows', async () => {
    const names = await openAll(pact, tenantId());
    const before = await wrapped();
    const next = randomBytes(32);
    await globex.call('mutation($m: String!) { setTenantKeyMaterial(material: $m) { byok } }', { m: next.toString('base64url') });
    const after = await wrapped();
    after.forEach((w, i) => expect(w.wrapped).not.toBe(before[i]?.wrapped));
    const blob = Buffer.from(after[1]?.wrapped ?? '', 'base64');
    expect((await createByokKeyProvider(next).unwrap(tenantId(), 2, blob)).length).toBe(64);
    await expect(createByokKeyProvider(material).unwrap(tenantId(), 2, blob)).rejects.toThrow();
    expect(await openAll(pact, tenantId())).toEqual(names);
  });

  it('revocation destroys the material: PII becomes unreadable, the rest is served', async () => {
    const revoked = (await globex.call('mutation { revokeTenantKey { provider byok revoked versions { status } } }')).revokeTenantKey;
    expect(revoked).toEqual({ provider: 'byok', byok: true, revoked: true, versions: [{ status: 'REVOKED' }, { status: 'REVOKED' }] });
    const [stored] = await pact.sql<{ material: unknown; status: string }>(
      sql`select wrapped_material as material, status from tenant_key_material where tenant_id = ${tenantId()}`,
    );
    expect(stored).toEqual({ material: null, status: 'revoked' });
    const res = await globex.raw('{ contacts(first: 2) { items { id name title } } }');
    expect(res.body.data?.contacts.items.map((c: { name: unknown }) => c.name)).toEqual([null, null]);
    expect(keyUnavailableErrors(res.body.errors)).toHaveLength(2);
    expect(new Set((await openAll(pact, tenantId())).values())).toEqual(new Set(['error:KEY_UNAVAILABLE']));
  });
});
