import { ConfigError, loadConfig } from '../config/env';
import { DataDirLockedError } from '../db/data-dir';
import { createLogger } from '../lib/logger';
import { DEMO_PASSWORD } from '../services/seed/password';
import { StartError, startPact, type StartProgress } from './start';

let stepOpen = false;

function fail(message: string): never {
  if (stepOpen) process.stdout.write('failed\n');
  process.stderr.write(`pact: ${message}\n`);
  process.exit(1);
}

/** Prints "<what> … " as a step starts and its duration when it ends, on one line. */
const progress: StartProgress = (what) => {
  const began = performance.now();
  process.stdout.write(`${what} … `);
  stepOpen = true;
  return () => {
    stepOpen = false;
    process.stdout.write(`${((performance.now() - began) / 1000).toFixed(1)}s\n`);
  };
};

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const logger = createLogger({ level: config.logLevel });

try {
  const pact = await startPact(config, logger, { progress });
  const seconds = process.uptime().toFixed(1);
  const query = '{ contacts(first: 3) { returned consentFiltered note items { name email title accountName } } }';
  const lines = [
    '',
    `Pact is listening (ready in ${seconds}s, ${pact.database.kind === 'pglite' ? `embedded database in ${config.dataDir}` : 'PostgreSQL'}).`,
    '',
    `  Console     ${pact.url}/ui/  (sign in as owner@pact.demo, admin@, manager@, member@ or auditor@pact.demo; password ${DEMO_PASSWORD})`,
    `  GraphQL     ${pact.url}/graphql${config.env !== 'production' ? '  (open it in a browser for GraphiQL)' : ''}`,
    `  MCP         ${pact.url}/mcp/  (OAuth: give an MCP client this URL alone; or a bearer API key)`,
    `  OAuth       ${pact.url}/.well-known/oauth-authorization-server`,
    `  Sign in     POST ${pact.url}/auth/sign-in  {"email":"owner@pact.demo","password":"${DEMO_PASSWORD}"}`,
  ];
  if (pact.seeded) lines.push('', '  Seeded the demo tenant "demo" and a second tenant "globex" (dates relative to today).');
  if (pact.agedDays > 0) lines.push('', `  Moved the demo data's dates forward by ${pact.agedDays} day${pact.agedDays === 1 ? '' : 's'} (days since it was seeded or last moved).`);
  if (pact.demoKey) {
    lines.push(
      pact.revokedDemoKeys > 0
        ? `  Demo API key (tenant "demo"; the previous demo key is now revoked):`
        : `  Demo API key (tenant "demo"):`,
      `    ${pact.demoKey}`,
      '',
      'Try it:',
      `  curl -s ${pact.url}/graphql \\`,
      `    -H 'Authorization: Bearer ${pact.demoKey}' \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '${JSON.stringify({ query })}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  const stop = async () => {
    await pact.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof StartError || error instanceof DataDirLockedError || error instanceof ConfigError) fail(error.message);
  logger.fatal({ err: error }, 'start failed');
  fail(`start failed: ${(error as Error).message ?? String(error)}`);
}
