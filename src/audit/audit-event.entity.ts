import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { AuditAction, AuditActorType } from './audit-action';

@Entity('audit_events')
@ObjectType({ simpleResolvers: true, description: 'One append-only audit record: who did what to which record, when. Never the content.' })
export class AuditEvent {
  @PrimaryColumn({ type: 'bigint' })
  @Field(() => ID, { description: 'Sequence number of the event (increasing within the clinic).' })
  id: string;

  @Column('uuid')
  clinicId: string;

  @Column('timestamptz')
  @Field({ description: 'When it happened (database clock).' })
  occurredAt: Date;

  @Column('text')
  @Field(() => AuditActorType, { description: 'Kind of actor.' })
  actorType: AuditActorType;

  @Column('uuid', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Database id of the staff member, client or API key that acted.' })
  actorId: string | null;

  @Column('text')
  @Field(() => AuditAction, { description: 'What was done.' })
  action: AuditAction;

  @Column('text')
  @Field({ description: 'Type of the record concerned, e.g. Client or SessionNote.' })
  resourceType: string;

  @Column('uuid', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Database id of the record concerned.' })
  resourceId: string | null;

  @Column('uuid', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Database id of the client whose data it was, when it was a client\'s.' })
  subjectClientId: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'Request id, to match server logs.' })
  requestId: string | null;

  @Column('text', { nullable: true })
  @Field(() => String, { nullable: true, description: 'For DENIED events, the error code the caller received.' })
  code: string | null;
}
