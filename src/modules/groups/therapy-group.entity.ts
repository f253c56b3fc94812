import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { CalendarDate } from '../../common/scalars';
import { GroupFormat, GroupStatus, Modality, PeerContactPolicy } from './group.enums';

/**
 * A therapy group. Name, modality, format, status and schedule are visible to every staff
 * member and to the group's members; the rest (location, agreement, roster) only to those
 * with clinical or administrative access to the group — for others those fields are null.
 */
@Entity('therapy_groups')
@ObjectType('TherapyGroup', {
  simpleResolvers: true,
  implements: Node,
  description:
    'A therapy group: a cohort with a modality, a format, a capacity, facilitators and a lifecycle. Restricted fields are null for viewers without access to the group\'s roster.',
})
export class TherapyGroup implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('text')
  @Field({ description: 'Name of the group.' })
  name: string;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'What the group is about and who it is for.' })
  description: string | null;

  @Column('text')
  @Field(() => Modality, { description: 'Therapeutic approach.' })
  modality: Modality;

  @Column('text')
  @Field(() => GroupFormat, { description: 'How members join.' })
  format: GroupFormat;

  @Column('int')
  @Field(() => Int, { description: 'Maximum number of seated members (ACTIVE or ON_HOLD).' })
  capacity: number;

  @Column('text')
  @Field(() => GroupStatus, { description: 'Lifecycle status.' })
  status: GroupStatus;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Human-readable schedule, e.g. "Tuesdays 18:00–19:30".' })
  scheduleDescription: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Where the group meets in person. Staff with roster access, roster integrations (`roster:read`, `roster:write`) and current members; null for others.' })
  location: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Video link for remote sessions. Staff with roster access, roster integrations (`roster:read`, `roster:write`) and current members; null for others.' })
  videoLink: string | null;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'First day of the group.' })
  startDate: string | null;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'Last day of the group, if planned.' })
  endDate: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'The group agreement members accept (confidentiality, conduct). Staff with roster access, roster integrations, current members, and applicants asked to accept it.' })
  agreementText: string | null;

  @Column('int')
  @Field(() => Int, { description: 'Version of the group agreement; raising it asks members to accept again.' })
  agreementVersion: number;

  @Column('text')
  @Field(() => PeerContactPolicy, { description: 'When members may exchange contact details.' })
  peerContactPolicy: PeerContactPolicy;

  @Column('timestamptz')
  @Field({ description: 'When the group was created.' })
  createdAt: Date;

  @Column('timestamptz')
  @Field({ description: 'When the group last changed.' })
  updatedAt: Date;
}
