import type { KeyService, TenantKey } from './tenant-keys';

/** The blind index of a (normalised) e-mail address under the tenant's key: how contacts and consent subjects are found by address. */
export const emailIndex = (ctx: { keys: KeyService }, key: TenantKey, email: string): string => ctx.keys.blindIndex(key, 'email', email);
