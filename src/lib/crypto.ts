import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const NONCE = 12;
const TAG = 16;
const FORMAT = 1;

/** AES-256-GCM with a random 96-bit nonce; output is `format(1) | nonce(12) | tag(16) | ciphertext`. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), nonce, cipher.getAuthTag(), body]);
}

/** Opens what `seal` produced with the same key and associated data; throws on any mismatch. */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== FORMAT) throw new Error('malformed ciphertext');
  const nonce = sealed.subarray(1, 1 + NONCE);
  const tag = sealed.subarray(1 + NONCE, 1 + NONCE + TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE + TAG)), decipher.final()]);
}

export const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

export const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

/** HKDF-SHA256 sub-key derivation. */
export const deriveKey = (ikm: Buffer, info: string, length = 32): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, length));

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const randomKey = (): Buffer => randomBytes(32);
