import type { NextFunction, Request, Response } from 'express';
import type { AuthedContext, RequestContext } from '../context';
import { answerCompiled, CompiledRequest, triedCompiled } from './compiled-reads';
import { settleRequest } from './request-plugin';

/**
 * The media types Apollo offers a single result in, in its order (`MEDIA_TYPES` in
 * @apollo/server): negotiated here the way Apollo negotiates them, with the same `negotiator`
 * (Express's `req.accepts`), so Apollo Client's `application/graphql-response+json,
 * application/json;q=0.9` is answered here too, as Apollo would answer it.
 */
const OFFERED = ['application/json; charset=utf-8', 'application/graphql-response+json; charset=utf-8', 'application/json; callbackSpec=1.0'];

/** The content type Apollo would answer with, or undefined where the front door leaves it to Apollo (a 406, the subscription-callback type). */
function contentTypeFor(req: Request): string | undefined {
  const accept = req.headers.accept;
  if (accept === undefined || accept === '') return OFFERED[0];
  const chosen = req.accepts(OFFERED);
  return chosen === OFFERED[0] || chosen === OFFERED[1] ? chosen : undefined;
}

/** Content types whose bodies express.json parsed and Apollo's CSRF rule admits without a preflight header. */
const isJsonBody = (req: Request) => req.headers['content-type']?.split(';')[0].trim().toLowerCase() === 'application/json';

export interface FrontDoorOptions {
  /** The compiled read a body asks for (its document valid, its variables coerced), if any. */
  lookup: (body: unknown) => CompiledRequest | undefined;
  /** Authenticates and opens the request's transaction, the compiled read's statement riding along. */
  openContext: (req: Request, res: Response, request: CompiledRequest) => Promise<RequestContext>;
  production: boolean;
}

/**
 * Answers a compiled read's JSON POST before Apollo: Apollo's per-request pipeline (request
 * parsing, plugin hooks, document cache lookups, response formatting) cost as much CPU as the
 * compiled read itself. Everything else about the request is unchanged: the same context,
 * compiled read, audit, commit, extensions and log line (`settleRequest`). Whenever the read
 * declines (no viewer, no access, anything unusual), the request goes on to Apollo with the
 * context already open, and the resolvers answer it in the same transaction.
 */
export function compiledFrontDoor(options: FrontDoorOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const body: unknown = req.body;
    const contentType = req.method === 'POST' && isJsonBody(req) ? contentTypeFor(req) : undefined;
    if (!contentType) return next();
    if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as { extensions?: unknown }).extensions != null) return next();
    const request = options.lookup(body);
    if (!request) return next();
    const started = process.hrtime.bigint();
    let ctx: RequestContext;
    try {
      ctx = await options.openContext(req, res, request);
    } catch (error) {
      // Apollo answers the failure as it answers any context failure, without opening it again.
      res.locals.kinshipContextError = error;
      return next();
    }
    triedCompiled.add(ctx.db);
    if (!ctx.viewer || !ctx.db.active) return handOver(res, ctx, next);
    const result = await answerCompiled(ctx as AuthedContext, request.operation, request.read, request.fields, request.variables);
    if (!result) return handOver(res, ctx, next);
    await settleRequest(ctx, result, { operationType: 'query', operationName: request.operationName, started, retryable: false, production: options.production });
    // Nothing of a request whose transaction was rolled back under it (its client went away) is sent.
    if (ctx.db.clientGone || res.destroyed) return;
    res.status(200).setHeader('content-type', contentType);
    // Apollo's field order and trailing newline.
    res.send(`${JSON.stringify({ errors: result.errors, data: result.data, extensions: result.extensions })}\n`);
  };
}

/** The request goes on to Apollo, whose context function picks up this one (`contextHandedOver`). */
function handOver(res: Response, ctx: RequestContext, next: NextFunction): void {
  res.locals.kinshipContext = ctx;
  next();
}

/**
 * The context the front door opened for a request it handed over to Apollo, if any; rethrows the
 * error its opening failed with, so a request is authenticated (and its failure logged) once.
 */
export function contextHandedOver(res: Response): RequestContext | undefined {
  if (res.locals.kinshipContextError !== undefined) throw res.locals.kinshipContextError;
  return res.locals.kinshipContext as RequestContext | undefined;
}
