import { createHash } from 'node:crypto';
import type { AuthedContext } from '../../context';
import { badInput, DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-codes';

/** Canonical JSON (sorted keys) so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => k !== 'idempotencyKey' && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const requestHash = (operation: string, input: unknown) => createHash('sha256').update(`${operation}\n${canonical(input)}`).digest('hex');

const ownerOf = (ctx: AuthedContext) => {
  const v = ctx.viewer;
  return v.kind === 'INTEGRATION' ? v.apiKeyId : v.kind === 'STAFF' ? v.staffId : v.clientId;
};

/**
 * Runs a retried write at most once per (caller, key) for 24 hours. The claim row is inserted
 * first: a concurrent request with the same key waits on it, then finds the stored result.
 * A failed run rolls back with the request, claim included, so the caller may retry; so is a
 * result the caller's `keep` says changed nothing.
 */
export async function withIdempotency<T>(
  ctx: AuthedContext,
  operation: string,
  key: string | null | undefined,
  input: unknown,
  run: () => Promise<T>,
  store: {
    save: (result: T) => unknown;
    load: (saved: unknown) => Promise<T>;
    /** Whether a result is kept for retries (default: always); one that changed nothing releases the key, as a refusal does. */
    keep?: (result: T) => boolean;
  },
): Promise<T> {
  if (key === null || key === undefined) return run();
  // Characters, as SafeText and the column's CHECK count them (an emoji is one, not two UTF-16 units).
  const characters = [...key].length;
  if (characters < 1 || characters > 200 || /[\u0000-\u001f]/.test(key)) {
    throw badInput('idempotencyKey must be 1–200 printable characters', { field: 'idempotencyKey' });
  }
  const hash = requestHash(operation, input);
  const owner = ownerOf(ctx);
  await ctx.db.query(`DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND expires_at < now()`, [owner, key]);
  const claimed = await ctx.db.query(
    `INSERT INTO idempotency_keys (clinic_id, owner_id, key, operation, request_hash) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING key`,
    [ctx.db.clinicId, owner, key, operation, hash],
  );
  if (!claimed.length) {
    const [existing] = await ctx.db.query<{ operation: string; request_hash: string; response: unknown }>(
      `SELECT operation, request_hash, response FROM idempotency_keys WHERE owner_id = $1 AND key = $2`,
      [owner, key],
    );
    if (!existing || existing.operation !== operation || existing.request_hash !== hash) {
      throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotencyKey was used with a different request', { idempotencyKey: key });
    }
    if (existing.response === null) throw new DomainError(ErrorCode.CONFLICT, 'A request with this idempotencyKey is still in progress');
    return store.load(existing.response);
  }
  const result = await run();
  if (store.keep && !store.keep(result)) {
    await ctx.db.query(`DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2`, [owner, key]);
    return result;
  }
  await ctx.db.query(`UPDATE idempotency_keys SET response = $3 WHERE owner_id = $1 AND key = $2`, [owner, key, jsonbText(store.save(result))]);
  return result;
}

/**
 * JSON that jsonb accepts: a stored response may echo what a caller sent (a row error quoting an
 * identifier), and jsonb refuses the escapes JSON.stringify writes for NUL and for unpaired
 * surrogates. Each becomes U+FFFD; an escaped backslash before it is left alone.
 */
const jsonbText = (value: unknown): string =>
  JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi, '$1\\ufffd');
