import type { ExecutionResult } from 'graphql';
import type { PactError } from '../../lib/errors';

/** A single execution result (not a subscription's stream). */
export const isResult = (value: unknown): value is ExecutionResult =>
  typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);

/** The answer of a call refused before it ran. */
export const refusal = (error: PactError): ExecutionResult => ({ errors: [error], data: null });
