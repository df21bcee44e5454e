import { ErrorCode, PactError, badInput } from '../lib/errors';
import { isUuid } from '../lib/ids';

/** Checks and normal forms of arguments every service area shares (text, e-mail, domain, phone, ids). */

export function requiredText(value: string | null, field: string, max: number): string {
  const text = value?.trim() ?? '';
  if (text === '') throw badInput(ErrorCode.BadUserInput, `\`${field}\` must not be empty.`, { field });
  if (text.length > max) throw badInput(ErrorCode.BadUserInput, `\`${field}\` may be at most ${max} characters.`, { field });
  return text;
}

export function optionalText(value: string | null, field: string, max: number): string | null {
  if (value === null) return null;
  const text = value.trim();
  if (text.length > max) throw badInput(ErrorCode.BadUserInput, `\`${field}\` may be at most ${max} characters.`, { field });
  return text === '' ? null : text;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^[^\s@]{1,64}@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function normaliseDomain(value: string): string {
  const domain = value.trim().toLowerCase().replace(/^www\./, '');
  if (!DOMAIN.test(domain)) throw badInput(ErrorCode.BadUserInput, '`domain` is not a valid domain name.', { field: 'domain' });
  return domain;
}

export function normaliseEmail(value: string, field = 'email'): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput(ErrorCode.BadUserInput, `\`${field}\` is not a valid e-mail address.`, { field });
  return email;
}

export function normalisePhone(value: string): string {
  const phone = value.trim();
  if (!/^\+?[0-9 ().-]{4,32}$/.test(phone)) throw badInput(ErrorCode.BadUserInput, '`phone` is not a valid phone number.', { field: 'phone' });
  return phone;
}

export function requireId(id: string, what = 'id'): string {
  if (!isUuid(id)) throw new PactError(ErrorCode.InvalidId, `\`${what}\` is not a valid id.`, { field: what });
  return id;
}

export function optionalId(id: string | null | undefined, what: string): string | undefined {
  return id === null || id === undefined ? undefined : requireId(id, what);
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** A page size argument (`first`): 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw badInput(ErrorCode.BadUserInput, '`first` must be a positive integer.');
  if (size > MAX_PAGE_SIZE) {
    throw badInput(ErrorCode.PageSizeExceeded, `\`first\` may be at most ${MAX_PAGE_SIZE}.`, { max: MAX_PAGE_SIZE });
  }
  return size;
}
