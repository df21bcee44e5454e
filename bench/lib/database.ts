import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client';
import { assertLocal } from './config';

export type Sql = postgres.Sql;

export interface BenchDatabase {
  name: string;
  /** URL of the benchmark database (same credentials as the admin URL). */
  url: string;
  /** Pact's own handle on it (migrations, tenant keys, API keys). */
  database: Database;
  /** A raw postgres.js client as the connecting (owner) role, for bulk loads, EXPLAIN and stats. */
  sql: Sql;
  /** Closes both handles, then drops the database unless `keep`. */
  finish(keep: boolean): Promise<void>;
}

/** Creates `pact_bench_<ts>` on the server of `adminUrl`, migrates it with Pact's migrations. */
export async function createBenchDatabase(adminUrl: string, label: string): Promise<BenchDatabase> {
  assertLocal(adminUrl);
  const name = `pact_bench_${label}_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), max: 4 });
  await database.migrate();
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {}, connection: { application_name: 'pact-bench-loader' } });
  let finished = false;
  return {
    name,
    url: url.toString(),
    database,
    sql,
    async finish(keep) {
      if (finished) return;
      finished = true;
      await sql.end({ timeout: 5 }).catch(() => {});
      await database.close().catch(() => {});
      if (keep) {
        console.log(`  (BENCH_KEEP=1: kept database ${name})`);
        return;
      }
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

/** VACUUM (ANALYZE) the tables a contacts page touches; returns milliseconds taken. */
export async function vacuumAnalyze(sql: Sql): Promise<number> {
  const started = performance.now();
  for (const table of ['contacts', 'contact_title_tokens', 'consent_subjects', 'accounts', 'users', 'api_keys', 'tenant_keys', 'consent_counts', 'tenants']) {
    await sql.unsafe(`vacuum (analyze) ${table}`);
  }
  return performance.now() - started;
}
