/**
 * `npm run bench:start`: how long a second `npm start` (the bundled server, scripts/start.mjs) takes on an existing embedded data
 * directory, from spawning the process to the first 200 of `/healthz` (the first answer is a 503
 * "starting" as soon as the port listens; both are printed). A first start creates, migrates and
 * seeds the directory (unless BENCH_START_DIR names one already made), then BENCH_START_RUNS
 * (default 5) second starts are measured one after another. The target is under 3 s.
 * The CPU seconds the process spent until ready are printed too (Linux): on a machine other work
 * keeps busy, wall time grows with the load and CPU time much less.
 * BENCH_START_PROF=DIR writes a CPU profile of each measured start there (node --cpu-prof).
 * BENCH_START_SOURCES=1 starts the TypeScript sources through tsx instead (`npm run dev`'s way), to compare.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSmoke } from './lib/config';

const ROOT = new URL('..', import.meta.url);
const TARGET_SECONDS = 3;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

interface Timing {
  /** Seconds from spawn to the first HTTP answer of /healthz (503 while starting). */
  listening: number;
  /** Seconds from spawn to the first 200 of /healthz. */
  ready: number;
  /** CPU seconds (user + system, every thread) the process spent until then; null off Linux. */
  cpu: number | null;
}

/** A process's CPU seconds from /proc (Linux), which a loaded machine does not inflate as it does wall time. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Starts `npm start`'s command on `dir` and polls /healthz every 10 ms until it answers 200. */
async function start(dir: string, profileDir: string | null): Promise<Timing> {
  const port = await freePort();
  const began = performance.now();
  const entry = process.env.BENCH_START_SOURCES === '1' ? ['--import', 'tsx', 'src/app/main.ts'] : ['scripts/start.mjs'];
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...entry];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), PACT_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let listening = 0;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`pact exited ${child.exitCode}: ${stderr}`);
      if (performance.now() - began > 600_000) throw new Error('not ready within 600 s');
      const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
      const at = (performance.now() - began) / 1000;
      if (status !== 0 && !listening) listening = at;
      if (status === 200) return { listening, ready: at, cpu: cpuSeconds(child.pid) };
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await stop(child);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  // Smoke mode (CI): one second start, to show the script and a second start still work.
  const runs = Number(process.env.BENCH_START_RUNS ?? (isSmoke() ? 1 : 5));
  const given = process.env.BENCH_START_DIR;
  const dir = given ?? mkdtempSync(join(tmpdir(), 'pact-start-bench-'));
  const profiles = process.env.BENCH_START_PROF ?? null;
  // A stale bundle is rebuilt here, not inside a measured start.
  const built = spawnSync(process.execPath, ['scripts/server-bundle.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building the server failed');
  try {
    if (!given) {
      const first = await start(dir, null);
      console.log(`first start (create, migrate, seed): ready in ${first.ready.toFixed(2)} s`);
    }
    const seconds: Timing[] = [];
    for (let i = 0; i < runs; i += 1) {
      const t = await start(dir, profiles);
      seconds.push(t);
      console.log(`second start #${i + 1}: listening in ${t.listening.toFixed(2)} s, /healthz 200 in ${t.ready.toFixed(2)} s${t.cpu === null ? '' : ` (${t.cpu.toFixed(2)} CPU s)`}`);
    }
    const ready = median(seconds.map((t) => t.ready));
    console.log(
      `second start, spawn to first /healthz 200: median ${ready.toFixed(2)} s (min ${Math.min(...seconds.map((t) => t.ready)).toFixed(2)}, max ${Math.max(...seconds.map((t) => t.ready)).toFixed(2)}) — target < ${TARGET_SECONDS} s: ${ready < TARGET_SECONDS ? 'met' : 'NOT met'}`,
    );
    const cpu = seconds.flatMap((t) => (t.cpu === null ? [] : [t.cpu]));
    if (cpu.length > 0) console.log(`CPU seconds until ready: median ${median(cpu).toFixed(2)} (the figure a busy machine inflates least)`);
    if (profiles) console.log(`CPU profiles in ${profiles}`);
  } finally {
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
