import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client';
import { rotateTenantKey } from '../../src/services/key-admin/rotation';
import { startTestPact, type TestPact } from '../helpers/pact';
import { openAll } from './helpers';

let pact: TestPact;
let dir: string;
let target: { env: Record<string, string>; open: () => Promise<Database> };
let names: Map<string, string>;
let rotationId: string | undefined;

const run = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/rotate-keys.ts', ...args], {
      cwd: new URL('../..', import.meta.url),
      env: { ...process.env, DATABASE_URL: '', PACT_MASTER_KEY: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pact-keys-'));
  pact = await startTestPact();
  const tenantId = pact.seed.demoTenantId;
  names = await openAll(pact, tenantId);
  const partial = await rotateTenantKey(pact.database, pact.services.keys, tenantId, { batchSize: 10, maxBatches: 2 });
  expect(partial).toMatchObject({ status: 'running', reencrypted: 20, targetVersion: 2 });
  rotationId = partial?.id;
  const masterKey = pact.masterKey.toString('hex');
  if (process.env.DATABASE_URL) {
    const [db] = await pact.sql<{ name: string }>(sql`select current_database() as name`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${db?.name}`;
    target = { env: { DATABASE_URL: url.toString(), PACT_MASTER_KEY: masterKey }, open: async () => pact.database };
  } else {
    // The embedded database as a data directory, the way `npm start` leaves it.
    const copy = await PGlite.create({ dataDir: join(dir, 'pgdata'), loadDataDir: await pact.database.dumpDataDir() });
    await copy.close();
    writeFileSync(join(dir, 'master.key'), `${masterKey}\n`, { mode: 0o600 });
    target = { env: { PACT_DATA_DIR: dir }, open: () => openDatabase({ dataDir: join(dir, 'pgdata') }) };
  }
});
afterAll(async () => {
  await pact.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run keys:rotate', () => {
  it('never opens an embedded database a running process holds', async () => {
    const held = join(dir, 'held');
    mkdirSync(join(held, 'pgdata'), { recursive: true });
    writeFileSync(join(held, 'pact.lock'), String(process.pid));
    const result = await run(['demo'], { PACT_DATA_DIR: held, PACT_MASTER_KEY: pact.masterKey.toString('hex') });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/keys:rotate: The data directory .* is in use by another Pact process/);
  }, 60_000);

  it('refuses an unknown tenant and a wrong master key without changing anything', async () => {
    expect(await run(['nope'], target.env)).toMatchObject({ code: 1, out: expect.stringContaining('No tenant "nope".') });
    const wrong = await run(['demo'], { ...target.env, PACT_MASTER_KEY: 'ab'.repeat(32) });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/encryption key is unavailable.*not the master key/);
  }, 60_000);

  it('continues the unfinished rotation to the end; every row readable and on the new version', async () => {
    const result = await run(['demo', '--batch-size', '7'], target.env);
    expect(result.out).toMatch(/Tenant demo: rotation to version 2: done/);
    expect(result.code).toBe(0);
    const database = await target.open();
    try {
      const tenantId = pact.seed.demoTenantId;
      const rows = await database.withSystem((tx) =>
        database.rows<{ id: string; status: string; reencrypted: number }>(tx, sql`select id, status, reencrypted::int as reencrypted from tenant_key_rotations where tenant_id = ${tenantId}`),
      );
      expect(rows).toEqual([{ id: rotationId, status: 'done', reencrypted: names.size }]);
      const versions = await database.withSystem((tx) =>
        database.rows<{ v: number; n: number }>(tx, sql`select key_version as v, count(*)::int as n from contacts where tenant_id = ${tenantId} group by 1`),
      );
      expect(versions).toEqual([{ v: 2, n: names.size }]);
      expect(await openAll({ database, masterKey: pact.masterKey }, tenantId)).toEqual(names);
    } finally {
      if (database !== pact.database) await database.close();
    }
    const again = await run(['demo', '--resume-only'], target.env);
    expect(again).toMatchObject({ code: 0, out: expect.stringContaining('Tenant demo has no unfinished rotation.') });
  }, 60_000);
});
