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
});
