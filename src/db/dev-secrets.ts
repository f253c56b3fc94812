import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DevSecrets {
  superuserPassword: string;
  appPassword: string;
  jwtSecret: string;
  /** AES-256 key for note bodies (base64), id k1. */
  noteKey: string;
}

/** Development-only secrets, generated once into the data directory (git-ignored, mode 0600). */
export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (fs.existsSync(file)) {
    const existing = JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
    if (existing.noteKey) return existing;
    // Data directories from before note encryption get a key added, once.
    const upgraded = { ...existing, noteKey: randomBytes(32).toString('base64') };
    fs.writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded;
  }
  const secrets: DevSecrets = {
    superuserPassword: randomBytes(24).toString('base64url'),
    appPassword: randomBytes(24).toString('base64url'),
    jwtSecret: randomBytes(48).toString('base64url'),
    noteKey: randomBytes(32).toString('base64'),
  };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
