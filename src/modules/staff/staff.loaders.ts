import DataLoader from 'dataloader';
import type { RequestContext } from '../../context';
import { StaffMember } from './staff-member.entity';

export const staffLoaders = (ctx: RequestContext) => ({
  byId: new DataLoader<string, StaffMember | null>(async (ids) => {
    const rows = await ctx.db.query<{ id: string; clinic_id: string; name: string; email: string | null; role: StaffMember['role']; credentials: string | null; active: boolean; created_at: Date; updated_at: Date }>(
      `SELECT id, clinic_id, name, email, role, credentials, active, created_at, updated_at FROM staff_members WHERE id = ANY($1)`,
      [[...ids]],
    );
    const byId = new Map(
      rows.map((r) => [
        r.id,
        Object.assign(new StaffMember(), {
          id: r.id, clinicId: r.clinic_id, name: r.name, email: r.email, role: r.role, credentials: r.credentials, active: r.active,
          createdAt: r.created_at, updatedAt: r.updated_at,
        }),
      ]),
    );
    return ids.map((id) => byId.get(id) ?? null);
  }),
});
