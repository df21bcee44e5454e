import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContact } from '../../src/services/crm/contacts';
import { rewrapTenantKeys, rotateTenantKey, runningRotation } from '../../src/services/key-admin/rotation';
import type { KeyService } from '../../src/services/keys/tenant-keys';
import { startTestPact, type TestPact } from '../helpers/pact';
import { CREATE_CONTACT, caller, contactVersions, freshKeys, openAll, serviceContext, type Caller } from './helpers';

let pact: TestPact;
let admin: Caller;
let tenantId: string;
const KEYS = '{ tenantKeys { provider byok revoked rotateAfter versions { version status provider encryptions sealedContacts } rotation { targetVersion reason status reencrypted remaining } } }';

beforeAll(async () => {
  pact = await startTestPact();
  admin = await caller(pact, 'admin@pact.demo');
  tenantId = pact.seed.demoTenantId;
});
afterAll(() => pact.close());

const keyRows = () =>
  pact.sql<{ version: number; status: string; encryptions: number; wrapped: string }>(
    sql`select version, status, encryptions::int as encryptions, encode(wrapped_key, 'hex') as wrapped from tenant_keys where tenant_id = ${tenantId} order by version`,
  );

/** A key service whose `sealJson` throws after `n` seals: a process dying inside a batch transaction. */
function dyingAfter(keys: KeyService, n: number): KeyService {
  let seals = 0;
  return {
    ...keys,
    sealJson: (key, ctx, value) => {
      seals += 1;
      if (seals > n) throw new Error('killed');
      return keys.sealJson(key, ctx, value);
    },
  };
}

describe('encryption counter', () => {
  it('counts the seeded seals and one per contact write, never per read', async () => {
    const [seeded] = await pact.sql<{ n: number }>(sql`select count(*)::int as n from contacts where tenant_id = ${tenantId}`);
    const erased = 1; // TEST_SIZE.emailConsent.erased: sealed by the seed, then deleted
    expect((await keyRows())[0]).toMatchObject({ version: 1, status: 'active', encryptions: (seeded?.n ?? 0) + erased });
    const before = (await keyRows())[0]?.encryptions ?? 0;
    const id = (await admin.call(CREATE_CONTACT, { input: { name: 'Count Me', email: 'count.me@counter.example' } })).createContact.id;
    await admin.call('mutation($id: ID!) { updateContact(id: $id, input: { phone: "+1 555 1234" }) { id } }', { id });
    await admin.call('mutation($id: ID!) { updateContact(id: $id, input: { title: "Not PII" }) { id } }', { id });
    await admin.call('{ contacts(first: 50) { items { name email phone } } }');
    expect((await keyRows())[0]?.encryptions).toBe(before + 2);
    const view = (await admin.call(KEYS)).tenantKeys;
    expect(view).toMatchObject({ provider: 'local', byok: false, revoked: false, rotateAfter: 2 ** 31, rotation: null });
    expect(view.versions).toEqual([{ version: 1, status: 'ACTIVE', provider: 'local', encryptions: before + 2, sealedContacts: (seeded?.n ?? 0) + 1 }]);
  });
});

