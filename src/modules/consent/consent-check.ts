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
 * The one answer to "does client C currently permit type T for scope S?", for many questions in
 * one statement per request batch. Evaluated against the database clock, never cached across
 * requests: a revocation holds from the next request on. A clinic-wide consent covers every
 * scope of its type; an active DENY anywhere in scope overrides every PERMIT. The answer is the
 * id of the permitting consent (the disclosure ledger cites it), or null.
 */
export const consentCheckLoader = (ctx: RequestContext) =>
  new DataLoader<ConsentQuestion, string | null, string>(
    async (questions) => {
      const rows = await ctx.db.query<{ idx: string; id: string; provision: 'PERMIT' | 'DENY' }>(
        `SELECT q.idx, c.id, c.provision
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[]) WITH ORDINALITY AS q(client_id, type, scope_kind, scope_id, data_class, idx)
           JOIN consent_records c
             ON c.client_id = q.client_id AND c.type = q.type
            AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now())
            AND (c.scope_kind = 'CLINIC' OR (c.scope_kind = q.scope_kind AND COALESCE(c.scope_group_id, c.scope_api_key_id) = q.scope_id))
            AND (q.data_class IS NULL OR cardinality(c.data_classes) = 0 OR q.data_class = ANY(c.data_classes))
          ORDER BY q.idx, c.granted_at DESC, c.id`,
        [
          questions.map((q) => q.clientId),
          questions.map((q) => q.type),
          questions.map((q) => q.scope.kind),
          questions.map((q) => scopeId(q.scope)),
          questions.map((q) => q.dataClass ?? null),
        ],
      );
      const answers = questions.map((): string | null => null);
      const denied = new Set<number>();
      for (const r of rows) {
        const i = Number(r.idx) - 1;
        if (r.provision === 'DENY') denied.add(i);
        else answers[i] ??= r.id;
      }
      return answers.map((a, i) => (denied.has(i) ? null : a));
    },
    { cacheKeyFn: keyOf },
  );
