/** Benchmark settings, from the environment; every value has a default that fits `npm run bench` in ~10 min. */

const int = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(raw)})`);
  return value;
};

/** Smoke mode (BENCH_SMOKE=1 or --smoke): tiny data, about a second of load, every correctness check, no timing verdicts that matter. */
export const isSmoke = (): boolean => process.env.BENCH_SMOKE === '1' || process.argv.includes('--smoke');

export interface BenchConfig {
  /** Smoke mode: small defaults (each still overridable by its variable); correctness only. */
  smoke: boolean;
  /** Sequential requests per path for the per-request statement counts. */
  perRequestSamples: number;
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
  const smoke = isSmoke();
  const d = <T>(full: T, small: T): T => (smoke ? small : full);
  return {
    smoke,
    perRequestSamples: int('BENCH_PER_REQUEST_SAMPLES', d(200, 10)),
    adminUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    keep: process.env.BENCH_KEEP === '1',
    connections: int('BENCH_CONNECTIONS', d(50, 4)),
    warmupSeconds: int('BENCH_WARMUP', d(2, 0), 0),
    durationSeconds: int('BENCH_DURATION', d(10, 1)),
    rounds: int('BENCH_ROUNDS', d(3, 1)),
    throughputContacts: int('BENCH_THROUGHPUT_CONTACTS', d(100_000, 2_000), 1_000),
    consentContacts: int('BENCH_CONSENT_CONTACTS', d(1_000_000, 2_000), 1_000),
    latencySamples: int('BENCH_LATENCY_SAMPLES', d(300, 10)),
    latencyWarmup: int('BENCH_LATENCY_WARMUP', d(50, 2), 0),
    filteredSamples: int('BENCH_FILTERED_SAMPLES', d(20, 3)),
    subjectBatch: int('BENCH_SUBJECT_BATCH', d(1_000, 1_000)),
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
