import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ErrorCode, PactError } from '../../lib/errors';
import type { UpstreamTool } from './upstream';

/** Where an author's server declares a tool's governance (the author SDK's `GOVERNANCE_META_KEY`). */
export const GOVERNANCE_META_KEY = 'dev.pact/governance';

/** The longest federated tool name (MCP clients commonly cap tool names at 64 characters). */
export const MAX_FEDERATED_NAME = 64;

/** A server's slug: lowercase letters, digits and hyphens, 1 to 32, never `__` (the federated-name separator). */
export const SLUG_PATTERN = /^[a-z0-9-]{1,32}$/;

/** Tool names an upstream may list (the MCP tool-name alphabet). */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The SHA-256 (hex) of a tool's canonical definition (RFC 8785 JSON of name, description, inputSchema,
 * outputSchema and annotations): what an owner or admin approves. Title and `_meta` are not part of it.
 */
export function definitionHash(tool: UpstreamTool): string {
  const canonical = canonicalize({
    name: tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
    annotations: tool.annotations ?? null,
  });
  return createHash('sha256')
    .update(canonical ?? '')
    .digest('hex');
}

/** `<slug>__<tool>`. */
export const federatedNameOf = (slug: string, tool: string): string => `${slug}__${tool}`;

/** Refuses a tool whose name an MCP client could not call, or whose federated name is too long (naming the tool). */
export function checkToolName(slug: string, tool: string): string {
  if (!TOOL_NAME.test(tool)) {
    throw new PactError(ErrorCode.BadUserInput, `The upstream tool name "${tool.slice(0, 80)}" is not a valid MCP tool name (letters, digits, _ . -).`, { tool: tool.slice(0, 128) });
  }
  const name = federatedNameOf(slug, tool);
  if (name.length > MAX_FEDERATED_NAME) {
    throw new PactError(
      ErrorCode.BadUserInput,
      `The federated name "${name}" of tool "${tool}" is ${name.length} characters; at most ${MAX_FEDERATED_NAME} are allowed: shorten the tool name or the server's slug.`,
      { tool, federatedName: name },
    );
  }
  return name;
}

export interface DeclaredGovernance {
  /** The whole declaration as stored (`upstream_governance`). */
  declared: Record<string, unknown> | null;
  /** The declared consent subject (an argument name), or null. */
  consentSubject: string | null;
  /** Declared cost per call, micro-cents (the default estimate until the admin governs it). */
  estCostMicrocents: number | null;
  rateLimitPerMin: number | null;
}

/** What the upstream declared under `_meta["dev.pact/governance"]`, read defensively (any shape may arrive). */
export const declaredGovernance = (tool: UpstreamTool): DeclaredGovernance => parseGovernance(tool._meta?.[GOVERNANCE_META_KEY]);

/** A governance declaration (as stored in `upstream_governance`) read defensively. */
export function parseGovernance(raw: unknown): DeclaredGovernance {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { declared: null, consentSubject: null, estCostMicrocents: null, rateLimitPerMin: null };
  const declared = raw as Record<string, unknown>;
  const subject = declared.consent_subject;
  const cost = declared.cost_cents;
  const rate = declared.rate_limit_per_min;
  return {
    declared,
    consentSubject: typeof subject === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(subject) ? subject : null,
    estCostMicrocents: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 && cost <= 1_000_000 ? Math.round(cost * 1_000_000) : null,
    rateLimitPerMin: typeof rate === 'number' && Number.isInteger(rate) && rate > 0 && rate <= 100_000 ? rate : null,
  };
}
