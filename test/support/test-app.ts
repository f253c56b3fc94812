import 'reflect-metadata';
import type { ApolloServer } from '@apollo/server';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import type { RequestContext } from '../../src/context';
import { createTokenVerifier } from '../../src/auth/tokens';
import { createDataSource, PoolSettings } from '../../src/db/data-source';
import type { CompiledRead } from '../../src/http/compiled-reads';
import { NoteCipher } from '../../src/modules/notes/note-cipher';
import { TEST_AUDIENCE, TEST_ISSUER, testEnv } from './test-env';

export interface TestApp {
  app: Express;
  /** The Apollo server behind /graphql (tests spy on it to see which requests reach it). */
  apollo: ApolloServer<RequestContext>;
  dataSource: DataSource;
  close(): Promise<void>;
}

let current: Promise<TestApp> | undefined;

/** One key per test process; tests that check encryption decrypt with it. */
export const testNoteCipher = NoteCipher.fromConfig(`k1:${NoteCipher.generateKey()}`, 'k1');

/** The real Express app on the run's database, connected as the server's role (RLS applies). */
export function getTestApp(
  options: { production?: boolean; compiledReads?: false | readonly CompiledRead[]; log?: pino.Logger; pool?: Partial<PoolSettings> } = {},
): Promise<TestApp> {
  if (options.production || options.compiledReads !== undefined || options.log || options.pool) {
    return buildApp(!!options.production, options.compiledReads, options.log, options.pool);
  }
  current ??= buildApp(false);
  return current;
}

async function buildApp(production: boolean, compiledReads?: false | readonly CompiledRead[], log?: pino.Logger, pool: Partial<PoolSettings> = {}): Promise<TestApp> {
  const env = testEnv();
  const dataSource = createDataSource(env.appUrl, { max: 6, acquireTimeoutMs: 10000, statementTimeoutMs: 20000, idleInTransactionTimeoutMs: 30000, ...pool });
  await dataSource.initialize();
  const { app, server } = await createApp({
    dataSource,
    verifier: createTokenVerifier({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: env.jwtSecret }),
    noteCipher: testNoteCipher,
    log: log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    production,
    compiledReads,
  });
  return {
    app,
    apollo: server,
    dataSource,
    async close() {
      await server.stop();
      await dataSource.destroy();
    },
  };
}

export async function closeTestApp() {
  if (!current) return;
  const app = await current;
  current = undefined;
  await app.close();
}

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: Record<string, any>; path?: unknown[] }[]; extensions?: Record<string, any> };
  data: T;
  errors: { message: string; extensions?: Record<string, any> }[] | undefined;
  codes: string[];
  sqlStatements: number;
}

/** POSTs one GraphQL operation as `auth` (an Authorization header value, or none). */
export async function gql<T = any>(auth: string | undefined, query: string, variables?: Record<string, unknown>, on?: TestApp): Promise<GqlResult<T>> {
  const { app } = on ?? (await getTestApp());
  const req = request(app).post('/graphql').set('content-type', 'application/json');
  if (auth) req.set('authorization', auth);
  const res = await req.send({ query, variables });
  const errors = res.body?.errors;
  return {
    status: res.status,
    body: res.body,
    data: res.body?.data,
    errors,
    codes: (errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code ?? 'NONE'),
    sqlStatements: res.body?.extensions?.sqlStatements,
  };
}

/** Asserts exactly one error with `code` (and that it is not a masked internal error). */
export function expectError(result: GqlResult, code: string) {
  expect(result.codes).toEqual([code]);
}
