import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../common/node';
import { CalendarDate } from '../../common/scalars';
import { FacilitatorRole } from './group.enums';

@Entity('group_facilitators')
@ObjectType({ simpleResolvers: true, implements: Node, description: 'A staff member\'s assignment to facilitate a group, for a period. Ended assignments stay as history.' })
export class GroupFacilitator implements Node {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('uuid')
  groupId: string;

  @Column('uuid')
  staffMemberId: string;

  @Column('text')
  @Field(() => FacilitatorRole, { description: 'Lead or co-facilitator.' })
  role: FacilitatorRole;

  @Column('date')
  @Field(() => CalendarDate, { description: 'First day of the assignment.' })
  periodStart: string;

  @Column('date', { nullable: true })
  @Field(() => CalendarDate, { nullable: true, description: 'Last day of the assignment, once ended (removeFacilitator ends it on the day it is removed). An assignment removed before its first day has a periodEnd before its periodStart: it was never in force.' })
  periodEnd: string | null;

  @Column('timestamptz', { nullable: true })
  endedAt: Date | null;

  @Field({ description: 'True while the assignment has not been ended (by removeFacilitator, or, once its last day has passed, by a new assignment of the same staff member). Access follows periodStart–periodEnd: an assignment ahead of its start, or past its last day, opens nothing though still current.' })
  get current(): boolean {
    return this.endedAt === null;
  }
}
