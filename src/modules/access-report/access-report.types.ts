import { Field, ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/connection';
import { AuditAction } from '../../audit/audit-action';
import { Actor } from '../../audit/actor';
import { ConsentType } from '../consent/consent.enums';

@ObjectType({ simpleResolvers: true, description: 'One access to the client\'s data by someone other than the client.' })
export class AccessReportEntry {
  @Field({ description: 'When.' })
  occurredAt: Date;

  @Field(() => AuditAction, { description: 'What was done (READ, UPDATE, DISCLOSE, DENIED, …).' })
  action: AuditAction;

  @Field({ description: 'What kind of data, e.g. Client, Membership, SessionNote, Goal.' })
  resourceType: string;

  @Field(() => Actor, { description: 'Who.' })
  actor: Actor;
}

@ObjectType({ simpleResolvers: true, description: 'One release of the client\'s data to a partner integration, with the consent it relied on.' })
export class DisclosureReportEntry {
  @Field({ description: 'When.' })
  disclosedAt: Date;

  @Field(() => String, { nullable: true, description: 'The integration that received it.' })
  integrationName: string | null;

  @Field({ description: 'Data class released, e.g. goals.' })
  dataClass: string;

  @Field({ description: 'Kind of record released.' })
  resourceType: string;

  @Field(() => ConsentType, { description: 'Type of the consent relied on.' })
  consentType: ConsentType;

  @Field({ description: 'When that consent was granted.' })
  consentGrantedAt: Date;

  @Field(() => String, { description: 'Global id of the consent relied on.' })
  consentId: string;
}

@ObjectType({ simpleResolvers: true, description: '"Who viewed my record": accesses by others and disclosures to integrations, newest first.' })
export class AccessReport {
  /** The client the report is about (not a field: the report names them by display name). */
  clientId: string;

  @Field({ description: 'Display name of the client the report is about.' })
  subjectDisplayName: string;

  @Field({ description: 'When the report was produced (database clock).' })
  generatedAt: Date;

  @Field(() => [AccessReportEntry], { description: 'The newest accesses by staff, integrations and other members (the client\'s own actions are left out), as many as the report\'s `first`; `accessHistory` pages through all of them.' })
  accesses: AccessReportEntry[];

  @Field(() => [DisclosureReportEntry], { description: 'The newest releases to partner integrations, as many as the report\'s `first`; `disclosureHistory` pages through all of them.' })
  disclosures: DisclosureReportEntry[];
}

export const AccessReportEntryConnection = ConnectionType(AccessReportEntry, 'AccessReportEntry', 'A page of accesses to the client\'s data, newest first.');
export const DisclosureReportEntryConnection = ConnectionType(DisclosureReportEntry, 'DisclosureReportEntry', 'A page of releases of the client\'s data to integrations, newest first.');
