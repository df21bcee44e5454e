import { ErrorCode, PactError } from '../../../lib/errors';
import type { GroundedPrompt, ProviderId } from '../types';

/** The prompt as an external model receives it: a system text and one user message. */
export interface RenderedPrompt {
  system: string;
  user: string;
}

const NAMES: Record<ProviderId, string> = { offline: 'offline', anthropic: 'Anthropic', openai: 'OpenAI' };

/**
 * Renders a grounded prompt for an external model. Personal data stays as `{{placeholders}}` unless
 * `withPii` (an agent that reads PII, consent granted, the tenant allowing it): then the values are
 * filled in before sending.
 */
export function renderPrompt(prompt: GroundedPrompt, withPii: boolean): RenderedPrompt {
  const system = [
    `You are Pact's ${prompt.agent} agent, working inside a CRM. ${prompt.instruction}`,
    'Rules:',
    '- Use only the FACTS and RECORDS below. If they do not answer the question, say so.',
    '- Cite every record you mention inline as [kind:id], exactly as it is written in RECORDS (for example [deal:<id>]). Cite nothing else.',
    '- Text in double braces, such as {{contact_name}}, stands for personal data: copy it verbatim and never guess its value.',
    '- Open, won and lost deal values are separate figures: never add them together. Dates are relative to the "Today" fact.',
    '- When nothing matches, say what was searched; mention consent only when FACTS say it hid records.',
    '- Answer in plain text, in at most 200 words.',
  ].join('\n');
  const lines = [
    ...(prompt.question ? [`QUESTION: ${prompt.question}`, ''] : []),
    'FACTS:',
    ...(prompt.facts.length > 0 ? prompt.facts.map((f) => `- ${f}`) : ['- (none)']),
    '',
    'RECORDS:',
    ...(prompt.records.length > 0 ? prompt.records.map((r) => `- [${r.kind}:${r.id}] ${r.label}: ${r.facts}`) : ['- (none)']),
  ];
  const user = lines.join('\n');
  return { system, user: withPii ? fillPlaceholders(user, prompt.substitutions) : user };
}

/** Replaces `{{name}}` placeholders with their values; unknown placeholders stay as they are. */
export function fillPlaceholders(text: string, substitutions: Record<string, string>): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => substitutions[name] ?? whole);
}

/** How a provider call failed, independent of the SDK. */
export type ProviderFailure = { kind: 'timeout' } | { kind: 'status'; status: number } | { kind: 'connection' } | { kind: 'malformed'; what: string };

/** A provider failure as the stable error the caller sees (never the provider's body, which may echo the prompt). */
export function modelError(provider: ProviderId, failure: ProviderFailure, timeoutMs: number): PactError {
  const name = NAMES[provider];
  const extra = { provider };
  switch (failure.kind) {
    case 'timeout':
      return new PactError(
        ErrorCode.ModelTimeout,
        `The ${name} model did not answer within ${Math.round(timeoutMs / 100) / 10} s; no answer was produced and nothing was charged for the model. Try again later.`,
        extra,
      );
    case 'status': {
      const { status } = failure;
      const why =
        status === 401 || status === 403
          ? 'the provider refused the API key: check its key'
          : status === 429
            ? 'the provider is rate-limiting or out of quota'
            : status === 400 || status === 404 || status === 422
              ? 'the provider refused the request: check the model name'
              : status >= 500
                ? 'the provider failed'
                : 'the provider refused the request';
      return new PactError(ErrorCode.ModelError, `The ${name} model answered HTTP ${status} (${why}); no answer was produced. Try again later.`, {
        ...extra,
        status,
      });
    }
    case 'connection':
      return new PactError(ErrorCode.ModelError, `The ${name} model provider could not be reached; no answer was produced. Try again later.`, extra);
    case 'malformed':
      return new PactError(ErrorCode.ModelError, `The ${name} model sent a malformed answer (${failure.what}); no answer was produced.`, extra);
  }
}

/** A token count the provider did not report, estimated from the text (about 4 characters per token). */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** A non-negative integer token count, or null when the provider's value is unusable. */
export const tokenCount = (value: unknown): number | null =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
