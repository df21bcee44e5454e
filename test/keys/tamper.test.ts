import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPactError } from '../../src/lib/errors';
import { openTenantJson, sealTenantJson } from '../../src/services/keys/sealed-json';
import type { SealContext, TenantKey } from '../../src/services/keys/tenant-keys';
import { startTestPact, type TestPact } from '../helpers/pact';
import { CREATE_CONTACT, caller, freshKeys, type Caller } from './helpers';

let pact: TestPact;
let demo: Caller;
let globex: Caller;
let alice: string;
let bob: string;
let carol: string;
const READ = 'query($id: ID!) { contact(id: $id) { id title name email phone } }';

beforeAll(async () => {
  pact = await startTestPact();
  demo = await caller(pact, 'admin@pact.demo');
  globex = await caller(pact, 'owner@globex.demo');
  const create = async (who: Caller, name: string, email: string) =>
    (await who.call(CREATE_CONTACT, { input: { name, email, phone: '+1 555 0199', title: 'Target' } })).createContact.id as string;
  alice = await create(demo, 'Alice Tamper', 'alice@tamper.example');
  bob = await create(demo, 'Bobby Swapped', 'bobby@tamper.example');
  carol = await create(globex, 'Carol Foreign', 'carol@foreign.example');
});
afterAll(() => pact.close());

const piiHex = async (id: string) =>
  (await pact.sql<{ hex: string; v: number }>(sql`select encode(pii, 'hex') as hex, key_version as v from contacts where id = ${id}`))[0] ?? { hex: '', v: 0 };
const setPii = (id: string, hex: string, version?: number) =>
  pact.sql(
    version === undefined
      ? sql`update contacts set pii = decode(${hex}, 'hex') where id = ${id}`
      : sql`update contacts set pii = decode(${hex}, 'hex'), key_version = ${version} where id = ${id}`,
  );

/** Reads alice through the API after tampering, then restores her row. */
async function readTampered(tamper: () => Promise<unknown>) {
  const original = await piiHex(alice);
  await tamper();
  try {
    return await demo.raw(READ, { id: alice });
  } finally {
    await setPii(alice, original.hex, original.v);
  }
}

const expectIntegrityError = (res: Awaited<ReturnType<typeof readTampered>>, reason = 'PII_INTEGRITY') => {
  expect(res.body.data?.contact).toEqual({ id: alice, title: 'Target', name: null, email: null, phone: null });
  expect(res.body.errors).toHaveLength(3);
  for (const error of res.body.errors ?? []) expect(error.extensions).toMatchObject({ reason });
  const text = JSON.stringify(res.body);
  for (const foreign of ['Bobby', 'bobby@', 'Carol', 'carol@', '0199']) expect(text).not.toContain(foreign);
};

describe('ciphertext integrity through the API', () => {
  it('reads the untampered row', async () => {
    expect((await demo.call(READ, { id: alice })).contact).toMatchObject({ name: 'Alice Tamper', email: 'alice@tamper.example' });
  });

  it('a ciphertext copied from another row of the tenant fails to open (row id is associated data)', async () => {
    const res = await readTampered(async () => setPii(alice, (await piiHex(bob)).hex));
    expectIntegrityError(res);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(res.body.errors?.[0]?.message).toBe("This record's personal data failed its integrity check and cannot be read.");
  });

  it('a ciphertext copied from another tenant fails to open', async () => {
    expectIntegrityError(await readTampered(async () => setPii(alice, (await piiHex(carol)).hex, (await piiHex(carol)).v)));
  });

  it.each([
    ['a flipped byte in the ciphertext body', (hex: string) => flip(hex, hex.length / 2 - 1)],
    ['a flipped byte in the tag', (hex: string) => flip(hex, 20)],
    ['a flipped byte in the nonce', (hex: string) => flip(hex, 3)],
    ['a truncated ciphertext', (hex: string) => hex.slice(0, 40)],
  ])('%s fails to open', async (_, mangle) => {
    expectIntegrityError(await readTampered(async () => setPii(alice, mangle((await piiHex(alice)).hex))));
  });

  it('a key version that does not exist answers KEY_UNAVAILABLE', async () => {
    expectIntegrityError(await readTampered(async () => setPii(alice, (await piiHex(alice)).hex, 99)), 'KEY_UNAVAILABLE');
  });

  it('after the row is restored it reads again, and bob was never affected', async () => {
    expect((await demo.call(READ, { id: alice })).contact.name).toBe('Alice Tamper');
    expect((await demo.call(READ, { id: bob })).contact.name).toBe('Bobby Swapped');
  });
});

