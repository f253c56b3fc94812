import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';

export enum SessionStatus {
  SCHEDULED = 'SCHEDULED',
  HELD = 'HELD',
  CANCELLED = 'CANCELLED',
}
registerEnumType(SessionStatus, {
  name: 'SessionStatus',
  description: 'Whether a meeting is planned, took place, or was called off.',
  valuesConfig: {
    SCHEDULED: { description: 'Planned.' },
    HELD: { description: 'Took place (set when attendance shows anyone present, or by staff).' },
    CANCELLED: { description: 'Called off (never one members attended or with notes); absences excused ahead of it are kept.' },
  },
});

export enum AttendanceStatus {
  PRESENT = 'PRESENT',
  LATE = 'LATE',
  LEFT_EARLY = 'LEFT_EARLY',
  ABSENT_EXCUSED = 'ABSENT_EXCUSED',
  ABSENT = 'ABSENT',
  NO_SHOW = 'NO_SHOW',
}
registerEnumType(AttendanceStatus, {
  name: 'AttendanceStatus',
  description: 'A member\'s attendance at one session.',
  valuesConfig: {
    PRESENT: { description: 'Attended the whole session.' },
    LATE: { description: 'Arrived late.' },
    LEFT_EARLY: { description: 'Left before the end.' },
    ABSENT_EXCUSED: { description: 'Absent with notice.' },
    ABSENT: { description: 'Absent.' },
    NO_SHOW: { description: 'Absent without notice.' },
  },
});

export const ATTENDED: AttendanceStatus[] = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY];

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'One meeting of a group. Its time and topic are visible to the group\'s members and every staff member; attendance and notes follow their own rules.',
})
export class GroupSession implements Node {
  id: string;
  groupId: string;
  facilitatorIds: string[];

  @Field({ description: 'Planned start.' })
  scheduledStart: Date;

  @Field({ description: 'Planned end.' })
  scheduledEnd: Date;

  @Field(() => Int, { description: 'Planned length in minutes.' })
  durationMinutes: number;

  @Field(() => SessionStatus, { description: 'SCHEDULED, HELD or CANCELLED.' })
  status: SessionStatus;

  @Field(() => String, { nullable: true, description: 'Topic or skill of the session.' })
  topic: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was cancelled.' })
  cancelReason: string | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'A member\'s attendance at one session. Staff with roster access to the group and integrations with `sessions:read` and a roster scope see all; a member sees their own.' })
export class Attendance implements Node {
  id: string;
  sessionId: string;
  membershipId: string;
  clientId: string;
  /** Its session was cancelled after it was recorded: kept, but no part of the attendance rate. */
  sessionCancelled?: boolean;

  @Field(() => AttendanceStatus, { description: 'How they attended.' })
  status: AttendanceStatus;

  @Field(() => Date, { nullable: true, description: 'When they joined.' })
  joinedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When they left.' })
  leftAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'Minutes attended: 0 for an absence; otherwise from joinedAt (or the start) to leftAt (or the end), at most a day. Worked out again when the session\'s length changes, except where both times were given.' })
  minutes: number | null;

  @Field({ description: 'When this was (last) recorded.' })
  recordedAt: Date;
}
