import type { DocumentNode, ExecutionResult } from 'graphql';
import { ErrorCode, isPactError } from '../lib/errors';
import { preparedOperation, type PactYoga } from './yoga';
import type { Call } from '../services/audit/call';
import { finishCall } from '../services/audit/record';
import type { Services } from '../services/index';

/**
 * Runs a persisted operation through the same envelop pipeline as `/graphql` (hardening, limits,
 * tenant transaction, audit, ledger), in process, with the call's principal in context. A document
 * the server prepared at start runs in its prepared form, not validated again. A failure the
 * pipeline throws (the database lost) is audited here, as `/graphql` audits it when it answers.
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
  const prepared = preparedOperation(yoga, document);
  if (!prepared) {
    const errors = validate(schema, document);
    if (errors.length > 0) return { errors };
  }
  const contextValue = await contextFactory();
  try {
    return (await execute({ schema, document: prepared?.document ?? document, variableValues: variables, contextValue })) as ExecutionResult;
  } catch (error) {
    await finishCall(services.database, services.audit, call, 'error', isPactError(error) ? error.code : ErrorCode.Internal).catch((auditError: unknown) => {
      services.logger.error({ err: auditError }, 'could not audit a failed call');
    });
    throw error;
  }
}
