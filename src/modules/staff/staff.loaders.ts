import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { RequestContext } from '../../context';
import { StaffMember } from './staff-member.entity';

export const staffLoaders = (ctx: RequestContext) => ({
  byId: new DataLoader<string, StaffMember | null>(async (ids) => {
    const rows = await ctx.db.manager.find(StaffMember, { where: { id: In([...ids]) } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }),
});
