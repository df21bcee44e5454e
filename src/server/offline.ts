import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/env';
import { openDatabase, type Database } from '../db/client';
import { dataDirMasterKey, lockDataDir } from '../db/data-dir';

/** A command-line failure with a message that names the fix. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface OfflineDatabase {
  database: Database;
  masterKey: Buffer;
  close(): Promise<void>;
}

/**
 * Opens the database for an operator command: DATABASE_URL, else the embedded database in
 * PACT_DATA_DIR (never while a server holds it: the data-directory lock refuses). The master key is
 * PACT_MASTER_KEY, else the data directory's master.key.
 */
export async function openOffline(config: Config): Promise<OfflineDatabase> {
  const dataDir = resolve(config.dataDir);
  let release = () => {};
  let database: Database;
  if (config.databaseUrl) {
    database = await openDatabase({ url: config.databaseUrl, max: 2 });
  } else {
    if (!existsSync(join(dataDir, 'pgdata'))) throw new CommandError(`No embedded database in ${dataDir}: set PACT_DATA_DIR or DATABASE_URL.`);
    release = lockDataDir(dataDir);
    database = await openDatabase({ dataDir: join(dataDir, 'pgdata') });
  }
  const masterKey = config.masterKey ?? (existsSync(join(dataDir, 'master.key')) ? dataDirMasterKey(dataDir).key : undefined);
  if (!masterKey) {
    await database.close();
    release();
    throw new CommandError('Set PACT_MASTER_KEY (or PACT_DATA_DIR to the directory holding master.key).');
  }
  return {
    database,
    masterKey,
    close: async () => {
      await database.close();
      release();
    },
  };
}
