import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, PactError, type ErrorCode as Code } from '../../lib/errors';
import { callOfContext } from './use-authentication';

export interface HardeningOptions {
  /** Production: no introspection and no field suggestions for API keys. */
  production: boolean;
  maxDepth?: number;
  maxAliases?: number;
  maxDirectives?: number;
  maxTokens?: number;
  maxCost?: number;
}

/** GraphQL Armor's defaults (SECURITY.md). */
export const HARDENING_DEFAULTS = { maxDepth: 6, maxAliases: 15, maxDirectives: 50, maxTokens: 1000, maxCost: 5000 };

/**
 * Depth, alias, directive, token and cost limits (GraphQL Armor), each refusing with a stable code;
 * in production, API keys get neither introspection nor field suggestions.
 */
export function useHardening(options: HardeningOptions): Plugin[] {
  const limits = { ...HARDENING_DEFAULTS, ...options };
  const messages = new Map<string, Code>([
    [`Query depth exceeds the limit of ${limits.maxDepth}.`, ErrorCode.QueryTooDeep],
    [`Query uses more than ${limits.maxAliases} aliases.`, ErrorCode.TooManyAliases],
    [`Query uses more than ${limits.maxDirectives} directives.`, ErrorCode.TooManyDirectives],
    [`Query has more than ${limits.maxTokens} tokens.`, ErrorCode.TooManyTokens],
    [`Query cost exceeds the limit of ${limits.maxCost}.`, ErrorCode.QueryTooComplex],
  ]);
  const message = (code: Code) => [...messages].find(([, c]) => c === code)?.[0] ?? 'Query refused.';
  // Armor's errors may come from another copy of graphql (CJS beside ESM), so match them by shape.
  const stable = (error: unknown): unknown => {
    if (error instanceof PactError || typeof (error as { message?: unknown })?.message !== 'string') return error;
    const text = (error as Error).message.replace(/^Syntax Error: /, '');
    const code = messages.get(text);
    return code ? new PactError(code, text, { http: { status: 400 } }) : error;
  };
  const common = { exposeLimits: false, propagateOnRejection: true };
  const codes: Plugin = {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof Error) replaceParseResult(stable(result) as Error);
      };
    },
    onValidate({ context, addValidationRule, validateFn, setValidationFn }) {
      // Armor's rules throw on rejection; turn the throw into a validation error the after-hook maps.
      setValidationFn((...args) => {
        try {
          return validateFn(...args);
        } catch (error) {
          return [stable(error) as GraphQLError];
        }
      });
      const call = callOfContext(context);
      if (options.production && call?.principal.kind !== 'user') addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ result, setResult }) => {
        if (result.length === 0) return;
        const others = result.filter((e) => !introspection(e) && !aborted(e)).map((e) => stable(e) as GraphQLError);
        if (result.some(aborted)) setResult([tooManyErrors(), ...others.slice(0, SHOWN_ERRORS)]);
        else setResult(others.length < result.length ? [introspectionError(), ...others] : others);
      };
    },
  };
  const plugins: Plugin[] = [
    malformedParams,
    maxTokensPlugin({ ...common, n: limits.maxTokens, errorMessage: message(ErrorCode.TooManyTokens) }) as Plugin,
    maxDepthPlugin({ ...common, n: limits.maxDepth, flattenFragments: true, errorMessage: message(ErrorCode.QueryTooDeep) }) as Plugin,
    maxAliasesPlugin({ ...common, n: limits.maxAliases, errorMessage: message(ErrorCode.TooManyAliases) }) as Plugin,
    maxDirectivesPlugin({ ...common, n: limits.maxDirectives, errorMessage: message(ErrorCode.TooManyDirectives) }) as Plugin,
    costLimitPlugin({ ...common, maxCost: limits.maxCost, errorMessage: message(ErrorCode.QueryTooComplex) }) as Plugin,
    codes,
  ];
  if (options.production) plugins.push(blockFieldSuggestionsPlugin() as Plugin);
  return plugins;
}

/**
 * `variables` / `extensions` that are not JSON in a GET query string or a form body: yoga's parsers
 * let JSON.parse throw (a masked 500); they are bad requests.
 */
const malformedParams: Plugin = {
  onRequestParse({ requestParser, setRequestParser }) {
    if (!requestParser) return;
    setRequestParser(async (request) => {
      try {
        return await requestParser(request);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw new GraphQLError('The `variables` or `extensions` parameter is not valid JSON.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
      }
    });
  },
};

/** graphql-js stops validating after 100 errors and says so in an error of its own. */
const aborted = (error: { message: string }) => /Validation aborted/.test(error.message);
/** How many of graphql-js's errors follow the refusal of a query with too many of them. */
const SHOWN_ERRORS = 5;
const tooManyErrors = () =>
  new PactError(ErrorCode.QueryTooComplex, 'Query has too many validation errors (over 100); validation stopped. The first ones follow.', {
    http: { status: 400 },
  });

const introspection = (error: { message: string }) => /introspection has been disabled/i.test(error.message);
const introspectionError = () =>
  new PactError(ErrorCode.IntrospectionDisabled, 'Introspection is disabled for API keys; the schema is published as schema/schema.graphql.', {
    http: { status: 400 },
  });
