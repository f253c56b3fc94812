import pino, { Logger } from 'pino';

/** Structured logs: operation names, ids and codes only — never variables or health data. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'kinship-api' },
    redact: { paths: ['req.headers.authorization', '*.authorization', '*.variables'], censor: '[redacted]' },
  });
}
