import DataLoader from 'dataloader';
import type { RequestContext } from '../../context';
import { ConsentType } from './consent.enums';

export type ConsentScope = { kind: 'CLINIC' } | { kind: 'GROUP'; groupId: string } | { kind: 'INTEGRATION'; apiKeyId: string };

export interface ConsentQuestion {
  clientId: string;
  type: ConsentType;
  scope: ConsentScope;
  /** The data class being released, e.g. 'goals'; a consent listing data classes covers only those. */
  dataClass?: string;
}

const scopeId = (s: ConsentScope) => (s.kind === 'GROUP' ? s.groupId : s.kind === 'INTEGRATION' ? s.apiKeyId : null);
const keyOf = (q: ConsentQuestion) => `${q.clientId}|${q.type}|${q.scope.kind}|${scopeId(q.scope) ?? ''}|${q.dataClass ?? ''}`;

/**
 * The one answer to "does client C currently permit type T for scope S?" as a SQL expression
 * over the five given expressions: the id of the newest active PERMIT in scope, or NULL when
 * there is none or an active DENY anywhere in scope overrides it. A clinic-wide consent covers
 * every scope of its type; a consent listing data classes covers only those. Evaluated against
 * the database clock. Shared by the loader below and by compiled reads, so the rule has one text.
 * The arguments are pasted into the text: SQL expressions (columns, `$n`, constants), never values.
 */
export function consentAnswerSql(clientId: string, type: string, scopeKind: string, scopeId: string, dataClass: string): string {
  return `(SELECT CASE WHEN bool_or(c.provision = 'DENY') THEN NULL
                       ELSE (array_agg(c.id ORDER BY c.granted_at DESC, c.id) FILTER (WHERE c.provision = 'PERMIT'))[1] END
             FROM consent_records c
            WHERE c.client_id = ${clientId} AND c.type = ${type}
              AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now())
              AND (c.scope_kind = 'CLINIC' OR (c.scope_kind = ${scopeKind} AND COALESCE(c.scope_group_id, c.scope_api_key_id) = ${scopeId}))
              AND (${dataClass} IS NULL OR cardinality(c.data_classes) = 0 OR ${dataClass} = ANY(c.data_classes)))`;
}

/**
 * Answers many consent questions in one statement per request batch, never cached across
 * requests: a revocation holds from the next request on. The answer is the id of the permitting
 * consent (the disclosure ledger cites it), or null.
 */
export const consentCheckLoader = (ctx: RequestContext) =>
  new DataLoader<ConsentQuestion, string | null, string>(
    async (questions) => {
      const rows = await ctx.db.query<{ idx: string; id: string | null }>(
        `SELECT q.idx, ${consentAnswerSql('q.client_id', 'q.type', 'q.scope_kind', 'q.scope_id', 'q.data_class')} AS id
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[]) WITH ORDINALITY AS q(client_id, type, scope_kind, scope_id, data_class, idx)`,
        [
          questions.map((q) => q.clientId),
          questions.map((q) => q.type),
          questions.map((q) => q.scope.kind),
          questions.map((q) => scopeId(q.scope)),
          questions.map((q) => q.dataClass ?? null),
        ],
      );
      const answers = questions.map((): string | null => null);
      for (const r of rows) answers[Number(r.idx) - 1] = r.id;
      return answers;
    },
    { cacheKeyFn: keyOf },
  );
