import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync, NonEmptyArray } from 'type-graphql';
import { AuditResolver } from './audit/audit.resolver';
import { authChecker } from './auth/auth-checker';
import { DateTimeScalar } from './common/scalars';
import { ApiKeyResolver } from './modules/api-keys/api-key.resolver';
import { ClientResolver } from './modules/clients/client.resolver';
import { ClinicResolver } from './modules/clinic/clinic.resolver';
import { GroupFacilitatorResolver } from './modules/groups/group-facilitator.resolver';
import { GroupResolver } from './modules/groups/group.resolver';
import { MembershipResolver } from './modules/memberships/membership.resolver';
import { AccessReportResolver } from './modules/access-report/access-report.resolver';
import { ConsentEventResolver, ConsentResolver } from './modules/consent/consent.resolver';
import { GoalCheckInResolver, GoalResolver, MembershipGoalsResolver } from './modules/goals/goal.resolver';
import { EncouragementResolver, GroupBoardResolver, PartnershipResolver } from './modules/goals/partnership.resolver';
import { NoteAddendumResolver, NoteResolver, SessionNotesResolver } from './modules/notes/note.resolver';
import { AttendanceResolver, GroupSessionsResolver, MembershipAttendanceResolver, SessionResolver } from './modules/sessions/session.resolver';
import { ChangeFeedResolver } from './modules/changes/change-feed';
import { SyncResolver } from './modules/sync/sync.resolver';
import { AlumniEntryResolver, ConnectionResolver, GroupAlumniResolver, GroupEventResolver } from './modules/after-group/after-group.resolver';
import { NodeResolver } from './modules/node/node.resolver';
import { StaffResolver } from './modules/staff/staff.resolver';
import { ViewerResolver } from './modules/viewer/viewer.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  NodeResolver,
  ViewerResolver,
  ClinicResolver,
  StaffResolver,
  ClientResolver,
  ApiKeyResolver,
  AuditResolver,
  GroupResolver,
  GroupFacilitatorResolver,
  MembershipResolver,
  ConsentResolver,
  ConsentEventResolver,
  AccessReportResolver,
  GoalResolver,
  GoalCheckInResolver,
  MembershipGoalsResolver,
  PartnershipResolver,
  EncouragementResolver,
  GroupBoardResolver,
  SessionResolver,
  AttendanceResolver,
  GroupSessionsResolver,
  MembershipAttendanceResolver,
  NoteResolver,
  NoteAddendumResolver,
  SessionNotesResolver,
  SyncResolver,
  ChangeFeedResolver,
  ConnectionResolver,
  GroupEventResolver,
  GroupAlumniResolver,
  AlumniEntryResolver,
];

let built: GraphQLSchema | undefined;

/** The schema, built once per process (type-graphql metadata is global). */
export function getSchema(): GraphQLSchema {
  built ??= describeRoots(buildSchemaSync({
    resolvers: RESOLVERS,
    authChecker,
    authMode: 'error',
    validate: { forbidUnknownValues: false },
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    emitSchemaFile: false,
  }));
  return built;
}

/** type-graphql cannot describe the root types; Sandbox shows these first. */
function describeRoots(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  if (query) query.description = 'Reads. Every field requires authentication and states who may call it.';
  if (mutation) mutation.description = 'Writes. Each takes one `input` and returns a payload; failures carry a stable `extensions.code`.';
  return schema;
}

/** The checked-in contract: sorted, so diffs show real changes only. */
export const printContract = (schema: GraphQLSchema = getSchema()) => `${printSchema(lexicographicSortSchema(schema))}\n`;
