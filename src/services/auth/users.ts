import { eq } from 'drizzle-orm';
import { users } from '../../db/schema';
import type { ServiceContext } from '../context';

export interface UserProfile {
  email: string;
  displayName: string;
}

const profiles = new WeakMap<ServiceContext, Promise<UserProfile | null>>();

/** The signed-in caller's e-mail and display name (once per call); null for API keys. */
export function callerProfile(ctx: ServiceContext): Promise<UserProfile | null> {
  const userId = ctx.principal.userId;
  if (!userId) return Promise.resolve(null);
  let found = profiles.get(ctx);
  if (!found) {
    found = ctx.tx
      .select({ email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1)
      .then(([row]) => row ?? null);
    profiles.set(ctx, found);
  }
  return found;
}
