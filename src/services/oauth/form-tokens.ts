import { timingSafeEqual } from 'node:crypto';
import { hmac } from '../../lib/crypto';

/**
 * Anti-forgery tokens for the consent form: an HMAC of the authorization request and the browser's
 * session, so a decision can only be posted by the signed-in browser that was shown the request.
 */
export function createFormTokens(key: Buffer) {
  const issue = (requestId: string, sessionToken: string) => hmac(key, `consent|${requestId}|${sessionToken}`).toString('base64url');
  return {
    issue,
    verify(requestId: string, sessionToken: string, token: string): boolean {
      const expected = Buffer.from(issue(requestId, sessionToken));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type FormTokens = ReturnType<typeof createFormTokens>;
