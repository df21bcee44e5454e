import type { Query, SQL } from 'drizzle-orm';
import { PgDatabase, PgDialect, PgSession, type PgQueryResultHKT, type SelectedFieldsOrdered } from 'drizzle-orm/pg-core';
import type * as schema from './schema';

/** A drizzle handle: the root database or a transaction, on either driver (`Db` in client.ts). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * Hot statements built once, when their module loads, instead of on every call: the SQL text and
 * its parameter slots (`sql.placeholder(name)`) come from drizzle's own builder and dialect, and a
 * run only binds values through the transaction's session (a named prepared statement on
 * PostgreSQL, see PreparedStatementsSession). Building a query was a tenth of a read call's CPU.
 */
export interface Compiled<R> {
  /** The statement's text (for tests and EXPLAIN). */
  readonly sql: string;
  run(tx: Db, values?: Record<string, unknown>): Promise<R[]>;
}

const dialect = new PgDialect();

interface Prepared {
  joinsNotNullableMap?: Record<string, boolean>;
  execute(values?: Record<string, unknown>): Promise<unknown>;
}

const sessionOf = (tx: Db) => (tx as unknown as { _: { session: PgSession } })._.session;

/** Rows of a driver's answer: postgres.js gives an array, PGlite `{ rows }`. */
const rowsOf = <R>(result: unknown): R[] => (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as R[];

/** Raw SQL with placeholders; rows as the driver returns them (as `tx.execute` would). */
export function compileSql<R extends Record<string, unknown>>(statement: SQL): Compiled<R> {
  const query = dialect.sqlToQuery(statement);
  return {
    sql: query.sql,
    run: async (tx, values) => {
      const prepared = sessionOf(tx).prepareQuery(query, undefined, 'compiled', false) as unknown as Prepared;
      return rowsOf<R>(await prepared.execute(values));
    },
  };
}

interface Captured {
  query: Query;
  fields: SelectedFieldsOrdered | undefined;
  joinsNotNullableMap: Record<string, boolean> | undefined;
}

/** A session that executes nothing: `prepare()` hands it the built query and its field mapping. */
class CaptureSession extends PgSession<PgQueryResultHKT, Record<string, never>> {
  captured: Captured | null = null;
  prepareQuery(query: Query, fields: SelectedFieldsOrdered | undefined): never {
    const captured: Captured = { query, fields, joinsNotNullableMap: undefined };
    this.captured = captured;
    return {
      setToken: () => captured,
      set joinsNotNullableMap(map: Record<string, boolean>) {
        captured.joinsNotNullableMap = map;
      },
    } as never;
  }
  transaction<T>(): Promise<T> {
    throw new Error('a compiled statement is built, never run, at load');
  }
}

type Buildable<R> = { prepare(name: string): unknown; then: PromiseLike<R[]>['then'] };

/**
 * A select (or any prepared-capable builder) built on a builder-only database with placeholders;
 * its rows are mapped as drizzle maps them (column types, joined nulls).
 */
export function compileSelect<R>(build: (db: Db) => Buildable<R>): Compiled<R> {
  const session = new CaptureSession(dialect);
  const builderDb = new PgDatabase(dialect, session, undefined) as unknown as Db;
  build(builderDb).prepare('compiled');
  const captured = session.captured;
  if (!captured) throw new Error('compileSelect: the builder prepared no query');
  return {
    sql: captured.query.sql,
    run: async (tx, values) => {
      const prepared = sessionOf(tx).prepareQuery(captured.query, captured.fields, 'compiled', true) as unknown as Prepared;
      if (captured.joinsNotNullableMap) prepared.joinsNotNullableMap = captured.joinsNotNullableMap;
      return (await prepared.execute(values)) as R[];
    },
  };
}
