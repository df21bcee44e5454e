import { ProtocolError, ProtocolErrorCode, type CallToolResult, type Tool, type ToolAnnotations } from '@modelcontextprotocol/server';
import { isBlocking, type ConsentStatus, type ConsentStore } from './consent.js';
import { createSlidingWindow, type RateLimitRefusal } from './rate-limit.js';
import { inputJsonSchema, validateArgs, type InferOutput, type StandardSchema } from './schema.js';

/**
 * The `_meta` key under which each tool publishes its governance in `tools/list`, so that a
 * gateway (Pact's federation) reads cost, rate limit and consent subject at discovery.
 */
export const GOVERNANCE_META_KEY = 'dev.pact/governance';

/** What a tool publishes under {@link GOVERNANCE_META_KEY}. */
export interface ToolGovernance {
  cost_cents: number;
  /** Calls per minute (per tool, sliding window), or null when unlimited. */
  rate_limit_per_min: number | null;
  /** The argument holding the data subject the consent gate checks, or null. */
  consent_subject: string | null;
}

export interface ToolOptions<S extends StandardSchema> {
  title?: string;
  description: string;
  /** Cost of one call in cents (fractions allowed); injected into every result as `cost_cents`. */
  costCents: number;
  /** The argument holding the data subject (e.g. `"email"`); a blocking consent status answers `{"blocked": true, …}` and the handler does not run. */
  consentSubject?: string;
  /** Calls per minute for this tool, a sliding window; over it the call is refused with RATE_LIMITED and a retry hint. */
  rateLimitPerMin?: number;
  /** The arguments: a zod 4 object, or any Standard Schema. */
  schema: S;
  annotations?: ToolAnnotations;
}

/** What a handler receives besides its arguments. */
export interface ToolExtra {
  tool: string;
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
  /** The consent status of the call's subject, for tools with a `consentSubject`. */
  consentStatus?: ConsentStatus;
  /** The HTTP request the call came in (HTTP only). */
  request?: Request;
}

/** A handler answers a plain object: the SDK adds `cost_cents` and sends it as `structuredContent` and as JSON text. */
export type ToolHandler<S extends StandardSchema> = (args: InferOutput<S>, extra: ToolExtra) => object | Promise<object>;

export interface RegisteredTool {
  name: string;
  options: ToolOptions<StandardSchema>;
  handler: ToolHandler<StandardSchema>;
  listed: Tool;
}