describe('rotation', () => {
  it('killed inside a batch, stopped after k batches, then resumed: every row readable at every moment, all on the new version', async () => {
    const names = await openAll(pact, tenantId);
    expect([...names.values()].some((n) => n.startsWith('error:'))).toBe(false);
    const total = names.size;

    // A process dies in the middle of the second batch: that transaction rolls back whole.
    const killed = rotateTenantKey(pact.database, dyingAfter(pact.services.keys, 15), tenantId, { batchSize: 10 });
    await expect(killed).rejects.toThrow('killed');
    let rotation = await pact.database.withTenant(tenantId, (tx) => runningRotation(tx, tenantId));
    expect(rotation).toMatchObject({ targetVersion: 2, status: 'running', batches: 1, reencrypted: 10 });
    expect(await openAll(pact, tenantId)).toEqual(names);

    // Stopped after two more batches (the option that simulates a kill between batches).
    const seen: number[] = [];
    const partial = await rotateTenantKey(pact.database, pact.services.keys, tenantId, {
      batchSize: 10,
      maxBatches: 2,
      onBatch: (r) => seen.push(r.reencrypted),
    });
    expect(partial).toMatchObject({ id: rotation?.id, status: 'running', reencrypted: 30, batches: 3 });
    expect(seen).toEqual([20, 30]);
    const versions = await contactVersions(pact, tenantId);
    expect(versions.filter((v) => v.key_version === 2)).toHaveLength(30);
    expect(versions.filter((v) => v.key_version === 1)).toHaveLength(total - 30);
    expect((await keyRows()).map((k) => [k.version, k.status])).toEqual([[1, 'retired'], [2, 'active']]);
    expect(await openAll(pact, tenantId)).toEqual(names);
    // The API reads both versions meanwhile, and writes go to the new one.
    const page = await admin.raw('{ contacts(first: 100) { items { id name } } }');
    expect(page.body.errors).toBeUndefined();
    for (const c of page.body.data?.contacts.items as { id: string; name: string }[]) expect(c.name).toBe(names.get(c.id));
    const during = (await admin.call(CREATE_CONTACT, { input: { name: 'Written During Rotation' } })).createContact.id;
    names.set(during, 'Written During Rotation');

    // Resumed: the same rotation continues (no third version); every batch leaves all rows readable.
    const checks: Promise<Map<string, string>>[] = [];
    rotation = await rotateTenantKey(pact.database, pact.services.keys, tenantId, {
      batchSize: 10,
      onBatch: () => void checks.push(openAll(pact, tenantId)),
    });
    for (const check of await Promise.all(checks)) expect(check).toEqual(names);
    expect(rotation).toMatchObject({ targetVersion: 2, status: 'done', reencrypted: total, unreadable: 0 });
    expect((await contactVersions(pact, tenantId)).every((v) => v.key_version === 2)).toBe(true);
    expect(await openAll(pact, tenantId)).toEqual(names);
    expect((await keyRows()).map((k) => [k.version, k.status])).toEqual([[1, 'retired'], [2, 'active']]);
    expect(await rotateTenantKey(pact.database, pact.services.keys, tenantId, { resumeOnly: true })).toBeNull();
  });

  it('rotateEncryptionKey starts version n+1 and re-encrypts in the call; tenantKeys shows the counters', async () => {
    const names = await openAll(pact, tenantId);
    const result = (await admin.call('mutation { rotateEncryptionKey { targetVersion reason status reencrypted remaining } }')).rotateEncryptionKey;
    expect(result).toEqual({ targetVersion: 3, reason: 'REQUESTED', status: 'DONE', reencrypted: names.size, remaining: 0 });
    expect(await openAll(pact, tenantId)).toEqual(names);
    const view = (await admin.call(KEYS)).tenantKeys;
    expect(view.versions.map((v: { version: number; status: string; sealedContacts: number }) => [v.version, v.status, v.sealedContacts])).toEqual([
      [1, 'RETIRED', 0],
      [2, 'RETIRED', 0],
      [3, 'ACTIVE', names.size],
    ]);
    expect(view.versions[2].encryptions).toBeGreaterThanOrEqual(names.size);
    expect(view.rotation).toMatchObject({ targetVersion: 3, status: 'DONE', remaining: 0 });
  });

  it('a write past the seal threshold starts a new version, and the rotation it records is resumed, not duplicated', async () => {
    const [active] = (await keyRows()).filter((k) => k.status === 'active');
    const keys = freshKeys(pact, { rotateAfter: (active?.encryptions ?? 0) + 2 });
    const create = (name: string) => pact.database.withTenant(tenantId, (tx) => createContact(serviceContext(pact, tenantId, tx, keys), { name }));
    await create('Threshold One');
    await create('Threshold Two');
    expect((await keyRows()).filter((k) => k.status === 'active').map((k) => k.version)).toEqual([3]);
    const third = await create('Threshold Three');
    expect(third.keyVersion).toBe(4);
    const rows = await keyRows();
    expect(rows.map((k) => [k.version, k.status])).toEqual([[1, 'retired'], [2, 'retired'], [3, 'retired'], [4, 'active']]);
    expect(rows[3]?.encryptions).toBe(1);
    expect((await admin.call(KEYS)).tenantKeys.rotation).toMatchObject({ targetVersion: 4, reason: 'THRESHOLD', status: 'RUNNING' });
    const done = (await admin.call('mutation { rotateEncryptionKey { targetVersion reason status remaining } }')).rotateEncryptionKey;
    expect(done).toEqual({ targetVersion: 4, reason: 'THRESHOLD', status: 'DONE', remaining: 0 });
    expect([...(await openAll(pact, tenantId)).values()].filter((n) => n.startsWith('error:'))).toEqual([]);
  });

  it('rewraps every version under the current KEK without touching contact rows', async () => {
    const before = await keyRows();
    const [pii] = await pact.sql<{ digest: string }>(sql`select md5(string_agg(pii::text, ',' order by id)) as digest from contacts where tenant_id = ${tenantId}`);
    const names = await openAll(pact, tenantId);
    expect(await pact.database.withTenant(tenantId, (tx) => rewrapTenantKeys(tx, pact.services.keys, tenantId))).toBe(4);
    const after = await keyRows();
    expect(after.map((k) => [k.version, k.status, k.encryptions])).toEqual(before.map((k) => [k.version, k.status, k.encryptions]));
    after.forEach((k, i) => expect(k.wrapped).not.toBe(before[i]?.wrapped));
    const [again] = await pact.sql<{ digest: string }>(sql`select md5(string_agg(pii::text, ',' order by id)) as digest from contacts where tenant_id = ${tenantId}`);
    expect(again?.digest).toBe(pii?.digest);
    expect(await openAll(pact, tenantId)).toEqual(names);
  });

  it('writes running concurrently with a rotation neither deadlock nor leave rows behind', async () => {
    const names = await openAll(pact, tenantId);
    const targets = ((await admin.call('{ contacts(first: 10) { items { id } } }')).contacts.items as { id: string }[]).map((c) => c.id);
    const rotating = rotateTenantKey(pact.database, pact.services.keys, tenantId, { batchSize: 5 });
    const writes = [
      ...targets.map(async (id, i) => {
        await admin.call('mutation($id: ID!, $n: String) { updateContact(id: $id, input: { name: $n }) { id } }', { id, n: `Renamed ${i}` });
        names.set(id, `Renamed ${i}`);
      }),
      ...Array.from({ length: 10 }, async (_, i) => {
        const id = (await admin.call(CREATE_CONTACT, { input: { name: `Concurrent ${i}` } })).createContact.id as string;
        names.set(id, `Concurrent ${i}`);
      }),
    ];
    const [rotation] = await Promise.all([rotating, ...writes]);
    expect(rotation).toMatchObject({ targetVersion: 5, status: 'done' });
    expect(new Set((await contactVersions(pact, tenantId)).map((v) => v.key_version))).toEqual(new Set([5]));
    expect(await openAll(pact, tenantId)).toEqual(names);
  });

  it('only owners and admins manage keys', async () => {
    const manager = await caller(pact, 'manager@pact.demo');
    for (const q of [KEYS, 'mutation { rotateEncryptionKey { status } }', 'mutation { revokeTenantKey { revoked } }']) {
      const res = await manager.raw(q);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'admin:keys' });
    }
  });
});
