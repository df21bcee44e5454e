/** Benchmark settings, from the environment; every value has a default that fits `npm run bench` in ~10 min. */

const int = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return value;
};

export interface BenchConfig {
  /** Admin URL of the PostgreSQL server; each run creates and drops its own database there. */
  adminUrl: string;
  /** Keep the benchmark database after the run (BENCH_KEEP=1). */
  keep: boolean;
  /** Load generator: connections, warm-up and measured seconds per round, rounds. */
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  rounds: number;
  /** Throughput data set. */
  throughputContacts: number;
  /** Consent-latency data set and sequential sample size. */
  consentContacts: number;
  latencySamples: number;
  latencyWarmup: number;
  /** Sequential samples of the filtered variant (each counts hidden matches, so it is slow at 1M). */
  filteredSamples: number;
  /** Consent subjects inserted per statement (each its own transaction) when switching 0% → 50%. */
  subjectBatch: number;
}

export function benchConfig(): BenchConfig {
  return {
    adminUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    keep: process.env.BENCH_KEEP === '1',
    connections: int('BENCH_CONNECTIONS', 50),
    warmupSeconds: int('BENCH_WARMUP', 2, 0),
    durationSeconds: int('BENCH_DURATION', 10),
    rounds: int('BENCH_ROUNDS', 3),
    throughputContacts: int('BENCH_THROUGHPUT_CONTACTS', 100_000, 1_000),
    consentContacts: int('BENCH_CONSENT_CONTACTS', 1_000_000, 1_000),
    latencySamples: int('BENCH_LATENCY_SAMPLES', 300),
    latencyWarmup: int('BENCH_LATENCY_WARMUP', 50, 0),
    filteredSamples: int('BENCH_FILTERED_SAMPLES', 20),
    subjectBatch: int('BENCH_SUBJECT_BATCH', 1_000),
  };
}

/** Every address the benchmarks open is this host; nothing leaves the machine. */
export const LOOPBACK = '127.0.0.1';

/** Refuses any database URL that is not on this machine: all load stays on 127.0.0.1. */
export function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`DATABASE_URL must point at this machine (127.0.0.1); got host ${host}`);
  }
}
