import { specTypeSchemas, type StandardSchemaV1 } from '@modelcontextprotocol/server';

/** The requests this server answers, by method, with the SDK's own schema of each. */
const schemas = {
  initialize: specTypeSchemas.InitializeRequest,
  ping: specTypeSchemas.PingRequest,
  'server/discover': specTypeSchemas.DiscoverRequest,
  'tools/list': specTypeSchemas.ListToolsRequest,
  'tools/call': specTypeSchemas.CallToolRequest,
} as const;

const describe = (issue: StandardSchemaV1.Issue) =>
  `${(issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || 'params'}: ${issue.message.replace(/^Invalid input: /, '')}`;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `tools/call` params the SDK's schema accepts without asking it: a string `name`, object `arguments` if any, nothing else. */
const isPlainCall = (params: unknown): boolean => {
  if (!isObject(params) || typeof params.name !== 'string') return false;
  for (const key in params) if (key !== 'name' && key !== 'arguments') return false;
  return params.arguments === undefined || isObject(params.arguments);
};

/**
 * Why a request's `params` do not fit its method (-32602 Invalid params), in readable words, or
 * null: `params` must be an object; `tools/call` needs a string `name` and, if given, an object
 * `arguments`. Checked before the SDK, which would answer -32603 with a raw validation dump.
 * Notifications and unknown methods pass (the SDK answers those).
 */
export function invalidParams(message: { method: string; id?: unknown; params?: unknown }): string | null {
  if (!('id' in message)) return null;
  const { params } = message;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    return 'Invalid params: "params" must be an object.';
  }
  if (!Object.hasOwn(schemas, message.method)) return null;
  if (message.method === 'tools/call' && isPlainCall(params)) return null;
  const schema = schemas[message.method as keyof typeof schemas];
  const { issues } = schema['~standard'].validate(message);
  return issues ? `Invalid params: ${issues.slice(0, 5).map(describe).join('; ')}.` : null;
}
