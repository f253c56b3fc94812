import 'reflect-metadata';
import path from 'node:path';
import { loadConfig } from '../config';
import { NoteCipher } from '../modules/notes/note-cipher';
import { saveDemoIdentities, writeDemoCredentials } from './demo-credentials';
import { seedDemo } from './seed';

/**
 * `npm run seed` against DATABASE_URL's database, as the owner (MIGRATION_DATABASE_URL, else
 * DATABASE_URL). Seeds once (by slug) and prints demo credentials when JWT_SECRET is set.
 */
async function main() {
  const config = loadConfig();
  const ownerUrl = config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
  if (!ownerUrl) throw new Error('Set DATABASE_URL (and MIGRATION_DATABASE_URL for the owner role) to seed; `npm start` seeds the embedded database itself');
  if (!config.NOTE_ENCRYPTION_KEYS) throw new Error('NOTE_ENCRYPTION_KEYS is required: the demo notes are encrypted');
  const ids = await seedDemo(ownerUrl, NoteCipher.fromConfig(config.NOTE_ENCRYPTION_KEYS, config.NOTE_ENCRYPTION_ACTIVE_KEY));
  if (!ids) {
    console.log('The demo clinic already exists; nothing seeded.');
    return;
  }
  const dataDir = path.resolve(config.DATA_DIR);
  require('node:fs').mkdirSync(dataDir, { recursive: true });
  saveDemoIdentities(dataDir, ids);
  if (config.JWT_SECRET) {
    const url = `http://localhost:${config.PORT}/graphql`;
    const creds = await writeDemoCredentials(dataDir, url, ids, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, secret: config.JWT_SECRET });
    console.log(JSON.stringify(creds, null, 2));
  } else {
    console.log(`Seeded. Integration key (shown once): Bearer ${ids.apiKey}`);
  }
}

main().catch((error) => {
  console.error(`Seed failed: ${(error as Error).message}`);
  process.exit(1);
});
