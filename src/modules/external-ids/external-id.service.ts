import type { RequestContext } from '../../context';
import { badInput, conflict } from '../../errors/domain-error';
import { ExternalIdentifierInput } from './external-identifier.entity';

/** The uuid of the record of `resourceType` that carries (system, value), if any. */
export async function findByExternalId(
  ctx: RequestContext,
  resourceType: string,
  ref: ExternalIdentifierInput,
): Promise<string | undefined> {
  const [row] = await ctx.db.query<{ resource_id: string }>(
    `SELECT resource_id FROM external_identifiers WHERE resource_type = $1 AND system = $2 AND value = $3`,
    [resourceType, ref.system, ref.value],
  );
  return row?.resource_id;
}

/** Adds identifiers to a record; a pair already used by another record of the type is a CONFLICT. */
export async function attachExternalIds(
  ctx: RequestContext,
  resourceType: string,
  resourceId: string,
  ids: ExternalIdentifierInput[] | undefined | null,
  options: { existing?: boolean } = {},
): Promise<void> {
  if (!ids?.length) return;
  const seen = new Set<string>();
  for (const ref of ids) {
    const key = `${ref.system}\u0000${ref.value}`;
    if (seen.has(key)) throw badInput('The same external identifier is listed twice', { field: 'externalIds' });
    seen.add(key);
  }
  const rows = await ctx.db.query<{ resource_id: string; system: string; value: string; inserted: boolean }>(
    `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value)
     SELECT $1, $2, $3, s, v FROM unnest($4::text[], $5::text[]) AS x(s, v)
     ON CONFLICT (clinic_id, resource_type, system, value) DO UPDATE SET system = EXCLUDED.system
     RETURNING resource_id, system, value, xmax = 0 AS inserted`,
    [ctx.db.clinicId, resourceType, resourceId, ids.map((i) => i.system), ids.map((i) => i.value)],
  );
  const taken = rows.find((r) => r.resource_id !== resourceId);
  if (taken) {
    throw conflict(`External identifier ${taken.system}|${taken.value} already belongs to another ${resourceType}`, {
      field: 'externalIds',
    });
  }
  // A record that already existed changed: the change feed says so (`externalIds`), as its columns'
  // triggers do for theirs. A new record's CREATE entry is enough; an identifier it had already is no change.
  if (options.existing && rows.some((r) => r.inserted)) {
    await ctx.db.query(
      `INSERT INTO change_log (clinic_id, entity_type, entity_id, operation, changed_fields) VALUES ($1, $2, $3, 'UPDATE', '{externalIds}')`,
      [ctx.db.clinicId, resourceType, resourceId],
    );
  }
}
