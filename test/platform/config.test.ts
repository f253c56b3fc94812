import { ConfigError, loadConfig } from '../../src/config';

/** The environment is read once and validated: a wrong value stops the process, naming the variable. */
describe('configuration', () => {
  it('keeps session state by default and drops it behind a transaction-mode pooler', () => {
    expect(loadConfig({}).DB_POOL_MODE).toBe('session');
    expect(loadConfig({ DB_POOL_MODE: 'transaction' }).DB_POOL_MODE).toBe('transaction');
  });

  it('refuses an unknown pool mode, naming the variable', () => {
    expect(() => loadConfig({ DB_POOL_MODE: 'statement' })).toThrow(ConfigError);
    expect(() => loadConfig({ DB_POOL_MODE: 'statement' })).toThrow(/DB_POOL_MODE/);
  });

  it('requires the database, note keys and token keys in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL[\s\S]*NOTE_ENCRYPTION_KEYS[\s\S]*JWKS_URL/);
  });

  it('fetches token keys over https only in production (session 13)', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/kinship', NOTE_ENCRYPTION_KEYS: 'k1:' + 'a'.repeat(64) };
    expect(() => loadConfig({ ...production, JWKS_URL: 'http://idp.example/jwks.json' })).toThrow(/JWKS_URL[\s\S]*https/);
    expect(loadConfig({ ...production, JWKS_URL: 'https://idp.example/jwks.json' }).JWKS_URL).toBe('https://idp.example/jwks.json');
    expect(loadConfig({ JWKS_URL: 'http://localhost:9000/jwks.json' }).JWKS_URL).toBe('http://localhost:9000/jwks.json');
  });
});
