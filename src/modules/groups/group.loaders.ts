import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { RequestContext } from '../../context';
import { GroupFacilitator } from './group-facilitator.entity';
import { GroupAccess, groupAccess, redactGroupFor } from './group.policy';
import { TherapyGroup } from './therapy-group.entity';
import { viewerFactsLoader } from './viewer-facts';

interface GroupRow {
  id: string; clinic_id: string; name: string; description: string | null; modality: TherapyGroup['modality']; format: TherapyGroup['format'];
  capacity: number; status: TherapyGroup['status']; schedule_description: string | null; location: string | null; video_link: string | null;
  start_date: string | null; end_date: string | null; agreement_text: string | null; agreement_version: number;
  peer_contact_policy: TherapyGroup['peerContactPolicy']; created_at: Date; updated_at: Date;
}

const GROUP_COLUMNS = `id, clinic_id, name, description, modality, format, capacity, status, schedule_description, location, video_link,
  start_date, end_date, agreement_text, agreement_version, peer_contact_policy, created_at, updated_at`;

/** Plain rows into TherapyGroup objects (no ORM hydration on a loader every screen uses). */
const groupFromRow = (r: GroupRow) =>
  Object.assign(new TherapyGroup(), {
    id: r.id, clinicId: r.clinic_id, name: r.name, description: r.description, modality: r.modality, format: r.format, capacity: r.capacity,
    status: r.status, scheduleDescription: r.schedule_description, location: r.location, videoLink: r.video_link, startDate: r.start_date,
    endDate: r.end_date, agreementText: r.agreement_text, agreementVersion: r.agreement_version, peerContactPolicy: r.peer_contact_policy,
    createdAt: r.created_at, updatedAt: r.updated_at,
  });

export interface GroupCounts {
  seated: number;
  active: number;
  waitlisted: number;
}

export interface VisibleGroup {
  group: TherapyGroup;
  access: GroupAccess;
}

export const groupLoaders = (ctx: RequestContext) => {
  const rowById = new DataLoader<string, TherapyGroup | null>(async (ids) => {
    const rows = await ctx.db.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM therapy_groups WHERE id = ANY($1)`, [[...ids]]);
    const byId = new Map(rows.map((r) => [r.id, groupFromRow(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  return {
    rowById,

    /** The group as this viewer may see it (redacted for DIRECTORY access), with the access level; null = NOT_FOUND. */
    visibleById: new DataLoader<string, VisibleGroup | null>(async (ids) => {
      const viewer = ctx.viewer;
      if (!viewer) return ids.map(() => null);
      const [rows, facts] = await Promise.all([rowById.loadMany(ids), ctx.loaders.of(viewerFactsLoader).get()]);
      return rows.map((g) => {
        if (!(g instanceof TherapyGroup)) return null;
        const access = groupAccess(viewer, g.id, facts);
        return access === 'NONE' ? null : { group: redactGroupFor(access, g), access };
      });
    }),

    counts: new DataLoader<string, GroupCounts>(async (ids) => {
      const rows = await ctx.db.query<{ group_id: string; seated: number; active: number; waitlisted: number }>(
        `SELECT group_id,
                count(*) FILTER (WHERE status IN ('ACTIVE', 'ON_HOLD'))::int AS seated,
                count(*) FILTER (WHERE status = 'ACTIVE')::int AS active,
                count(*) FILTER (WHERE status = 'WAITLISTED')::int AS waitlisted
           FROM memberships WHERE group_id = ANY($1) GROUP BY group_id`,
        [[...ids]],
      );
      const byId = new Map(rows.map((r) => [r.group_id, { seated: r.seated, active: r.active, waitlisted: r.waitlisted }]));
      return ids.map((id) => byId.get(id) ?? { seated: 0, active: 0, waitlisted: 0 });
    }),

    /** All assignments of each group, current first, then by start. */
    facilitators: new DataLoader<string, GroupFacilitator[]>(async (ids) => {
      const rows = await ctx.db.manager.find(GroupFacilitator, {
        where: { groupId: In([...ids]) },
        order: { periodStart: 'ASC', id: 'ASC' },
      });
      const rank = (f: GroupFacilitator) => (f.endedAt === null ? 0 : 2) + (f.role === 'LEAD' ? 0 : 1);
      rows.sort((a, b) => rank(a) - rank(b));
      return ids.map((id) => rows.filter((f) => f.groupId === id));
    }),
  };
};

/** The group as this viewer may see it, or null: what every `group` field on a related object returns. */
export async function visibleGroup(ctx: RequestContext, groupId: string): Promise<TherapyGroup | null> {
  return (await ctx.loaders.of(groupLoaders).visibleById.load(groupId))?.group ?? null;
}
