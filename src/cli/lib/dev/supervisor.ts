/**
 * `pact mcp dev`: a proxy on the author's port in front of the current good worker.
 *
 * Each version of the server runs in its own child process (worker.ts, through tsx). A spare
 * worker waits warm (tsx and the project's dependencies loaded). On a saved change the supervisor
 * re-checks pact.toml and has the spare load the project's modules; it swaps the proxy to it only
 * when the worker reports ready, so a change that fails to compile or load (or a pact.toml that no
 * longer validates) prints its error while the last good version keeps serving. The retired
 * version ends once its requests are answered. Workers exit with their supervisor (IPC
 * disconnect), so Ctrl-C leaves no children behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPactTomlError, parsePactToml } from '../pact-toml';
import type { SupervisorMessage, WorkerMessage } from './worker';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** tsx's loader, resolved from the CLI (a scaffold need not have tsx). */
const TSX = import.meta.resolve('tsx');
const IGNORED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '__pycache__', '.venv']);
const IGNORED_FILE = /(^\.|~$|\.sw[a-z]$|^4913$|\.tmp$)/;
const DEBOUNCE_MS = 60;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const READY_TIMEOUT_MS = 20_000;
const RETIRE_AFTER_MS = 10_000;

export interface DevServerOptions {
  cwd: string;
  /** The module that exports the server, relative to cwd. */
  entry: string;
  port: number;
  host: string;
  out(text: string): void;
  err(text: string): void;
}

interface Worker {
  child: ChildProcess;
  port: number;
  inflight: number;
  since: Date;
  retired: boolean;
}

const time = (d: Date) => d.toTimeString().slice(0, 8);
const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

export class DevServer {
  private current: Worker | null = null;
  private candidate: ChildProcess | null = null;
  private spare: ChildProcess | null = null;
  private generation = 0;
  private proxy: Server | null = null;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly children = new Set<ChildProcess>();
  private readonly warm = new Set<ChildProcess>();
  private timer: NodeJS.Timeout | null = null;
  private changed = new Set<string>();
  private stopping = false;
  private lastError: string | null = null;
  private lastNote = '';

