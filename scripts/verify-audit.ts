/**
 * `npm run audit:verify [-- <tenant slug or id>]`
 *
 * Checks each tenant's audit log against its signed seals and prints the first break, if any, and
 * how many rows are not sealed yet (never a failure). Exits 1 when a log does not match its seals.
 * Uses DATABASE_URL, else the embedded database in PACT_DATA_DIR (stop the server first).
 */
import { asc } from 'drizzle-orm';
import { ConfigError, loadConfig } from '../src/config/env';
import { DataDirLockedError } from '../src/db/data-dir';
import { tenants } from '../src/db/schema';
import { createSealKeys } from '../src/services/audit/seal-format';
import { verifyAuditChain } from '../src/services/audit/verify';
import { CommandError, openOffline } from '../src/server/offline';

async function main(): Promise<number> {
  const only = process.argv[2];
  if (only?.startsWith('-')) throw new CommandError('usage: npm run audit:verify [-- <tenant slug or id>]');
  const { database, masterKey, close } = await openOffline(loadConfig());
  const keys = createSealKeys(masterKey);
  try {
    const all = await database.withSystem((tx) => tx.select({ id: tenants.id, slug: tenants.slug }).from(tenants).orderBy(asc(tenants.slug)));
    const chosen = only ? all.filter((t) => t.id === only || t.slug === only) : all;
    if (chosen.length === 0) throw new CommandError(`No tenant '${only}'.`);
    let broken = 0;
    for (const tenant of chosen) {
      // One snapshot: a sealer committing meanwhile must not make seals and rows disagree.
      const report = await database.withSystem((tx) => verifyAuditChain(tx, keys, tenant.id), { snapshot: true });
      const pending = report.unsealedRows > 0 ? `, ${report.unsealedRows} not sealed yet` : '';
      if (report.ok) {
        console.log(`✓ ${tenant.slug}: ${report.sealedRows} sealed audit row(s) in ${report.seals} seal(s), intact${pending}`);
      } else {
        broken += 1;
        const at = report.firstBroken;
        const where = [at?.sealSeq != null ? `seal ${at.sealSeq}` : 'unsealed rows', at?.rowId ? `row ${at.rowId}` : null].filter(Boolean).join(', ');
        console.log(`✗ ${tenant.slug}: ${where}: ${at?.reason}${pending}`);
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
