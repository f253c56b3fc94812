import DataLoader from 'dataloader';
import { AuditAction } from '../../audit/audit-action';
import type { RequestContext } from '../../context';
import { Client } from './client.entity';
import { canReadClient, needsFacilitationFacts } from './client.policy';
import { facilitatedClientIds } from './facilitation';

interface ClientRow {
  id: string; clinic_id: string; given_name: string; family_name: string; preferred_name: string | null; pronouns: string | null;
  email: string | null; phone: string | null; date_of_birth: string | null; created_at: Date; updated_at: Date;
}

const CLIENT_COLUMNS = 'id, clinic_id, given_name, family_name, preferred_name, pronouns, email, phone, date_of_birth, created_at, updated_at';

/** Plain rows into Client objects: no ORM hydration on the hottest loader. */
const clientFromRow = (r: ClientRow) =>
  Object.assign(new Client(), {
    id: r.id, clinicId: r.clinic_id, givenName: r.given_name, familyName: r.family_name, preferredName: r.preferred_name,
    pronouns: r.pronouns, email: r.email, phone: r.phone, dateOfBirth: r.date_of_birth, createdAt: r.created_at, updatedAt: r.updated_at,
  });

/**
 * `visibleById` is the only way a Client object reaches a resolver: the batch loads the rows,
 * applies the read policy to all of them at once, and audits what it releases.
 */
export const clientLoaders = (ctx: RequestContext) => ({
  visibleById: new DataLoader<string, Client | null>(async (ids) => {
    const viewer = ctx.viewer;
    if (!viewer) return ids.map(() => null);
    const [rows, facilitated] = await Promise.all([
      ctx.db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE id = ANY($1)`, [[...ids]]).then((r) => r.map(clientFromRow)),
      needsFacilitationFacts(viewer) ? facilitatedClientIds(ctx, ids) : Promise.resolve(new Set<string>()),
    ]);
    const visible = new Map(rows.filter((c) => canReadClient(viewer, c.id, facilitated)).map((c) => [c.id, c]));
    ctx.audit.recordMany(
      [...visible.keys()].map((id) => ({ action: AuditAction.READ, resourceType: 'Client', resourceId: id, subjectClientId: id })),
    );
    return ids.map((id) => visible.get(id) ?? null);
  }),
});