  constructor(private readonly options: DevServerOptions) {}

  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.options.port}/mcp`;
  }

  /** Listens and watches the project. Rejects when the port cannot be bound. */
  async start(): Promise<void> {
    this.proxy = createServer((req, res) => this.forward(req, res));
    await new Promise<void>((resolve, reject) => {
      this.proxy?.once('error', reject);
      this.proxy?.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.proxy.address();
    if (address && typeof address === 'object') this.options.port = address.port;
    this.watchTree(this.options.cwd);
  }

  /** Starts the first version; resolves when it is ready or has failed (then a saved change retries). */
  load(): Promise<void> {
    return this.reload('start');
  }

  /** Stops watching, closes the proxy and ends every worker (SIGTERM, then SIGKILL after 3 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    const closed = new Promise<void>((resolve) => (this.proxy ? this.proxy.close(() => resolve()) : resolve()));
    this.proxy?.closeAllConnections();
    await Promise.all([...this.children].map((child) => this.kill(child)));
    await closed;
  }

  private kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const worker = this.current;
    if (!worker) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(this.lastError ? `pact mcp dev: no working version of the server yet:\n${this.lastError}\n` : 'pact mcp dev: the server is starting; try again in a moment.\n');
      return;
    }
    worker.inflight += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      worker.inflight -= 1;
      if (worker.retired && worker.inflight === 0) void this.kill(worker.child);
    };
    // On loopback the worker checks Host (DNS-rebinding defence) as the author's own `serve()` would;
    // bound to another address on purpose (--host), the proxy speaks to the worker as localhost.
    const headers = LOOPBACK.has(this.options.host) ? req.headers : { ...req.headers, host: `127.0.0.1:${worker.port}` };
    const upstream = httpRequest({ host: '127.0.0.1', port: worker.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
      answer.on('end', finish);
    });
    upstream.on('error', (error) => {
      finish();
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`pact mcp dev: the server process failed: ${error.message}\n`);
    });
    res.on('close', () => {
      if (!upstream.destroyed) upstream.destroy();
      finish();
    });
    req.pipe(upstream);
  }

  /** Re-checks pact.toml and starts a new worker; swaps to it when it is ready. */
  private async reload(reason: string): Promise<void> {
    const generation = (this.generation += 1);
    if (this.candidate) void this.kill(this.candidate);
    this.candidate = null;
    const started = Date.now();
    const what = reason === 'start' ? 'start' : `reload (${reason})`;

    const tomlPath = join(this.options.cwd, 'pact.toml');
    let governed: string[] | null = null;
    if (existsSync(tomlPath)) {
      const result = parsePactToml(readFileSync(tomlPath, 'utf8'));
      if (result.ok) governed = Object.keys(result.config.tools);
      if (!result.ok) {
        const lines = result.errors.map((e) => formatPactTomlError('pact.toml', e)).join('\n');
        this.lastError = `pact.toml is not valid:\n${lines}`;
        this.options.err(`✗ ${what}: pact.toml is not valid\n${indent(lines)}\n`);
        this.options.err(this.keeping());
        return;
      }
    } else {
      this.options.err('! no pact.toml here: its governance is not checked (`pact mcp validate` explains the file).\n');
    }

    const child = this.takeSpare();
    this.candidate = child;
    const outcome = await new Promise<Exclude<WorkerMessage, { type: 'warm' }>>((resolve) => {
      const timeout = setTimeout(() => resolve({ type: 'error', message: `not ready after ${READY_TIMEOUT_MS / 1000} s` }), READY_TIMEOUT_MS);
      const load: SupervisorMessage = { type: 'load', entry: join(this.options.cwd, this.options.entry) };
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'warm') return void child.send(load);
        clearTimeout(timeout);
        resolve(message);
      });
      // A message sent before the worker listens would be lost: a spare that is warm already gets it now.
      if (this.warm.has(child)) child.send(load);
      child.on('exit', (code, signal) => {
        clearTimeout(timeout);
        resolve({ type: 'error', message: `the server process exited (${signal ?? `code ${code}`}) before it was ready` });
      });
    });
    // The next spare warms up once this version is settled (not beside it: on a busy machine the two
    // would share the CPU and this reload would be the slower for it).
    if (!this.stopping && !this.spare) this.spare = this.spawn();
    if (generation !== this.generation || this.stopping) {
      void this.kill(child);
      return;
    }
    this.candidate = null;
    if (outcome.type === 'error') {
      void this.kill(child);
      this.lastError = outcome.message;
      this.options.err(`✗ ${what} failed:\n${indent(outcome.message)}\n`);
      this.options.err(this.keeping());
      return;
    }
    const previous = this.current;
    this.current = { child, port: outcome.port, inflight: 0, since: new Date(), retired: false };
    this.lastError = null;
    child.on('exit', () => {
      if (this.current?.child === child && !this.stopping) {
        this.current = null;
        this.options.err('✗ the server process exited; save a file to start it again.\n');
      }
    });
    const note = this.governanceNote(outcome.tools, governed);
    this.options.err(`✓ ${reason === 'start' ? 'ready' : `reloaded (${reason})`} in ${Date.now() - started} ms: ${outcome.tools.join(', ') || 'no tools'}\n${note}`);
    if (previous) this.retire(previous);
  }

  /** Says which tools pact.toml does not govern (and which entries name no tool), when that changes. */
  private governanceNote(tools: string[], governed: string[] | null): string {
    if (governed === null) return '';
    const lines = [
      ...tools.filter((t) => !governed.includes(t)).map((t) => `  · ${t}: no [tools.${t}] entry in pact.toml, so it stays disabled when published`),
      ...governed.filter((g) => !tools.includes(g)).map((g) => `  ! pact.toml has [tools.${g}] but the server has no tool "${g}"`),
    ].join('\n');
    const changed = lines !== this.lastNote;
    this.lastNote = lines;
    return lines && changed ? `${lines}\n` : '';
  }

  /** A worker that has loaded tsx and the project's dependencies, waiting for `load`. */
  private spawn(): ChildProcess {
    const child = fork(WORKER, [], {
      cwd: this.options.cwd,
      execArgv: ['--import', TSX],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, PACT_MCP_DEV: '1', PACT_DEV_PRELOAD: JSON.stringify(this.dependencies()) },
    });
    this.children.add(child);
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'warm') this.warm.add(child);
    });
    child.on('exit', () => {
      this.children.delete(child);
      this.warm.delete(child);
      if (this.spare === child) this.spare = null;
    });
    child.stdout?.on('data', (chunk: Buffer) => this.options.out(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.options.err(chunk.toString()));
    return child;
  }

  private takeSpare(): ChildProcess {
    const spare = this.spare;
    this.spare = null;
    return spare && spare.exitCode === null && spare.signalCode === null ? spare : this.spawn();
  }

  /** The project's runtime dependencies (package.json `dependencies`): what a spare preloads. */
  private dependencies(): string[] {
    try {
      const pkg = JSON.parse(readFileSync(join(this.options.cwd, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      return Object.keys(pkg.dependencies ?? {});
    } catch {
      return [];
    }
  }

  private keeping(): string {
    return this.current ? `  still serving the version from ${time(this.current.since)}\n` : '  nothing to serve yet: fix it and save\n';
  }

  private retire(worker: Worker): void {
    worker.retired = true;
    if (worker.inflight === 0) void this.kill(worker.child);
    else setTimeout(() => void this.kill(worker.child), RETIRE_AFTER_MS).unref();
  }

  private watchTree(dir: string): void {
    if (this.watchers.has(dir) || this.stopping) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, filename) => this.onChange(dir, filename ? filename.toString() : null));
    } catch {
      return;
    }
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(dir);
    });
    this.watchers.set(dir, watcher);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory() && !IGNORED_DIRS.has(entry.name) && !entry.name.startsWith('.')) this.watchTree(join(dir, entry.name));
  }

  private onChange(dir: string, filename: string | null): void {
    if (this.stopping) return;
    if (filename && IGNORED_FILE.test(filename)) return;
    if (filename && !IGNORED_DIRS.has(filename)) {
      const path = join(dir, filename);
      if (!this.watchers.has(path)) {
        try {
          if (readdirSync(path)) this.watchTree(path);
        } catch {
          // a file, or gone
        }
      }
      this.changed.add(relative(this.options.cwd, path));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const files = [...this.changed].filter((file) => existsSync(join(this.options.cwd, file)));
      this.changed.clear();
      if (files.includes('package.json') && this.spare) {
        void this.kill(this.spare);
        this.spare = null;
      }
      void this.reload(files.length ? `${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''} changed` : 'change');
    }, DEBOUNCE_MS);
  }
}
