// Serves the server without the Pact CLI: `npm start` (PORT, HOST from the environment).
import { server } from './server.js';

const port = Number(process.env.PORT ?? 9000);
const host = process.env.HOST ?? '127.0.0.1';
await server.serve({ port, host });
console.log(`{{name}} serving MCP on http://${host}:${port}/mcp`);
