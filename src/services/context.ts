import type { Database, Db } from '../db/client';
import type { CursorCodec } from '../lib/cursor';
import type { Principal } from './auth/principal';
import type { KeyService } from './keys/tenant-keys';

/** What every service call gets: the caller, the caller's tenant-bound transaction, and shared helpers. */
export interface ServiceContext {
  principal: Principal;
  /** The request's transaction, bound to `principal.tenantId` under the application role. */
  tx: Db;
  database: Database;
  keys: KeyService;
  cursors: CursorCodec;
}
