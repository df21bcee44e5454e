/**
 * `npm run keys:rotate -- <tenant slug or id> [--batch-size N] [--resume-only]`
 *
 * Rotates a tenant's data key, or continues its unfinished rotation: each batch of re-encrypted
 * contacts is committed with its cursor, so this command can be killed at any point and run again.
 * Uses DATABASE_URL, else the embedded database in PACT_DATA_DIR (never while a server holds it).
 * The master key is PACT_MASTER_KEY, else the data directory's master.key.
 */
import { eq, or } from 'drizzle-orm';
import { ConfigError, loadConfig } from '../src/config/env';
import { DataDirLockedError } from '../src/db/data-dir';
import { tenants } from '../src/db/schema';
import { isUuid } from '../src/lib/ids';
import { isPactError } from '../src/lib/errors';
import { createLocalKeyProvider } from '../src/services/keys/key-provider';
import { rotateTenantKey, type RotationRecord } from '../src/services/key-admin/rotation';
import { createKeyService } from '../src/services/keys/tenant-keys';
import { CommandError, openOffline } from '../src/server/offline';

const USAGE = 'usage: npm run keys:rotate -- <tenant slug or id> [--batch-size N] [--resume-only]';

interface Args {
  tenant: string;
  batchSize: number;
  resumeOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  let tenant: string | undefined;
  let batchSize = 500;
  let resumeOnly = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--resume-only') resumeOnly = true;
    else if (arg === '--batch-size') {
      batchSize = Number(argv[(i += 1)]);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CommandError('--batch-size must be an integer from 1 to 10000');
    } else if (arg.startsWith('-') || tenant !== undefined) throw new CommandError(USAGE);
    else tenant = arg;
  }
  if (!tenant) throw new CommandError(USAGE);
  return { tenant, batchSize, resumeOnly };
}


const describe = (r: RotationRecord) =>
  `rotation to version ${r.targetVersion}: ${r.status}, ${r.reencrypted} re-encrypted in ${r.batches} batch(es)${r.unreadable > 0 ? `, ${r.unreadable} unreadable` : ''}`;

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const { database, masterKey, close } = await openOffline(loadConfig());
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('Stopping after the current batch (run the command again to continue)…');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const [tenant] = await database.withSystem((tx) =>
      tx
        .select({ id: tenants.id, slug: tenants.slug })
        .from(tenants)
        .where(isUuid(args.tenant) ? or(eq(tenants.id, args.tenant), eq(tenants.slug, args.tenant)) : eq(tenants.slug, args.tenant))
        .limit(1),
    );
    if (!tenant) throw new CommandError(`No tenant "${args.tenant}".`);
    const keys = createKeyService(createLocalKeyProvider(masterKey));
    const rotation = await rotateTenantKey(database, keys, tenant.id, {
      batchSize: args.batchSize,
      resumeOnly: args.resumeOnly,
      shouldStop: () => stopping,
      onBatch: (r) => console.log(`  ${describe(r)}`),
    });
    if (!rotation) {
      console.log(`Tenant ${tenant.slug} has no unfinished rotation.`);
      return 0;
    }
    console.log(`Tenant ${tenant.slug}: ${describe(rotation)}.`);
    return rotation.status === 'running' ? 3 : 0;
  } finally {
    await close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof CommandError || error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(`keys:rotate: ${error.message}`);
  } else if (isPactError(error)) {
    console.error(`keys:rotate: ${error.message}${error.extensions.reason === 'KEY_UNAVAILABLE' ? ' (revoked, or not the master key this database uses)' : ''}`);
  } else {
    throw error;
  }
  process.exitCode = 1;
}
