import { Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { ErrorCode, PactError } from '../../lib/errors';
import { findBadText, textProblem } from '../../lib/text';
import { refusal } from './results';

/**
 * Arguments that are not storable text (a lone surrogate, U+0000) or are nested absurdly deep, in
 * the variables or in the document's string literals.
 */
function badArguments(document: DocumentNode, variables: unknown): PactError | null {
  let found = findBadText(variables);
  if (!found) {
    visit(document, {
      [Kind.STRING](node) {
        const problem = found ? null : textProblem(node.value);
        if (problem) found = { path: 'a string literal', problem };
      },
    });
  }
  if (!found) return null;
  const { path, problem } = found as { path: string; problem: string };
  return new PactError(ErrorCode.BadUserInput, `Argument ${path} ${problem}.`, { http: { status: 400 } });
}

/** Refuses a call whose arguments cannot be stored or audited as BAD_USER_INPUT (HTTP 400), before its transaction. */
export function useArgumentCheck(): Plugin<GraphQLContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const bad = badArguments(args.document, args.variableValues ?? {});
      if (bad) setResultAndStopExecution(refusal(bad));
    },
  };
}
