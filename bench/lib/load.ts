import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import type { RunningServer } from './servers';

export interface HttpCall {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Under load, a response body failing this test counts as an error answer even with a 2xx status. */
  okBody?: (body: string) => boolean;
}

export interface LoadRound {
  /** Successful responses (2xx, and the body passes `okBody` if the call has one) per second over the measured window. */
  rps: number;
  /** Latency percentiles of the 2xx responses (autocannon, 1 ms resolution). */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  /** 2xx responses whose body failed `okBody` (an error inside a 200: JSON-RPC error, `isError`, GraphQL `errors`). */
  errorBodies: number;
  errors: number;
  timeouts: number;
  /** Server process CPU per request (user + system), µs. */
  cpuPerRequestUs: number;
  rssMiB: number;
}

/** One autocannon run in this process (the servers run in their own processes). */
function cannon(server: RunningServer, call: HttpCall, connections: number, seconds: number): Promise<autocannon.Result> {
  const { okBody } = call;
  return autocannon({
    url: `${server.url}${call.path}`,
    method: 'POST',
    headers: call.headers,
    body: call.body,
    connections,
    duration: seconds,
    timeout: 10,
    // Latency of successful answers only: a fast refusal (401, 429) must not improve the percentiles.
    excludeErrorStats: true,
    ...(okBody ? { verifyBody: (body: string | Buffer | undefined) => okBody(String(body ?? '')) } : {}),
  });
}

/** A warm-up (discarded) then a measured run of `seconds` with `connections` keep-alive connections. */
export async function loadRound(
  server: RunningServer,
  call: HttpCall,
  connections: number,
  warmupSeconds: number,
  seconds: number,
  /** Started after the warm-up; the returned function is awaited when the measured run ends. */
  during?: () => () => Promise<void>,
): Promise<LoadRound> {
  if (warmupSeconds > 0) await cannon(server, call, connections, warmupSeconds);
  const before = await server.usage();
  const end = during?.();
  const result = await cannon(server, call, connections, seconds);
  const after = await server.usage();
  await end?.();
  const requests = result.requests.total;
  // Every completed response is tested; a non-2xx body never passes, so the rest of the mismatches are 2xx.
  const errorBodies = call.okBody ? Math.max(0, result.mismatches - result.non2xx) : 0;
  return {
    rps: (result['2xx'] - errorBodies) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    non2xx: result.non2xx,
    errorBodies,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuPerRequestUs: requests > 0 ? (after.cpuUs - before.cpuUs) / requests : 0,
    rssMiB: after.rssBytes / 2 ** 20,
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request over a keep-alive connection; resolves with the status, the body and the wall time in ms. */
export function timedCall(server: RunningServer, call: HttpCall): Promise<{ status: number; body: string; ms: number }> {
  const url = new URL(call.path, server.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...call.headers, 'content-length': String(Buffer.byteLength(call.body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(call.body);
  });
}

/** Closes the keep-alive sockets of `timedCall`, so the process can exit. */
export const closeAgent = (): void => agent.destroy();

export interface LatencySample {
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  samples: number;
}

/** `samples` sequential requests after `warmup` discarded ones; every response must pass `check`. */
export async function sequentialLatency(
  server: RunningServer,
  call: HttpCall,
  warmup: number,
  samples: number,
  check: (status: number, body: string) => void,
): Promise<LatencySample> {
  for (let i = 0; i < warmup; i += 1) {
    const r = await timedCall(server, call);
    check(r.status, r.body);
  }
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const r = await timedCall(server, call);
    check(r.status, r.body);
    times.push(r.ms);
  }
  return summarise(times);
}

/**
 * Sequential requests alternating between `targets` (A, B, A, B, …) on one keep-alive connection, so
 * every target sees the same machine noise; `warmup` discarded rounds, then `samples` rounds.
 */
export async function interleavedLatency(
  server: RunningServer,
  targets: { call: HttpCall; check: (status: number, body: string) => void }[],
  warmup: number,
  samples: number,
): Promise<LatencySample[]> {
  const times: number[][] = targets.map(() => []);
  for (let i = 0; i < warmup + samples; i += 1) {
    for (const [t, target] of targets.entries()) {
      const r = await timedCall(server, target.call);
      target.check(r.status, r.body);
      if (i >= warmup) times[t]?.push(r.ms);
    }
  }
  return times.map(summarise);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarise(times: number[]): LatencySample {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    samples: sorted.length,
  };
}
