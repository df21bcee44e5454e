#!/usr/bin/env node
// The `pact` CLI. The sources are TypeScript run through tsx (no build step).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
