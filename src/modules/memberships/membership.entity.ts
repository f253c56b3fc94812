import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { CalendarDate } from '../../common/scalars';
import { MembershipStatus } from './membership-status';

/**
 * A client's place in a group. Staff with roster access and the member themself see all of it;
 * a peer sees only `displayName` and `status` (the other fields are null).
 */
@Entity('memberships')
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'A client\'s membership in a group: status, period and history. Peers in the group see only `displayName` and `status`; every other field is null for them.',
})
export class Membership implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('uuid')
  groupId: string;

  @Column('uuid')
  clientId: string;

  @Column('text')
  @Field(() => MembershipStatus, { description: 'Current status.' })
  status: MembershipStatus;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Why the membership is in its current status.' })
  statusReason: string | null;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'Day the member was first seated (ACTIVE).' })
  periodStart: string | null;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'Day the membership ended (COMPLETED, WITHDRAWN or DISCHARGED).' })
  periodEnd: string | null;

  @Column('timestamptz', { nullable: true })
  waitlistedAt: Date | null;

  @Column('int', { nullable: true })
  @Field(() => Int, { nullable: true, description: 'Version of the group agreement the member accepted, if any.' })
  agreementVersionAccepted: number | null;

  @Column('timestamptz', { nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the member accepted the group agreement.' })
  agreementAcceptedAt: Date | null;

  @Column('timestamptz')
  @Field(() => Date, { nullable: true, description: 'When the client was enrolled.' })
  createdAt: Date | null;

  @Column('timestamptz')
  updatedAt: Date;

  /** Loaded with the row; the only trace of the client a peer ever sees. */
  @Field({ description: 'The member\'s display name (preferred first name + last initial).' })
  displayName: string;

  /** True when this copy was redacted for a peer: the nulls above are deliberate. */
  peerView?: boolean;
}

@Entity('membership_events')
@ObjectType({ simpleResolvers: true, description: 'One status change of a membership: who, when, from, to, why. Append-only.' })
export class MembershipEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('uuid')
  membershipId: string;

  @Column('text', { nullable: true })
  @Field(() => MembershipStatus, { nullable: true, description: 'Status before the change; null for the enrolment itself.' })
  fromStatus: MembershipStatus | null;

  @Column('text')
  @Field(() => MembershipStatus, { description: 'Status after the change.' })
  toStatus: MembershipStatus;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Reason given for the change.' })
  reason: string | null;

  @Column('text')
  @Field({ description: 'Kind of actor: STAFF, CLIENT, INTEGRATION or SYSTEM (automatic waitlist promotion).' })
  actorType: string;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @Column('timestamptz')
  @Field({ description: 'When the change happened.' })
  occurredAt: Date;
}
