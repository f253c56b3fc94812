import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for note bodies. The row id is bound as associated data, so a ciphertext copied
 * onto another row does not decrypt; each row names its key id, so keys can rotate while old
 * rows stay readable. Stored layout: iv (12) | tag (16) | ciphertext.
 */
export class NoteCipher {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly activeKeyId: string,
  ) {
    if (!keys.has(activeKeyId)) throw new Error(`note encryption key "${activeKeyId}" is not configured`);
    for (const [id, key] of keys) if (key.length !== 32) throw new Error(`note encryption key "${id}" must be 32 bytes`);
  }

  /** Parses `id1:base64,id2:base64`; the active key is named separately. */
  static fromConfig(spec: string, activeKeyId: string): NoteCipher {
    const keys = new Map<string, Buffer>();
    for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [id, b64] = part.split(':');
      if (!id || !b64) throw new Error('NOTE_ENCRYPTION_KEYS must look like "k1:<base64 32 bytes>,k2:…"');
      keys.set(id, Buffer.from(b64, 'base64'));
    }
    return new NoteCipher(keys, activeKeyId);
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  encrypt(rowId: string, plaintext: string): { body: Buffer; keyId: string } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(rowId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { body: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]), keyId: this.activeKeyId };
  }

  /**
   * Seals `values` as an opaque token for `purpose` (AES-256-GCM under a key derived from the
   * active note key, so any deployment has one and it survives restarts): a caller holding it
   * learns nothing of what it holds, and cannot forge one. Layout: `keyId.base64url(iv|tag|ct)`.
   */
  seal(purpose: string, values: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.derived(this.activeKeyId, purpose), iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    // Padded to whole blocks of 64 bytes (JSON allows the trailing spaces): GCM keeps the length, and
    // a token's length would tell how many digits its values have.
    const json = JSON.stringify(values);
    const padded = json + ' '.repeat((64 - (Buffer.byteLength(json) % 64)) % 64);
    const ciphertext = Buffer.concat([cipher.update(padded, 'utf8'), cipher.final()]);
    return `${this.activeKeyId}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
  }

  /** What `seal` sealed for `purpose`, or undefined for any other token (forged, altered, another purpose or key). */
  open(purpose: string, token: string): unknown {
    const dot = token.lastIndexOf('.');
    const keyId = token.slice(0, dot);
    if (dot < 1 || !this.keys.has(keyId)) return undefined;
    const body = Buffer.from(token.slice(dot + 1), 'base64url');
    if (body.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.derived(keyId, purpose), body.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return JSON.parse(Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private derived(keyId: string, purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.keys.get(keyId)!, Buffer.alloc(0), `kinship sealed token: ${purpose}`, 32));
  }

  decrypt(rowId: string, body: Buffer, keyId: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`note encryption key "${keyId}" is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(rowId, 'utf8'));
    decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

export const contentHash = (plaintext: string) => createHash('sha256').update(plaintext, 'utf8').digest('hex');
