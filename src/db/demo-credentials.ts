import fs from 'node:fs';
import path from 'node:path';
import { signDevToken, TokenSettings } from '../auth/tokens';
import type { DemoIdentities } from './seed';

export interface DemoCredentials {
  url: string;
  admin: string;
  supervisor: string;
  clinician: string;
  member: string;
  integration: string;
}

const IDENTITIES_FILE = 'demo-identities.json';
const CREDENTIALS_FILE = 'demo-credentials.json';

export function saveDemoIdentities(dataDir: string, ids: DemoIdentities) {
  fs.writeFileSync(path.join(dataDir, IDENTITIES_FILE), JSON.stringify(ids, null, 2), { mode: 0o600 });
}

export function loadDemoIdentities(dataDir: string): DemoIdentities | undefined {
  const file = path.join(dataDir, IDENTITIES_FILE);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoIdentities) : undefined;
}

/** Mints fresh demo tokens (30 days) and writes `.data/demo-credentials.json` (DESIGN §10). */
export async function writeDemoCredentials(
  dataDir: string,
  url: string,
  ids: DemoIdentities,
  tokens: TokenSettings,
): Promise<DemoCredentials> {
  const bearer = async (sub: string, role: 'ADMIN' | 'SUPERVISOR' | 'CLINICIAN' | 'MEMBER') =>
    `Bearer ${await signDevToken(tokens, { sub, clinicId: ids.clinicId, role }, '30d')}`;
  const credentials: DemoCredentials = {
    url,
    admin: await bearer(ids.adminId, 'ADMIN'),
    supervisor: await bearer(ids.supervisorId, 'SUPERVISOR'),
    clinician: await bearer(ids.clinicianId, 'CLINICIAN'),
    member: await bearer(ids.memberClientId, 'MEMBER'),
    integration: `Bearer ${ids.apiKey}`,
  };
  fs.writeFileSync(path.join(dataDir, CREDENTIALS_FILE), JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}
