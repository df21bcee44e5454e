import {
  CallToolRequestSchema,
  InitializeRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** The requests this server answers, by method, with the SDK's own schema of each. */
const schemas = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
} as const;

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

const describe = (issue: Issue) => `${issue.path.map(String).join('.') || 'params'}: ${issue.message.replace(/^Invalid input: /, '')}`;

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
  const schema = schemas[message.method as keyof typeof schemas];
  const parsed = schema.safeParse(message);
  if (parsed.success) return null;
  return `Invalid params: ${(parsed.error.issues as Issue[]).slice(0, 5).map(describe).join('; ')}.`;
}
