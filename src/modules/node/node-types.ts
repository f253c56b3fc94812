import { Rule, satisfiesRule, Viewer } from '../../auth/viewer';
import type { AuthedContext } from '../../context';
import { connectionLoaders } from '../after-group/connection.service';
import { eventLoaders } from '../after-group/event.service';
import { ApiKey } from '../api-keys/api-key.entity';
import { Clinic } from '../clinic/clinic.entity';
import { clientLoaders } from '../clients/client.loaders';
import { consentLoaders } from '../consent/consent.loaders';
import { myEncouragement } from '../goals/encouragement.service';
import { goalLoaders } from '../goals/goal.loaders';
import { visibleCheckIn } from '../goals/goal.service';
import { partnershipLoaders } from '../goals/partnership.service';
import { groupLoaders, visibleGroup } from '../groups/group.loaders';
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
    load: async (ctx, id) => visibleGroup(ctx, id),
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
  GoalCheckIn: {
    rules: [Rule.SUPERVISOR, Rule.CLINICIAN, Rule.MEMBER],
    load: (ctx, id) => visibleCheckIn(ctx, id),
  },
  Encouragement: {
    rules: [Rule.MEMBER],
    load: (ctx, id) => myEncouragement(ctx, id),
  },
  AccountabilityPartnership: {
    rules: [...Rule.STAFF, Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(partnershipLoaders).visibleById.load(id),
  },
  GroupSession: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('roster:read'), Rule.scope('roster:write'), Rule.scope('sessions:read')],
    load: (ctx, id) => ctx.loaders.of(sessionLoaders).visibleById.load(id),
  },
  Attendance: {
    rules: [...Rule.STAFF, Rule.MEMBER, Rule.scope('sessions:read')],
    // The record alone: loading its session's whole attendance would audit every member's.
    load: (ctx, id) => ctx.loaders.of(sessionLoaders).attendanceById.load(id),
  },
  SessionNote: {
    rules: [...Rule.STAFF, Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(noteLoaders).visibleById.load(id),
  },
  Connection: {
    rules: [Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(connectionLoaders).visibleById.load(id),
  },
  GroupEvent: {
    rules: [...Rule.STAFF, Rule.MEMBER],
    load: (ctx, id) => ctx.loaders.of(eventLoaders).visibleById.load(id),
  },
  // As `apiKeys` (admins) and `viewer.apiKey` (an integration's own key, never another's).
  ApiKey: {
    rules: [],
    load: (ctx, id) => {
      const v = ctx.viewer;
      const sees = (v.kind === 'STAFF' && v.role === 'ADMIN') || (v.kind === 'INTEGRATION' && v.apiKeyId === id);
      return sees ? ctx.db.manager.findOneBy(ApiKey, { id }) : Promise.resolve(null);
    },
  },
};

export const mayFetchNode = (viewer: Viewer, type: NodeType) => satisfiesRule(viewer, type.rules);
