// A real Pact server in its own process for the fault tests: configured by the environment like
// `npm start`, logging pino JSON lines to stdout; prints one `PACT_READY <url>` line when serving.
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/lib/logger';
import { startPact } from '../../src/app/start';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
const pact = await startPact(config, logger, { seed: false });
process.stdout.write(`PACT_READY ${pact.url}\n`);
process.once('SIGTERM', () => {
  void pact.close().then(() => process.exit(0));
});
