import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, PactError } from './errors';

/** What a cursor carries; opaque to clients, signed, and bound to one tenant and one list. */
export interface CursorPayload {
  tenantId: string;
  list: string;
  lastId: string;
}

const invalid = () =>
  new PactError(ErrorCode.InvalidCursor, 'The cursor is invalid, expired, or belongs to another list.');

export interface CursorCodec {
  encode(payload: CursorPayload): string;
  /** Throws INVALID_CURSOR unless the cursor was made for this tenant and list. */
  decode(cursor: string, tenantId: string, list: string): string;
}

export function createCursorCodec(secret: Buffer): CursorCodec {
  const sign = (body: string) => createHmac('sha256', secret).update(body).digest().subarray(0, 16);
  return {
    encode: ({ tenantId, list, lastId }) => {
      const body = Buffer.from(JSON.stringify([tenantId, list, lastId])).toString('base64url');
      return `${body}.${sign(body).toString('base64url')}`;
    },
    decode: (cursor, tenantId, list) => {
      const [body, sig, extra] = cursor.split('.');
      if (!body || !sig || extra !== undefined || cursor.length > 512) throw invalid();
      const given = Buffer.from(sig, 'base64url');
      const expected = sign(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw invalid();
      }
      if (!Array.isArray(parsed) || parsed[0] !== tenantId || parsed[1] !== list || typeof parsed[2] !== 'string') {
        throw invalid();
      }
      return parsed[2];
    },
  };
}
