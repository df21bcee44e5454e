/**
 * `npm run audit:verify [-- <tenant slug or id>]`
 *
 * Recomputes each tenant's audit hash chain and prints the first broken link, if any. Exits 1 when a
 * chain is broken. Uses DATABASE_URL, else the embedded database in PACT_DATA_DIR (stop the server first).
 */
import { asc } from 'drizzle-orm';
import { ConfigError, loadConfig } from '../src/config/env';
import { DataDirLockedError } from '../src/db/data-dir';
import { tenants } from '../src/db/schema';
import { verifyAuditChain } from '../src/services/audit/audit-log';
import { CommandError, openOffline } from '../src/server/offline';

async function main(): Promise<number> {
  const only = process.argv[2];
  if (only?.startsWith('-')) throw new CommandError('usage: npm run audit:verify [-- <tenant slug or id>]');
  const { database, close } = await openOffline(loadConfig());
  try {
    const all = await database.withSystem((tx) => tx.select({ id: tenants.id, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.slug)));
    const chosen = only ? all.filter((t) => t.id === only || t.slug === only) : all;
    if (chosen.length === 0) throw new CommandError(`No tenant '${only}'.`);
    let broken = 0;
    for (const tenant of chosen) {
      const report = await database.withSystem((tx) => verifyAuditChain(tx, tenant.id));
      if (report.ok) {
        console.log(`✓ ${tenant.slug}: ${report.rows} audit row(s), chain intact`);
      } else {
        broken += 1;
        const at = report.firstBroken;
        console.log(`✗ ${tenant.slug}: chain broken at seq ${at?.seq}${at?.id ? ` (row ${at.id})` : ''}: ${at?.reason}`);
      }
    }
    return broken > 0 ? 1 : 0;
  } finally {
    await close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CommandError || error instanceof ConfigError || error instanceof DataDirLockedError) {
      console.error(`audit:verify: ${error.message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(2);
  },
);
