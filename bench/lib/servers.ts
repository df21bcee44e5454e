import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, ServerKind } from './protocol';

export interface ServerUsage {
  cpuUs: number;
  rssBytes: number;
}

export interface RunningServer {
  kind: ServerKind;
  url: string;
  pid: number;
  /** CPU time (user + system) the server process has used so far, and its resident memory. */
  usage(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

const childPath = fileURLToPath(new URL('./server-child.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface ServerOptions {
  databaseUrl: string;
  masterKeyHex: string;
  tenantId: string;
  poolSize?: number;
  /**
   * Pact only: `raised` raises the tools' root fields' own per-minute limits (`@rateLimit`, which
   * /graphql and MCP share) with PACT_RATE_LIMIT_FIELDS; `shipped` keeps the schema's. Default:
   * BENCH_TOOL_LIMITS=shipped in the environment, else `raised`.
   */
  toolLimits?: 'raised' | 'shipped';
}

/** The flags package.json's `start` script gives node before scripts/start.mjs (e.g. the young generation's size). */
const START_FLAGS = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  return /^node\s+(.*?)\s*scripts\/start\.mjs/.exec(pkg.scripts.start ?? '')?.[1] ?? '';
})();

/** Forks a server child (tsx loader) and waits until it listens on 127.0.0.1. */
export async function startServer(kind: ServerKind, options: ServerOptions): Promise<RunningServer> {
  const child: ChildProcess = fork(childPath, [], {
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of each server process there (open in Chrome DevTools).
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      // The V8 flags `npm start` runs the server with; BENCH_NODE_FLAGS replaces them (empty: none).
      ...(process.env.BENCH_NODE_FLAGS ?? START_FLAGS).split(/\s+/).filter(Boolean),
    ],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      BENCH_SERVER: kind,
      BENCH_DATABASE_URL: options.databaseUrl,
      BENCH_MASTER_KEY: options.masterKeyHex,
      BENCH_TENANT_ID: options.tenantId,
      BENCH_POOL: String(options.poolSize ?? 10),
      BENCH_TOOL_LIMITS: options.toolLimits ?? (process.env.BENCH_TOOL_LIMITS === 'shipped' ? 'shipped' : 'raised'),
      ...(process.env.BENCH_LOG_LEVEL ? { BENCH_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
      ...(process.env.BENCH_RATE_LIMIT ? { BENCH_RATE_LIMIT: process.env.BENCH_RATE_LIMIT } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${kind} server did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${kind} server failed to start:\n${message.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with code ${String(code)} before listening`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    usage: () =>
      new Promise<ServerUsage>((resolve, reject) => {
        const onMessage = (message: ChildMessage) => {
          if (message.type !== 'usage') return;
          child.off('message', onMessage);
          resolve({ cpuUs: message.cpuUserUs + message.cpuSystemUs, rssBytes: message.rssBytes });
        };
        child.on('message', onMessage);
        if (!child.send({ type: 'usage' } satisfies ParentMessage)) reject(new Error('server child is gone'));
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
