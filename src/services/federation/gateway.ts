import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { ErrorCode, forbiddenRole, isPactError, PactError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { checkConsent } from '../consent/check';
import { chargeModelSpend, markBlocked, outsideTransaction, type ServiceContext } from '../context';
import { rateLimited, type WindowStore } from '../limits/policy';
import { assertWithinCostCap } from './cost-cap';
import type { PiiPolicy } from './governance';
import { federatedToolByName, FEDERATED_NAME, isCallable, roleMayCall } from './listing';
import { applyPiiPolicy } from './pii-policy';
import { upstreamTargetOf, type FederatedToolRow } from './servers';
import { callUpstreamTool, type UpstreamPolicy } from './upstream';

/** What a federated call answers: the upstream's result after the PII policy, or the consent gate's blocked shape. */
export interface FederatedCallResult {
  content: unknown[];
  structuredContent: Record<string, unknown> | null;
  isError: boolean;
  blocked: boolean;
  reason: string | null;
}

/** What the gateway needs beyond the call's service context. */
export interface GatewayDeps {
  /** The rate-limit windows (Redis-backed when configured, so a tool's limit holds across instances). */
  limiter: WindowStore;
  /** How upstreams are reached (private addresses, time limit). */
  upstream: UpstreamPolicy;
  logger: Logger;
}

const WINDOW_MS = 60_000;
const MAX_VALIDATORS = 256;

const validator = new AjvJsonSchemaValidator();
/** Compiled input schemas by tool and definition hash (a changed definition has another hash). */
const validators = new Map<string, ReturnType<AjvJsonSchemaValidator['getValidator']>>();

function validatorOf(tool: FederatedToolRow, logger: Logger): ReturnType<AjvJsonSchemaValidator['getValidator']> | null {
  const key = `${tool.id}:${tool.definitionHash}`;
  const cached = validators.get(key);
  if (cached) return cached;
  try {
    const compiled = validator.getValidator(tool.inputSchema as Parameters<AjvJsonSchemaValidator['getValidator']>[0]);
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value as string);
    validators.set(key, compiled);
    return compiled;
  } catch (error) {
    // The upstream still checks its own arguments; Pact only checks what it can compile.
    logger.warn({ err: error, tool: tool.federatedName }, 'federated tool input schema does not compile; arguments are left to the upstream');
    return null;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const invalidArguments = (tool: string, detail: string) =>
  new PactError(ErrorCode.BadUserInput, `Invalid arguments for ${tool}: ${detail}`, { reason: 'INVALID_ARGUMENTS' });

/** The tool's arguments as an object, checked against its input schema. */
function checkedArguments(tool: FederatedToolRow, args: unknown, logger: Logger): Record<string, unknown> {
  const value = args ?? {};
  if (!isObject(value)) throw invalidArguments(tool.federatedName, 'the arguments must be a JSON object.');
  const check = validatorOf(tool, logger)?.(value);
  if (check && !check.valid) throw invalidArguments(tool.federatedName, check.errorMessage ?? 'see the input schema.');
  return value;
}

/** The consent gate on the tool's subject argument: the blocked reason (`consent_<status>`), or null when the subject may be processed. */
async function consentBlock(ctx: ServiceContext, tool: FederatedToolRow, args: Record<string, unknown>): Promise<string | null> {
  const field = tool.consentSubject;
  if (field === null) return null;
  const subject = args[field];
  const notASubject = () => invalidArguments(tool.federatedName, `\`${field}\` is the consent subject: an e-mail address, a domain or a consent subject id.`);
  if (typeof subject !== 'string' || subject.trim() === '') throw notASubject();
  try {
    const { allowed, status } = await checkConsent(ctx, subject);
    return allowed ? null : `consent_${status ?? 'unknown'}`;
  } catch (error) {
    if (isPactError(error) && error.code === ErrorCode.BadUserInput) throw notASubject();
    throw error;
  }
}

const blockedResult = (reason: string): FederatedCallResult => ({
  content: [{ type: 'text', text: JSON.stringify({ blocked: true, reason }) }],
  structuredContent: { blocked: true, reason },
  isError: false,
  blocked: true,
  reason,
});

/**
 * Calls a federated tool `<slug>__<tool>` for the caller, governed in this order: the tool exists
 * and is callable (enabled, its definition approved) and the caller's role is in its
 * `allowed_roles` (API keys only through `api`); the arguments fit its input schema; the tool's
 * per-minute limit (key per tenant and tool, in the shared limiter); the consent subject against
 * Pact's consent (a blocked subject answers the blocked shape as data, uncharged); the daily cost
 * cap; then the upstream call with the server's sealed credential, outside the call's transaction;
 * then the PII policy on its answer. A completed call is charged the tool's estimated cost.
 * Upstream failures and time-outs throw their UPSTREAM_* error.
 */
export async function callFederatedTool(ctx: ServiceContext, deps: GatewayDeps, federatedName: string, args: unknown): Promise<FederatedCallResult> {
  const notCallable = () => new PactError(ErrorCode.NotFound, `No federated tool named ${federatedName.slice(0, 64)} can be called in this workspace.`);
  if (!FEDERATED_NAME.test(federatedName)) throw notCallable();
  const found = await federatedToolByName(ctx.tx, ctx.principal, federatedName);
  if (!found || !isCallable(found.tool)) throw notCallable();
  const { tool, server } = found;
  if (!roleMayCall(ctx.principal, tool)) throw forbiddenRole(`Calling ${tool.federatedName}`, tool.allowedRoles, ctx.principal.role);
  const input = checkedArguments(tool, args, deps.logger);

  const window = await deps.limiter.hit(`{${ctx.principal.tenantId}}:federated:${tool.federatedName}`, tool.rateLimitPerMin, WINDOW_MS);
  if (!window.allowed) throw rateLimited(`federated:${tool.federatedName}`, tool.rateLimitPerMin, window.retryAfterMs);

  const blocked = await consentBlock(ctx, tool, input);
  if (blocked) {
    markBlocked(ctx, blocked);
    return blockedResult(blocked);
  }
  await assertWithinCostCap(ctx, tool.federatedName, tool.costCapMicrocents, tool.estCostMicrocents);

  const target = await upstreamTargetOf(ctx.tx, ctx.keys, server);
  let answer;
  try {
    answer = await outsideTransaction(ctx, () => callUpstreamTool(target, deps.upstream, tool.name, input));
  } catch (error) {
    deps.logger.warn({ tool: tool.federatedName, code: isPactError(error) ? error.code : 'UNEXPECTED' }, 'federated tool call failed upstream');
    throw error;
  }
  const governed = await applyPiiPolicy(ctx, tool.federatedName, tool.piiPolicy as PiiPolicy, {
    content: answer.content,
    structuredContent: isObject(answer.structuredContent) ? answer.structuredContent : undefined,
  });
  chargeModelSpend(ctx, tool.estCostMicrocents);
  return { content: governed.content, structuredContent: governed.structuredContent ?? null, isError: answer.isError === true, blocked: false, reason: null };
}