describe('associated data binds tenant, table, row, field and version', () => {
  const open = async (mutate: (ctx: SealContext, key: TenantKey) => { ctx: SealContext; key: TenantKey }) => {
    const keys = freshKeys(pact);
    const tenantId = pact.seed.demoTenantId;
    const key = await pact.database.withTenant(tenantId, (tx) => keys.active(tx, tenantId));
    const ctx: SealContext = { tenantId, table: 'contacts', rowId: alice, field: 'pii' };
    const sealed = keys.sealJson(key, ctx, { name: 'x' });
    const changed = mutate(ctx, key);
    try {
      return keys.openJson(changed.key, changed.ctx, sealed);
    } catch (error) {
      return isPactError(error) ? error.extensions.reason : error;
    }
  };

  it('opens with the same context', async () => {
    expect(await open((ctx, key) => ({ ctx, key }))).toEqual({ name: 'x' });
  });

  it.each([
    ['tenant', (ctx: SealContext, key: TenantKey) => ({ ctx: { ...ctx, tenantId: pact.seed.secondTenantId }, key })],
    ['table', (ctx: SealContext, key: TenantKey) => ({ ctx: { ...ctx, table: 'accounts' }, key })],
    ['row', (ctx: SealContext, key: TenantKey) => ({ ctx: { ...ctx, rowId: bob }, key })],
    ['field', (ctx: SealContext, key: TenantKey) => ({ ctx: { ...ctx, field: 'notes' }, key })],
    ['version', (ctx: SealContext, key: TenantKey) => ({ ctx, key: { ...key, version: key.version + 1 } })],
  ])('fails with another %s', async (_, mutate) => {
    expect(await open(mutate)).toBe('PII_INTEGRITY');
  });
});

describe('sealed JSON for other tables (e.g. stored responses)', () => {
  it('opens only at the place it was sealed, under the tenant that sealed it', async () => {
    const tenantId = pact.seed.demoTenantId;
    const at = { table: 'idempotency_keys', rowId: 'key-1', field: 'response' };
    const { envelope, opened, moved, foreign } = await pact.database.withTenant(tenantId, async (tx) => {
      const keys = pact.services.keys;
      const sealed = await sealTenantJson(tx, keys, tenantId, at, { data: { name: 'Alice Tamper' } });
      const reason = (p: Promise<unknown>) => p.then(() => 'opened', (e: unknown) => (isPactError(e) ? e.extensions.reason : String(e)));
      return {
        envelope: sealed,
        opened: await openTenantJson(tx, keys, tenantId, at, sealed),
        moved: await reason(openTenantJson(tx, keys, tenantId, { ...at, rowId: 'key-2' }, sealed)),
        foreign: await reason(openTenantJson(tx, keys, pact.seed.secondTenantId, at, sealed)),
      };
    });
    expect(opened).toEqual({ data: { name: 'Alice Tamper' } });
    expect(JSON.stringify(envelope)).not.toContain('Alice');
    expect(moved).toBe('PII_INTEGRITY');
    expect(foreign).not.toBe('opened');
  });
});

function flip(hex: string, byte: number): string {
  const buf = Buffer.from(hex, 'hex');
  buf[byte] = (buf[byte] ?? 0) ^ 0x01;
  return buf.toString('hex');
}
