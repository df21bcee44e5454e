import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (or installed package) the CLI runs from. */
export const CLI_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEMPLATES = join(CLI_ROOT, 'templates');
/** The author SDK in this checkout, when there is one. */
export const SDK_DIR = join(CLI_ROOT, 'packages', 'mcp-server');

export const LANGS = ['ts', 'py'] as const;
export type Lang = (typeof LANGS)[number];
export const LANG_NAMES: Record<Lang, string> = { ts: 'TypeScript (@pact/mcp-server)', py: 'Python (FastMCP)' };

/** Template files whose name npm would drop or act on are stored under another name. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

export interface ScaffoldFile {
  path: string;
  content: string;
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '__pycache__') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, base)));
    else out.push(relative(base, full));
  }
  return out.sort();
}

interface Lockfile {
  packages?: Record<string, { version?: string }>;
}

/**
 * The version of `name` in the CLI's own lockfile with the same major as `wanted` (so that
 * `npm install` in a scaffold finds every package in the npm cache, offline); null when absent.
 */
export function lockedVersion(lock: Lockfile, name: string, wanted: string): string | null {
  const major = /^\D*(\d+)/.exec(wanted)?.[1];
  const candidates = Object.entries(lock.packages ?? {})
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, info]) => ({ top: path === `node_modules/${name}`, version: info.version ?? '' }))
    .filter((c) => c.version && (major === undefined || c.version.split('.')[0] === major));
  const top = candidates.find((c) => c.top);
  return top?.version ?? candidates[0]?.version ?? null;
}

function readLockfile(): Lockfile {
  const path = join(CLI_ROOT, 'package-lock.json');
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Lockfile;
}

type PackageJson = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> } & Record<string, unknown>;

/** The TypeScript scaffold's package.json: its name, the SDK by `file:` path from a checkout, other versions as locked here. */
function packageJson(text: string, name: string): string {
  const pkg = JSON.parse(text) as PackageJson;
  pkg.name = name;
  const lock = readLockfile();
  for (const deps of [pkg.dependencies, pkg.devDependencies]) {
    for (const dep of Object.keys(deps ?? {})) {
      if (!deps) continue;
      if (dep === '@pact/mcp-server') {
        if (existsSync(join(SDK_DIR, 'package.json'))) deps[dep] = `file:${SDK_DIR}`;
        continue;
      }
      deps[dep] = lockedVersion(lock, dep, deps[dep] ?? '') ?? deps[dep] ?? '';
    }
  }
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Every file of the scaffold, rendered for `name` (nothing is written). */
export async function renderScaffold(lang: Lang, name: string): Promise<ScaffoldFile[]> {
  const dir = join(TEMPLATES, `mcp-server-${lang}`);
  const files: ScaffoldFile[] = [];
  for (const path of await walk(dir)) {
    const text = await readFile(join(dir, path), 'utf8');
    const base = path.split('/').pop() ?? path;
    const target = join(dirname(path), RENAMED[base] ?? base);
    const content = path === 'package.json' ? packageJson(text, name) : text.replaceAll('{{name}}', name);
    files.push({ path: target === `./${base}` ? base : target.replace(/^\.\//, ''), content });
  }
  return files;
}

/** Whether `dir` is absent or an empty directory; the reason otherwise. */
export async function targetProblem(dir: string, shown: string): Promise<string | null> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    return null;
  }
  if (!info.isDirectory()) return `${shown} exists and is not a directory.`;
  if ((await readdir(dir)).length > 0) return `${shown} already exists and is not empty; nothing was written.`;
  return null;
}

/** Writes the files under `dir`; on failure removes what it wrote (the directory too, if it made it). */
export async function writeScaffold(dir: string, files: readonly ScaffoldFile[]): Promise<void> {
  const existed = existsSync(dir);
  try {
    for (const file of files) {
      const path = join(dir, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content, { flag: 'wx' });
    }
  } catch (error) {
    if (existed) for (const file of files) await rm(join(dir, file.path), { force: true });
    else await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
