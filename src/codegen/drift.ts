import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import type { CodegenPlugin, Types } from '@graphql-codegen/plugin-helpers';
import * as mcpTools from './mcp-tools';
import * as persistedOperations from './persisted-operations';

const require = createRequire(import.meta.url);

/** The project's own plugins by the names codegen.ts gives them, so they load without a TypeScript loader. */
const localPlugins: Record<string, CodegenPlugin> = {
  './src/codegen/mcp-tools.ts': mcpTools,
  './src/codegen/persisted-operations.ts': persistedOperations,
};

/** Loads the project's plugins directly and packages with `require` (codegen tries several names; a miss must say MODULE_NOT_FOUND). */
export async function pluginLoader(name: string): Promise<CodegenPlugin> {
  const local = localPlugins[name];
  if (local) return local;
  return require(name) as CodegenPlugin;
}

/** One generated file that differs from what codegen produces now. */
export interface Drift {
  file: string;
  problem: 'changed' | 'missing' | 'stale';
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Runs graphql-codegen in memory (never in watch mode, so the result is the outputs). */
export async function generateInMemory(config: CodegenConfig, cwd: string): Promise<Types.FileOutput[]> {
  return (await generate({ ...config, cwd, silent: true, watch: false, pluginLoader }, false)) as Types.FileOutput[];
}

/**
 * Runs graphql-codegen in memory and compares every output with the file on disk: a changed or
 * missing file, or a file in an output folder that codegen no longer produces, is drift.
 */
export async function findDrift(config: CodegenConfig, cwd: string): Promise<Drift[]> {
  const outputs = await generateInMemory(config, cwd);
  const produced = new Map(outputs.map((o) => [resolve(cwd, o.filename), o.content]));
  const drift: Drift[] = [];
  for (const [file, content] of produced) {
    const name = relative(cwd, file);
    if (!existsSync(file)) drift.push({ file: name, problem: 'missing' });
    else if (readFileSync(file, 'utf8') !== content) drift.push({ file: name, problem: 'changed' });
  }
  for (const target of Object.keys(config.generates)) {
    if (!target.endsWith('/')) continue;
    for (const file of filesUnder(resolve(cwd, target))) {
      if (!produced.has(file)) drift.push({ file: relative(cwd, file), problem: 'stale' });
    }
  }
  return drift.sort((a, b) => a.file.localeCompare(b.file));
}
