import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'kin_';

/** A new key: shown once, then only its SHA-256 is stored (the key has 256 bits of entropy). */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX) && token.length < 200;
