import type { Sql } from './database';

/** Per-table scan and write counters and the database's transaction count, from pg_stat_*. */
export interface DbSnapshot {
  tables: Map<string, { seq: number; idx: number; ins: number; upd: number; del: number }>;
  commits: number;
  rollbacks: number;
}

const sleep = (msValue: number) => new Promise((resolve) => setTimeout(resolve, msValue));

/** Reads the counters, after waiting for idle backends to flush pending statistics (PostgreSQL 15 flushes an idle backend's within 10 s). */
export async function snapshot(sql: Sql, waitMs = 11_000): Promise<DbSnapshot> {
  await sleep(waitMs);
  await sql`select pg_stat_clear_snapshot()`;
  const rows = await sql<{ relname: string; seq: string; idx: string; ins: string; upd: string; del: string }[]>`
    select relname, coalesce(seq_scan, 0)::text as seq, coalesce(idx_scan, 0)::text as idx,
           n_tup_ins::text as ins, n_tup_upd::text as upd, n_tup_del::text as del
    from pg_stat_user_tables`;
  const [db] = await sql<{ commits: string; rollbacks: string }[]>`
    select xact_commit::text as commits, xact_rollback::text as rollbacks from pg_stat_database where datname = current_database()`;
  return {
    tables: new Map(rows.map((r) => [r.relname, { seq: Number(r.seq), idx: Number(r.idx), ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }])),
    commits: Number(db?.commits ?? 0),
    rollbacks: Number(db?.rollbacks ?? 0),
  };
}

export interface PerRequest {
  /** SQL statements sent (Query + Execute messages, counted by a proxy). */
  statements: number;
  /** Writes that carried them (round trips, for sequential requests; the sealer's included). */
  roundTrips: number;
  transactions: number;
  /** table → per-request scans (seq + index) and row writes, for tables that changed. */
  tables: { table: string; seqScans: number; idxScans: number; inserts: number; updates: number }[];
}

/** Counter deltas divided by `requests`; the reading connection's own commits are subtracted. */
export function perRequest(before: DbSnapshot, after: DbSnapshot, requests: number, statements: number, roundTrips: number, ownCommits = 2): PerRequest {
  const tables: PerRequest['tables'] = [];
  for (const [table, a] of after.tables) {
    const b = before.tables.get(table) ?? { seq: 0, idx: 0, ins: 0, upd: 0, del: 0 };
    const d = { seq: a.seq - b.seq, idx: a.idx - b.idx, ins: a.ins - b.ins, upd: a.upd - b.upd };
    if (d.seq || d.idx || d.ins || d.upd) {
      tables.push({ table, seqScans: d.seq / requests, idxScans: d.idx / requests, inserts: d.ins / requests, updates: d.upd / requests });
    }
  }
  tables.sort((x, y) => y.seqScans + y.idxScans - (x.seqScans + x.idxScans));
  return { statements: statements / requests, roundTrips: roundTrips / requests, transactions: (after.commits + after.rollbacks - before.commits - before.rollbacks - ownCommits) / requests, tables };
}

/** Average number of server backends per state while sampling (pg_stat_activity, every `everyMs`). */
export interface ActivityProfile {
  samples: number;
  /** e.g. `active (CPU)`, `active, waiting Lock:transactionid`, `idle in transaction (waiting for the app)`, `idle`. */
  states: { state: string; backends: number }[];
}

const describeState = (state: string | null, waitType: string | null, waitEvent: string | null): string => {
  if (state === 'active') return waitType ? `active, waiting ${waitType}:${waitEvent ?? '?'}` : 'active (on CPU)';
  if (state === 'idle in transaction') return 'idle in transaction (waiting for the app)';
  return state ?? 'unknown';
};

/** Samples the backends of `applicationName` until `stop()`; answers the average count per state. */
export function sampleActivity(sql: Sql, applicationName: string, everyMs = 50): { stop: () => Promise<ActivityProfile> } {
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ state: string | null; wait_event_type: string | null; wait_event: string | null }[]>`
        select state, wait_event_type, wait_event from pg_stat_activity
        where datname = current_database() and application_name = ${applicationName} and pid <> pg_backend_pid()`;
      samples += 1;
      for (const r of rows) {
        const key = describeState(r.state, r.wait_event_type, r.wait_event);
        totals.set(key, (totals.get(key) ?? 0) + 1);
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return {
        samples,
        states: [...totals].map(([state, n]) => ({ state, backends: n / Math.max(1, samples) })).sort((a, b) => b.backends - a.backends),
      };
    },
  };
}
