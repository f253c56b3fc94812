import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { FormattedExecutionResult, GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { RequestContext } from '../context';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-codes';
import { INTERNAL_MESSAGE, isArgumentCoercionError } from '../errors/format-error';
import { sqlState } from '../db/pg-errors';

/**
 * Only the kind of failure and its SQLSTATE: driver messages can quote row values, and so can
 * GraphQL's (a value that does not serialise is quoted in the message).
 */
function describeInternal(error: unknown) {
  const e = error as { name?: string; constraint?: string; table?: string; stack?: string };
  const state = sqlState(error);
  return {
    type: e?.name ?? typeof error,
    sqlState: state,
    constraint: e?.constraint,
    table: e?.table,
    message: state || error instanceof GraphQLError ? undefined : (error as Error)?.message,
    stack: e?.stack?.split('\n').slice(1, 8).join('\n'),
  };
}

/**
 * SQLSTATEs with which PostgreSQL rolls a transaction back for a concurrent one (deadlock,
 * serialization, a lock waited for past the request's `lock_timeout`): safe to retry.
 */
const RETRYABLE_SQL_STATES = new Set(['40P01', '40001', '55P03']);

/**
 * One plugin owns the request's life: commit reads (and their audit rows) or roll back a failed
 * mutation whole, keep denials even then, attach requestId / sqlStatements, and log one line.
 */
export function requestLifecyclePlugin(options: { production: boolean }): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue: ctx }) {
      const started = process.hrtime.bigint();
      let operationType: string | undefined;
      let operationName: string | undefined;
      /** PostgreSQL rolled the transaction back for a concurrent request: the whole request is to be retried. */
      let retryable = false;
      return {
        async didResolveOperation(rc) {
          operationType = rc.operation?.operation;
          operationName = rc.operationName ?? undefined;
        },
        async didEncounterErrors(rc) {
          // Resolvers still running after a disconnect fail on the rolled-back transaction: not internal errors.
          if (ctx.db.clientGone) {
            ctx.log.info({ requestId: ctx.requestId, operationName }, 'client went away; rolled back');
            return;
          }
          for (const error of rc.errors) {
            const original = unwrapResolverError(error);
            if (original instanceof DomainError || original instanceof ArgumentValidationError || isArgumentCoercionError(original) || !error.path) continue;
            const state = sqlState(original);
            // Fields after the victim fail only because its transaction is aborted.
            if (retryable && state === '25P02') continue;
            if (state && RETRYABLE_SQL_STATES.has(state)) {
              retryable = true;
              ctx.log.warn({ requestId: ctx.requestId, operationName, path: error.path, sqlState: state }, 'rolled back for a concurrent request');
              continue;
            }
            ctx.log.error({ requestId: ctx.requestId, operationName, path: error.path, err: describeInternal(original) }, 'internal error');
          }
        },
        async willSendResponse(rc) {
          const body = rc.response.body;
          await settleRequest(ctx, body.kind === 'single' ? body.singleResult : undefined, { operationType, operationName, started, retryable, production: options.production });
        },
      };
    },
  };
}

/** What a request's response says about it, for `settleRequest`. */
export interface RequestOutcome {
  operationType?: string;
  operationName?: string;
  /** `process.hrtime.bigint()` when the request started. */
  started: bigint;
  /** PostgreSQL rolled the transaction back for a concurrent request. */
  retryable: boolean;
  production: boolean;
}

/**
 * Ends a request whose response is built: commits reads (and their audit rows) or rolls back a
 * failed mutation whole, keeping its denials; rewrites the response when the commit fails or the
 * request is to be retried; attaches requestId / sqlStatements; logs one line. Shared by the
 * Apollo lifecycle and the compiled front door, so both end a request the same way.
 */
export async function settleRequest(ctx: RequestContext, result: FormattedExecutionResult | undefined, outcome: RequestOutcome): Promise<void> {
  const { operationType, operationName, started, retryable } = outcome;
  const errors = result?.errors ?? [];
  // A failed mutation is rolled back whole; a response whose data is null released nothing, so
  // nothing it read is recorded or ledgered as released (its denials still are).
  const keep = !(operationType === 'mutation' && errors.length > 0) && !(result !== undefined && result.data == null && errors.length > 0);
  try {
    if (ctx.db.active) {
      if (keep) {
        await ctx.audit.commit(ctx.db, { includeAccess: true });
      } else {
        await ctx.db.finish(false);
        // Nothing it read was audited and nothing it wrote stands: no part of its payload is released.
        if (result && result.data !== undefined) result.data = null;
        await writeDenials(ctx);
      }
    } else if (ctx.db.clientGone) {
      // Its client left and its transaction was rolled back under it: nothing it read is recorded,
      // since nothing reached anyone, but a refusal it met is, as after a failed mutation.
      await writeDenials(ctx).catch((e) => ctx.log.error({ requestId: ctx.requestId, err: describeInternal(e) }, 'denials not written'));
    }
  } catch (error) {
    await ctx.db.finish(false).catch(() => undefined);
    ctx.log.error({ requestId: ctx.requestId, err: describeInternal(error) }, 'commit failed');
    // A refusal is kept even when the request's own commit failed, as when a mutation rolls back.
    await writeDenials(ctx).catch((e) => ctx.log.error({ requestId: ctx.requestId, err: describeInternal(e) }, 'denials not written'));
    if (result) {
      result.data = null;
      result.errors = [{ message: INTERNAL_MESSAGE, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }];
    }
  }
  if (result && ctx.db.clientGone && result.data) {
    // Its transaction was rolled back when the client went away: nothing it read was audited, so nothing of it is released.
    result.data = null;
  }
  if (result && retryable) {
    // Everything the request did was rolled back; later fields failed only on the aborted transaction.
    result.data = null;
    result.errors = [
      {
        message: 'Another request was changing the same records at the same moment; nothing was written. Retry the request.',
        extensions: { code: ErrorCode.CONFLICT, retryable: true },
      },
    ];
  }
  if (result) {
    for (const e of result.errors ?? []) {
      if (e.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR) {
        (e as { message: string }).message = `${INTERNAL_MESSAGE} (request ${ctx.requestId})`;
        (e.extensions as Record<string, unknown>).requestId = ctx.requestId;
      }
    }
    result.extensions = {
      ...result.extensions,
      requestId: ctx.requestId,
      ...(outcome.production ? {} : { sqlStatements: ctx.db.stats.statements }),
    };
  }
  ctx.log.info(
    {
      requestId: ctx.requestId,
      operationName,
      operationType,
      viewer: ctx.viewer?.kind ?? 'ANONYMOUS',
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      sqlStatements: ctx.db.stats.statements,
      errorCodes: (result?.errors ?? []).map((e) => e.extensions?.code),
    },
    'graphql request',
  );
}


/** A refused attempt is recorded even though the mutation's own writes were rolled back. */
async function writeDenials(ctx: RequestContext) {
  const clinicId = ctx.db.clinicId;
  if (!ctx.viewer || !clinicId || ctx.audit.pendingDenials === 0) return;
  await ctx.db.begin({ clinicId, staffId: ctx.viewer.kind === 'STAFF' ? ctx.viewer.staffId : undefined });
  try {
    await ctx.audit.commit(ctx.db, { includeAccess: false });
  } finally {
    await ctx.db.finish(false);
  }
}
