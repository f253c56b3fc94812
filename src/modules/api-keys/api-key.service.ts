import { AuditAction } from '../../audit/audit-action';
import { generateApiKey } from '../../auth/api-key-secret';
import { StaffViewer } from '../../auth/viewer';
import { uuidOf } from '../../common/global-id';
import type { AuthedContext } from '../../context';
import { badInput, conflict, notFound } from '../../errors/domain-error';
import { ApiKey } from './api-key.entity';
import { ApiKeyScopeEnum } from './api-key-scope';

type AdminContext = AuthedContext & { viewer: StaffViewer };

export async function listApiKeys(ctx: AuthedContext): Promise<ApiKey[]> {
  return ctx.db.manager.find(ApiKey, { order: { createdAt: 'DESC', id: 'ASC' } });
}

export async function createApiKey(ctx: AdminContext, name: string, scopes: ApiKeyScopeEnum[]) {
  const unique = [...new Set(scopes)];
  if (unique.length === 0) throw badInput('An API key needs at least one scope', { field: 'scopes' });
  const secret = generateApiKey();
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO api_keys (clinic_id, name, key_prefix, key_hash, scopes, created_by_staff_id)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [ctx.db.clinicId, name.trim(), secret.prefix, secret.hash, unique, ctx.viewer.staffId],
  );
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: 'ApiKey', resourceId: row.id });
  const apiKey = await ctx.db.manager.findOneByOrFail(ApiKey, { id: row.id });
  return { apiKey, key: secret.key };
}

export async function revokeApiKey(ctx: AdminContext, globalId: string): Promise<ApiKey> {
  const id = uuidOf(globalId, 'ApiKey');
  const existing = id ? await ctx.db.manager.findOneBy(ApiKey, { id }) : null;
  if (!id || !existing) throw notFound('ApiKey');
  // Revoked once: a concurrent revocation that committed first is not overwritten (who and when stay its own).
  const revoked = existing.revokedAt
    ? []
    : await ctx.db.query(`UPDATE api_keys SET revoked_at = now(), revoked_by_staff_id = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id, ctx.viewer.staffId]);
  if (!revoked.length) throw conflict('This API key is already revoked');
  ctx.audit.record({ action: AuditAction.DELETE, resourceType: 'ApiKey', resourceId: id });
  return ctx.db.manager.findOneByOrFail(ApiKey, { id });
}
