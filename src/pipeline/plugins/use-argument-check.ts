import { Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../graphql/context';
import { ErrorCode, PactError } from '../../lib/errors';
import { findBadText, textProblem } from '../../lib/text';
import { refusal } from './results';

type Problem = { path: string; problem: string };
const literalProblems = new WeakMap<DocumentNode, Problem | null>();

/** The first string literal of the document that is not storable text, found once per document (a persisted one is the same node on every call). */
function literalProblem(document: DocumentNode): Problem | null {
  let cached = literalProblems.get(document);
  if (cached === undefined) {
    let found: Problem | null = null;
    visit(document, {
      [Kind.STRING](node) {
        const problem = found ? null : textProblem(node.value);
        if (problem) found = { path: 'a string literal', problem };
      },
    });
    cached = found;
    literalProblems.set(document, cached);
  }
  return cached;
}

/**
 * Arguments that are not storable text (a lone surrogate, U+0000) or are nested absurdly deep, in
 * the variables or in the document's string literals.
 */
function badArguments(document: DocumentNode, variables: unknown): PactError | null {
  const found = findBadText(variables) ?? literalProblem(document);
  if (!found) return null;
  const { path, problem } = found;
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
