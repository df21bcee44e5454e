import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/pact.mjs', import.meta.url));

export interface PactRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** PACT_* variables; nothing else of the test runner's environment leaks in. */
  env?: Record<string, string | undefined>;
  /** Written to stdin (which is a pipe, never a terminal). */
  input?: string;
  /** The working directory (default: the test runner's). */
  cwd?: string;
}

/** Runs the real `pact` bin as a child process. */
export function runPact(args: readonly string[], options: RunOptions = {}): Promise<PactRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: tmpdir() };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A temporary config directory (PACT_CONFIG_DIR) per user of a test. */
export async function configDirs() {
  const root = await mkdtemp(join(tmpdir(), 'pact-cli-'));
  let n = 0;
  return {
    next: () => join(root, `user-${(n += 1)}`, 'pact'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
