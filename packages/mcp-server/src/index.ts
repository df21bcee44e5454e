export { createPactServer, type PactServer, type PactServerOptions } from './server.js';
export { GOVERNANCE_META_KEY, type ToolExtra, type ToolGovernance, type ToolHandler, type ToolOptions } from './tools.js';
export {
  BLOCKING_STATUSES,
  CONSENT_CHECK_QUERY,
  ConsentCheckError,
  InMemoryConsentStore,
  PactConsentStore,
  type ConsentStatus,
  type ConsentStore,
  type PactConsentStoreOptions,
} from './consent.js';
export { RATE_LIMITED_RPC_CODE, WINDOW_MS } from './rate-limit.js';
export { toNodeListener, type AppOptions, type FetchHandler, type RunningServer, type ServeOptions } from './http.js';
export type { InferOutput, StandardSchema } from './schema.js';
export { z } from 'zod';
