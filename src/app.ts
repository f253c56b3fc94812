import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import express, { NextFunction, Request, Response } from 'express';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AuditLog } from './audit/audit-log';
import { authenticate } from './auth/authenticate';
import type { TokenVerifier } from './auth/tokens';
import type { RequestContext } from './context';
import { poolSettingsOf } from './db/data-source';
import { RequestDb } from './db/request-db';
import { buildFormatError } from './errors/format-error';
import { CompiledRead, CompiledRequest, compiledReadsPlugin, compiledReadVerdicts, compiledRequests, speculationFor } from './http/compiled-reads';
import { compiledFrontDoor, contextHandedOver } from './http/front-door';
import { requestLifecyclePlugin } from './http/request-plugin';
import { Loaders } from './loaders';
import { compiledRoster } from './modules/groups/compiled-roster';
import { compiledMemberHome } from './modules/viewer/compiled-member-home';
import { NoteCipher } from './modules/notes/note-cipher';
import { getSchema } from './schema';

export interface AppOptions {
  dataSource: DataSource;
  verifier: TokenVerifier;
  noteCipher: NoteCipher;
  log: Logger;
  production: boolean;
  bodyLimit?: string;
  /** The hot screens answered from one statement each (default: the roster); false = resolvers only. */
  compiledReads?: false | readonly CompiledRead[];
  /** Headers Sandbox opens with (development only), e.g. the demo admin's Authorization. */
  sandboxHeaders?: Record<string, string>;
}

export const armorLimits = {
  maxDepth: { n: 12, ignoreIntrospection: true },
  maxAliases: { n: 15 },
  // graphql-armor's token plugin turns parse failures into HTTP 500s; graphql-js enforces the same limit at parse time.
  maxTokens: { enabled: false, n: 3000 },
  maxDirectives: { n: 20 },
  // armor's cost grows 1.5× per level and by literal `first`; depth, alias and token limits bound
  // the rest. This admits the deepest real screens (50 groups × 20 members with facilitators).
  costLimit: { maxCost: 250000, ignoreIntrospection: true },
  blockFieldSuggestion: { enabled: true },
};

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;

/** Records lastUsedAt in its own short transaction; a busy row is skipped, not waited for. */
async function touchApiKey(dataSource: DataSource, clinicId: string, apiKeyId: string, log: Logger) {
  try {
    await dataSource.transaction(async (m) => {
      // The timeout too: behind a transaction-mode pooler there is no per-connection one.
      await m.query(`SELECT set_config('app.clinic_id', $1, true), set_config('statement_timeout', $2, true)`, [clinicId, String(poolSettingsOf(dataSource).statementTimeoutMs)]);
      await m.query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = (SELECT id FROM api_keys WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') FOR UPDATE SKIP LOCKED)`,
        [apiKeyId],
      );
    });
  } catch (error) {
    log.warn({ apiKeyId, err: { type: (error as Error)?.name } }, 'could not record API key use');
  }
}

