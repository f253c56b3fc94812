import { z } from 'zod';

const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: intFrom(4000, 0, 65535),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z.string().url().optional(),
    MIGRATION_DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().min(1).default('.data'),
    EMBEDDED_PG_PORT: intFrom(54329, 1024, 65535),
    DB_POOL_MAX: intFrom(10, 1, 200),
    DB_POOL_ACQUIRE_TIMEOUT_MS: intFrom(5000, 100, 120000),
    DB_STATEMENT_TIMEOUT_MS: intFrom(15000, 100, 600000),
    DB_IDLE_IN_TX_TIMEOUT_MS: intFrom(30000, 100, 600000),
    DB_POOL_MODE: z.enum(['session', 'transaction']).default('session'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWKS_URL: z.string().url().optional(),
    JWT_ISSUER: z.string().min(1).default('kinship-dev'),
    JWT_AUDIENCE: z.string().min(1).default('kinship-api'),
    NOTE_ENCRYPTION_KEYS: z.string().min(1).optional(),
    NOTE_ENCRYPTION_ACTIVE_KEY: z.string().min(1).default('k1'),
    REQUEST_BODY_LIMIT: z.string().regex(/^\d+(kb|mb)$/i, 'like 1mb or 512kb').default('1mb'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.DATABASE_URL) ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required in production' });
      if (!env.NOTE_ENCRYPTION_KEYS)
        ctx.addIssue({ code: 'custom', path: ['NOTE_ENCRYPTION_KEYS'], message: 'is required in production (clinical notes are encrypted at rest)' });
      if (!env.JWKS_URL && !env.JWT_SECRET)
        ctx.addIssue({ code: 'custom', path: ['JWKS_URL'], message: 'is required in production (or JWT_SECRET)' });
      // Keys fetched over plain HTTP can be swapped on the way, and with them anyone's token minted.
      if (env.JWKS_URL && !/^https:\/\//i.test(env.JWKS_URL))
        ctx.addIssue({ code: 'custom', path: ['JWKS_URL'], message: 'must be an https URL in production' });
    }
  });

export type Config = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {}

/** Parses the environment once; a wrong value stops the process with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export const isProduction = (config: Pick<Config, 'NODE_ENV'>) => config.NODE_ENV === 'production';
