import { and, eq } from 'drizzle-orm';
import { memberships } from '../../db/schema';
import { ErrorCode, PactError, badInput } from '../../lib/errors';
import type { ServiceContext } from '../context';
import { requireId } from './paging';

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

/** Checks that a user id is a member of the caller's tenant; returns it (or null). */
export async function assertMember(ctx: ServiceContext, userId: string | null | undefined): Promise<string | null> {
  if (userId === null || userId === undefined) return null;
  requireId(userId, 'ownerId');
  const [row] = await ctx.tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.tenantId, ctx.principal.tenantId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw new PactError(ErrorCode.NotFound, '`ownerId` is not a member of this tenant.', { field: 'ownerId' });
  return userId;
}