/** Builds the Express app with Apollo mounted at /graphql; the caller listens (and stops it). */
export async function createApp(options: AppOptions) {
  const { dataSource, verifier, log, production } = options;
  const armor = new ApolloArmor(armorLimits).protect();
  const compiledReads = options.compiledReads === false ? [] : (options.compiledReads ?? [compiledRoster, compiledMemberHome]);
  const verdictOf = compiledReadVerdicts(compiledReads);
  // With no compiled read, a request's body is not parsed a second time for nothing.
  // The rules Apollo validates with: armor's limits, and in production (Apollo's own rule) no introspection.
  const validationRules = [...armor.validationRules, ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  const lookup = compiledReads.length ? compiledRequests(verdictOf, getSchema(), { maxTokens: armorLimits.maxTokens.n, validationRules }) : undefined;
  const server = new ApolloServer<RequestContext>({
    schema: getSchema(),
    introspection: !production,
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: their document cache is shared by every tenant, so probing a
    // hash would tell whether anyone sent that exact document (clients resend the full text).
    persistedQueries: false,
    // Apollo's own messages go to the same structured log.
    logger: log,
    // main.ts drains HTTP first, then stops Apollo, the pool and PostgreSQL in that order.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: production,
    formatError: buildFormatError({ production }),
    parseOptions: { maxTokens: armorLimits.maxTokens.n },
    validationRules: armor.validationRules,
    plugins: [
      ...armor.plugins,
      requestLifecyclePlugin({ production }),
      ...(compiledReads.length ? [compiledReadsPlugin(verdictOf)] : []),
      // We send no cache hints; the default plugin would wrap every field resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({
            embed: { initialState: { sharedHeaders: options.sandboxHeaders ?? {} } },
            includeCookies: false,
          }),
    ],
  });
  await server.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Responses carry health data: no ETag (no conditional revalidation of one person's answer).
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      const applied = await dataSource.query(`SELECT name FROM migrations`);
      const names = new Set((applied as { name: string }[]).map((r) => r.name));
      const pending = dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !names.has(n));
      // Unauthenticated: in production it says ready or not, not which schema version it runs.
      if (pending.length) {
        res.status(503).json(production ? { status: 'migrations pending' } : { status: 'migrations pending', pending });
        return;
      }
      res.json(production ? { status: 'ok' } : { status: 'ok', database: 'reachable', migrations: names.size });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });

  /**
   * A request's context: its id, its transaction (opened by authentication, with the viewer
   * lookup and, for a compiled read, its statement riding in the first round trip) and its viewer.
   */
  const openContext = async (req: Request, res: Response, compiled: CompiledRequest | undefined): Promise<RequestContext> => {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID();
    res.setHeader('x-request-id', requestId);
    const db = new RequestDb(dataSource);
    // If the client goes away before the response is sent, the transaction must not linger.
    res.once('close', () => {
      if (!res.writableFinished) db.clientGone = true;
      void db.finish(false).catch(() => undefined);
    });
    const ctx: RequestContext = {
      requestId,
      db,
      log,
      noteCipher: options.noteCipher,
      viewer: undefined,
      audit: new AuditLog(requestId, () => ctx.viewer),
      loaders: new Loaders(() => ctx),
    };
    try {
      ctx.viewer = await authenticate(
        req.headers.authorization, db, verifier, (clinicId, apiKeyId) => touchApiKey(dataSource, clinicId, apiKeyId, log),
        compiled && ((claims) => speculationFor(compiled, claims)),
      );
    } catch (error) {
      await db.finish(false).catch(() => undefined);
      // A client that left mid-authentication (waiting for a connection, or between its lookups) is not a failure of ours.
      if (db.clientGone) log.info({ requestId }, 'client went away; rolled back');
      else log.error({ requestId, err: { type: (error as Error)?.name, sqlState: (error as { code?: string })?.code } }, 'authentication failed');
      throw error;
    }
    return ctx;
  };

  app.use(
    '/graphql',
    // Every answer here is one person's view of health data: never stored by a browser or proxy.
    // In production, operations come by POST only: a GET puts its variables (identifiers, ids) in
    // the URL, where proxies and load balancers log it.
    (req: Request, res: Response, next: NextFunction) => {
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-content-type-options', 'nosniff');
      if (production && req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        res.status(405).json({ errors: [{ message: 'Send GraphQL operations as POST with a JSON body', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
        return;
      }
      next();
    },
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    ...(lookup ? [compiledFrontDoor({ lookup, openContext, production })] : []),
    expressMiddleware(server, {
      context: async ({ req, res }): Promise<RequestContext> => contextHandedOver(res) ?? openContext(req, res, lookup?.(req.body)),
    }),
  );

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const e = error as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    } else if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    } else if (e?.status === 415) {
      // A charset other than UTF-8, or a Content-Encoding the body parser does not inflate.
      const message = e.type === 'charset.unsupported' ? 'Send the JSON body in UTF-8' : 'Unsupported Content-Encoding: send the body as is, or gzip, deflate or br';
      res.status(415).json({ errors: [{ message, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] });
    } else if (e?.status && e.status >= 400 && e.status < 500) {
      // The body could not be read as sent (a gzip body that is not gzip, a length that does not match).
      res.status(e.status).json({ errors: [{ message: 'The request body could not be read', extensions: { code: 'BAD_REQUEST' } }] });
    } else {
      log.error({ err: { type: (error as Error)?.name } }, 'unhandled http error');
      res.status(e?.status && e.status < 500 ? e.status : 500).json({
        errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
    }
  });

  return { app, server };
}
