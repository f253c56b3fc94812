import { Field, ID, ObjectType } from 'type-graphql';
import { AuditAction, AuditActorType } from './audit-action';

@ObjectType({ simpleResolvers: true, description: 'One append-only audit record: who did what to which record, when. Never the content.' })
export class AuditEvent {
  @Field(() => ID, { description: 'Sequence number of the event (increasing within the clinic).' })
  id: string;

  @Field({ description: 'When it happened (database clock).' })
  occurredAt: Date;

  @Field(() => AuditActorType, { description: 'Kind of actor.' })
  actorType: AuditActorType;

  @Field(() => String, { nullable: true, description: 'Database id of the staff member, client or API key that acted.' })
  actorId: string | null;

  @Field(() => AuditAction, { description: 'What was done.' })
  action: AuditAction;

  @Field({ description: 'Type of the record concerned, e.g. Client or SessionNote.' })
  resourceType: string;

  @Field(() => String, { nullable: true, description: 'Database id of the record concerned.' })
  resourceId: string | null;

  @Field(() => String, { nullable: true, description: 'Database id of the client whose data it was, when it was a client\'s.' })
  subjectClientId: string | null;

  @Field(() => String, { nullable: true, description: 'Request id, to match server logs.' })
  requestId: string | null;

  @Field(() => String, { nullable: true, description: 'For DENIED events, the error code the caller received.' })
  code: string | null;
}
