import type { DocumentNode, ExecutionResult } from 'graphql';
import type { PactYoga } from '../server/yoga';
import type { Call } from '../services/audit/call';
import type { Services } from '../services/index';

/**
 * Runs a persisted operation through the same envelop pipeline as `/graphql` (hardening, limits,
 * tenant transaction, audit, ledger), in process, with the call's principal in context.
 */
export async function runOperation(
  yoga: PactYoga,
  services: Services,
  call: Call,
  document: DocumentNode,
  variables: Record<string, unknown>,
): Promise<ExecutionResult> {
  const initial = { call, principal: call.principal, services };
  const { validate, contextFactory, execute, schema } = yoga.getEnveloped(initial);
  const errors = validate(schema, document);
  if (errors.length > 0) return { errors };
  const contextValue = await contextFactory();
  return (await execute({ schema, document, variableValues: variables, contextValue })) as ExecutionResult;
}
