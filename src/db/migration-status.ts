import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrationsFolder, type Database } from './client';

/**
 * How many of the migrations in `migrations/` this database has not applied yet (drizzle's rule:
 * those whose journal time is after the last applied one). Zero means `migrate()` would do nothing.
 */
export async function pendingMigrations(database: Database): Promise<number> {
  const journal = readMigrationFiles({ migrationsFolder });
  const last = await database.readSystem(async (db) => {
    const [table] = await database.rows<{ name: string | null }>(db, sql`select to_regclass('drizzle.__drizzle_migrations')::text as name`);
    if (!table?.name) return null;
    const [row] = await database.rows<{ last: string | number | null }>(db, sql`select max(created_at) as last from drizzle.__drizzle_migrations`);
    return row?.last ?? null;
  });
  if (last === null) return journal.length;
  return journal.filter((m) => m.folderMillis > Number(last)).length;
}
