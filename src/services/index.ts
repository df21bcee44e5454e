import type { Database } from '../db/client';
import { createCursorCodec, type CursorCodec } from '../lib/cursor';
import { deriveKey } from '../lib/crypto';
import { createAuthenticator, type Authenticator } from './auth/authenticator';
import { createLocalKeyProvider, type KeyProvider } from './keys/key-provider';
import { createKeyService, type KeyService } from './keys/tenant-keys';

/** The long-lived service objects one server instance shares across requests. */
export interface Services {
  database: Database;
  keys: KeyService;
  cursors: CursorCodec;
  auth: Authenticator;
}

export interface ServicesOptions {
  database: Database;
  /** The local key provider's master key (`PACT_MASTER_KEY`). */
  masterKey: Buffer;
  /** Overrides the local provider (an external KMS). */
  keyProvider?: KeyProvider;
}

export function createServices(options: ServicesOptions): Services {
  const provider = options.keyProvider ?? createLocalKeyProvider(options.masterKey);
  return {
    database: options.database,
    keys: createKeyService(provider),
    cursors: createCursorCodec(deriveKey(options.masterKey, 'pact/cursor')),
    auth: createAuthenticator(options.database),
  };
}