/** A call the tool table admitted (run it), or answered already (an `isError` result), or refused (RATE_LIMITED). */
export type Admission =
  | { kind: 'run'; tool: RegisteredTool; args: unknown }
  | { kind: 'answer'; result: CallToolResult }
  | { kind: 'limited'; refusal: RateLimitRefusal };

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A tool result whose text block is the one serialization of its structured value. */
export function structuredResult(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON-RPC error of a refused call, for transports without HTTP (stdio, in memory). */
export const rateLimitedError = (refusal: RateLimitRefusal) => new ProtocolError(refusal.rpcCode, refusal.message, refusal.data);

/** The tools of one server, their listing, and the guardrails every call goes through. */
export function createToolTable(options: { consentStore?: ConsentStore | undefined; now: () => number }) {
  const tools = new Map<string, RegisteredTool>();
  const window = createSlidingWindow(options.now);

  const register = (name: string, tool: ToolOptions<StandardSchema>, handler: ToolHandler<StandardSchema>) => {
    if (!NAME.test(name)) throw new TypeError(`Tool name "${name}": use 1-64 letters, digits, "_" or "-".`);
    if (tools.has(name)) throw new TypeError(`Tool "${name}" is already registered.`);
    if (typeof tool.description !== 'string' || tool.description.trim() === '') throw new TypeError(`Tool "${name}": a description is required.`);
    if (typeof tool.costCents !== 'number' || !Number.isFinite(tool.costCents) || tool.costCents < 0) {
      throw new TypeError(`Tool "${name}": costCents must be a finite number ≥ 0 (got ${String(tool.costCents)}).`);
    }
    if (tool.rateLimitPerMin !== undefined && (!Number.isInteger(tool.rateLimitPerMin) || tool.rateLimitPerMin < 1)) {
      throw new TypeError(`Tool "${name}": rateLimitPerMin must be a whole number ≥ 1 (got ${String(tool.rateLimitPerMin)}).`);
    }
    if (!tool.schema || typeof tool.schema['~standard']?.validate !== 'function') {
      throw new TypeError(`Tool "${name}": schema must be a zod 4 object or another Standard Schema.`);
    }
    const inputSchema = inputJsonSchema(tool.schema);
    const properties = inputSchema.properties as Record<string, unknown> | undefined;
    if (tool.consentSubject !== undefined && properties && !Object.hasOwn(properties, tool.consentSubject)) {
      throw new TypeError(`Tool "${name}": consentSubject "${tool.consentSubject}" is not one of its arguments (${Object.keys(properties).join(', ') || 'none'}).`);
    }
    if (tool.consentSubject !== undefined && !options.consentStore) {
      throw new TypeError(`Tool "${name}" names a consentSubject, but the server has no consentStore: createPactServer(name, { consentStore }).`);
    }
    const governance: ToolGovernance = {
      cost_cents: tool.costCents,
      rate_limit_per_min: tool.rateLimitPerMin ?? null,
      consent_subject: tool.consentSubject ?? null,
    };
    const listed: Tool = {
      name,
      ...(tool.title ? { title: tool.title } : {}),
      description: tool.description,
      inputSchema: inputSchema as Tool['inputSchema'],
      ...(tool.annotations ? { annotations: tool.annotations } : {}),
      _meta: { [GOVERNANCE_META_KEY]: governance },
    };
    tools.set(name, { name, options: tool, handler, listed });
  };

  /**
   * The guardrails before a handler, in order: an unknown tool is a JSON-RPC -32602 (thrown);
   * arguments failing the schema an `isError` result with the messages (not counted); then the
   * tool's sliding window (RATE_LIMITED). Consent is checked when the call runs.
   */
  const admit = async (name: string, args: unknown): Promise<Admission> => {
    const tool = tools.get(name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const checked = await validateArgs(tool.options.schema, args ?? {});
    if ('messages' in checked) return { kind: 'answer', result: errorResult(`Invalid arguments for ${name}: ${checked.messages.join('; ')}`) };
    if (tool.options.rateLimitPerMin !== undefined) {
      const refusal = window.hit(name, tool.options.rateLimitPerMin);
      if (refusal) return { kind: 'limited', refusal };
    }
    return { kind: 'run', tool, args: checked.value };
  };

  /**
 * Runs an admitted call: the consent gate, then the handler. Every result that is not an error
 * carries `cost_cents`: the tool's cost when the handler ran, 0 when consent blocked the call.
 */
  const run = async (tool: RegisteredTool, args: unknown, extra: Omit<ToolExtra, 'tool' | 'consentStatus'>): Promise<CallToolResult> => {
    const cost = tool.options.costCents;
    const field = tool.options.consentSubject;
    let consentStatus: ConsentStatus | undefined;
    if (field !== undefined && options.consentStore) {
      const subject = isPlainObject(args) ? args[field] : undefined;
      if (typeof subject !== 'string' || subject.trim() === '') {
        return errorResult(`Invalid arguments for ${tool.name}: ${field}: the consent subject must be a non-empty string.`);
      }
      try {
        consentStatus = await options.consentStore.check(subject);
      } catch (error) {
        return errorResult(`Consent check failed, so ${tool.name} did not run: ${(error as Error).message}`);
      }
      // As Pact's own server answers a blocked subject: data, not an error, and not charged.
      if (isBlocking(consentStatus)) return structuredResult({ blocked: true, reason: `consent_${consentStatus}`, cost_cents: 0 });
    }
    let value: unknown;
    try {
      value = await tool.handler(args as never, { ...extra, tool: tool.name, ...(consentStatus ? { consentStatus } : {}) });
    } catch (error) {
      return errorResult(error instanceof Error ? error.message : String(error));
    }
    const structured = isPlainObject(value) ? { ...value, cost_cents: cost } : { result: value ?? null, cost_cents: cost };
    return structuredResult(structured);
  };

  return {
    register,
    admit,
    run,
    has: (name: string) => tools.has(name),
    /** The `tools/list` entries, in registration order. */
    list: (): Tool[] => [...tools.values()].map((t) => t.listed),
  };
}

export type ToolTable = ReturnType<typeof createToolTable>;
