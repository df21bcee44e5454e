import { and, eq } from 'drizzle-orm';
import { consentSubjects } from '../../db/schema';
import { isUuid } from '../../lib/ids';
import { badInput, ErrorCode, isPactError } from '../../lib/errors';
import { normaliseDomain, normaliseEmail } from '../input';
import { record, type ServiceContext } from '../context';
import { findSubject } from './subjects';
import type { ConsentStatus } from './types';

/** Whether a subject may be processed, and its recorded status (null: no record, consent granted by default). */
export interface ConsentCheck {
  allowed: boolean;
  status: ConsentStatus | null;
}

const MAX_SUBJECT = 320;

const notASubject = () => badInput(ErrorCode.BadUserInput, '`subject` must be an e-mail address, a domain or a consent subject id.', { field: 'subject' });

/** Refuses a subject that is neither a valid e-mail address nor a valid domain (the message never repeats it). */
function validSubject(value: string): void {
  try {
    if (value.includes('@')) normaliseEmail(value, 'subject');
    else normaliseDomain(value);
  } catch (error) {
    if (isPactError(error)) throw notASubject();
    throw error;
  }
}

/**
 * Answers "may this subject be processed" and nothing else, for an author's MCP server that gates
 * its own tools on Pact's consent records. The subject is an e-mail address (looked up by its
 * blind index; the address is neither stored nor logged), a domain, or a consent subject's id.
 * An erased e-mail address reads as unknown: Pact keeps no fingerprint of it, by design; its
 * subject id still reads as erased.
 */
export async function checkConsent(ctx: ServiceContext, subject: string): Promise<ConsentCheck> {
  const value = subject.trim();
  if (value === '' || value.length > MAX_SUBJECT) {
    throw notASubject();
  }
  let status: ConsentStatus | null;
  if (!isUuid(value)) validSubject(value);
  if (isUuid(value)) {
    const [row] = await ctx.tx
      .select({ status: consentSubjects.status })
      .from(consentSubjects)
      .where(and(eq(consentSubjects.tenantId, ctx.principal.tenantId), eq(consentSubjects.id, value.toLowerCase())))
      .limit(1);
    status = row?.status ?? null;
  } else {
    const found = await findSubject(ctx, { kind: value.includes('@') ? 'email' : 'domain', value });
    status = found?.status ?? null;
  }
  record(ctx, status === null ? 0 : 1);
  return { allowed: status === null || status === 'granted', status };
}
