import { Rule, satisfiesRule, Viewer } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { ApiKey } from '../api-keys/api-key.entity';
import { Clinic } from '../clinic/clinic.entity';
import { clientLoaders } from '../clients/client.loaders';
import { consentLoaders } from '../consent/consent.loaders';
import { goalLoaders } from '../goals/goal.loaders';
import { partnershipLoaders } from '../goals/partnership.service';
import { groupLoaders } from '../groups/group.loaders';
import { noteLoaders } from '../notes/note.loaders';
import { sessionLoaders } from '../sessions/session.loaders';
import { GroupFacilitator } from '../groups/group-facilitator.entity';
import { membershipLoaders } from '../memberships/membership.loaders';
import { staffLoaders } from '../staff/staff.loaders';

export interface NodeType {
  /** The same callers as the type's direct query. */
  rules: readonly string[];
  /** The same loader (and so the same row policy and audit) as the direct query. */
  load(ctx: AuthedContext, id: string): Promise<object | null>;
}

/** Every Node type `node(id:)` can fetch. A type missing here is simply not found. */
export const NODE_TYPES: Record<string, NodeType> = {
  Clinic: {
    rules: [],
    load: (ctx, id) => (id === ctx.viewer.clinicId ? ctx.db.manager.findOneBy(Clinic, { id }) : Promise.resolve(null)),
  },
  StaffMember: {
    rules: [...Rule.STAFF, Rule.scope('roster:read')],
    load: (ctx, id) => ctx.loaders.of(staffLoaders).byId.load(id),
  },
  Client: {
    rules: [...Rule.STAFF, Rule.scope('roster:read'), Rule.scope('roster:write'), Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(clientLoaders).visibleById.load(id),
  },
  TherapyGroup: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write')],
    load: async (ctx, id) => (await ctx.loaders.of(groupLoaders).visibleById.load(id))?.group ?? null,
  },
  Membership: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write')],
    load: (ctx, id) => ctx.loaders.of(membershipLoaders).visibleById.load(id),
  },
  GroupFacilitator: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write')],
    load: async (ctx, id) => {
      const f = await ctx.db.manager.findOneBy(GroupFacilitator, { id });
      return f && (await ctx.loaders.of(groupLoaders).visibleById.load(f.groupId)) ? f : null;
    },
  },
  ConsentRecord: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('consent:read')],
    load: (ctx, id) => ctx.loaders.of(consentLoaders).visibleById.load(id),
  },
  Goal: {
    rules: [Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER, Rule.scope('goals:read')],
    load: (ctx, id) => ctx.loaders.of(goalLoaders).visibleById.load(id),
  },
  AccountabilityPartnership: {
    rules: [...Rule.STAFF, Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(partnershipLoaders).visibleById.load(id),
  },
  GroupSession: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('sessions:read')],
    load: (ctx, id) => ctx.loaders.of(sessionLoaders).visibleById.load(id),
  },
  SessionNote: {
    rules: [...Rule.STAFF, Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(noteLoaders).visibleById.load(id),
  },
  ApiKey: {
    rules: [Rule.ADMIN],
    load: (ctx, id) => ctx.db.manager.findOneBy(ApiKey, { id }),
  },
};

export const mayFetchNode = (viewer: Viewer, type: NodeType) => satisfiesRule(viewer, type.rules);
