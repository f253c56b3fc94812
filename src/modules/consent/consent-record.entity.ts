import { Field, ObjectType } from 'type-graphql';
import { Node } from '../../common/node';
import { ConsentExpiryEvent, ConsentMethod, ConsentProvision, ConsentScopeKind, ConsentStatus, ConsentType } from './consent.enums';

/** A consent as read (status derived with the database clock). Rows are append-only. */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'A consent record (aligned with FHIR Consent: status, provision, period, actor, purpose). Append-only: revoking never erases what was granted. Readable by the client, staff with access to the client, and (PARTNER_DATA_SHARING naming itself) the integration with `consent:read`.',
})
export class ConsentRecord implements Node {
  id: string;
  clientId: string;
  scopeGroupId: string | null;
  scopeApiKeyId: string | null;
  recordedByType: string;
  recordedById: string | null;
  revokedByType: string | null;
  revokedById: string | null;

  @Field(() => ConsentType, { description: 'What the consent is about.' })
  type: ConsentType;

  @Field(() => ConsentStatus, { description: 'ACTIVE, EXPIRED or REVOKED, as of this request.' })
  status: ConsentStatus;

  @Field(() => ConsentProvision, { description: 'PERMIT or DENY.' })
  provision: ConsentProvision;

  @Field(() => ConsentScopeKind, { description: 'Whether it applies clinic-wide, to one group or to one integration.' })
  scopeKind: ConsentScopeKind;

  @Field(() => String, { nullable: true, description: 'Purpose of use, free text.' })
  purpose: string | null;

  @Field(() => [String], { description: 'Data classes covered, e.g. ["goals", "check-ins"]; empty = all the type covers.' })
  dataClasses: string[];

  @Field({ description: 'Start of the consent period.' })
  grantedAt: Date;

  @Field(() => Date, { nullable: true, description: 'End of the consent period, if it expires: the date given, or the moment its expiry event happened.' })
  expiresAt: Date | null;

  @Field(() => ConsentExpiryEvent, { nullable: true, description: 'The event it lapses on, if any; once it happens, expiresAt says when (and the history a LAPSED event).' })
  expiresOn: ConsentExpiryEvent | null;

  @Field(() => ConsentMethod, { description: 'How it was given.' })
  method: ConsentMethod;

  @Field(() => String, { nullable: true, description: 'Version of the form or agreement consented to.' })
  documentVersion: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was revoked.' })
  revokedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was revoked.' })
  revocationReason: string | null;
}

export interface ConsentRow {
  id: string;
  client_id: string;
  type: ConsentType;
  status: ConsentStatus;
  provision: ConsentProvision;
  scope_kind: ConsentScopeKind;
  scope_group_id: string | null;
  scope_api_key_id: string | null;
  purpose: string | null;
  data_classes: string[];
  granted_at: Date;
  expires_at: Date | null;
  expires_on: ConsentExpiryEvent | null;
  method: ConsentMethod;
  document_version: string | null;
  recorded_by_type: string;
  recorded_by_id: string | null;
  revoked_at: Date | null;
  revoked_by_type: string | null;
  revoked_by_id: string | null;
  revocation_reason: string | null;
}

/** Status is computed by PostgreSQL (`now()`), never by the API host's clock. */
export const CONSENT_STATUS_SQL = `CASE WHEN revoked_at IS NOT NULL THEN 'REVOKED' WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'EXPIRED' ELSE 'ACTIVE' END`;

export const CONSENT_COLUMNS = `id, client_id, type, provision, scope_kind, scope_group_id, scope_api_key_id, purpose, data_classes,
  granted_at, expires_at, expires_on, method, document_version, recorded_by_type, recorded_by_id, revoked_at, revoked_by_type, revoked_by_id,
  revocation_reason, ${CONSENT_STATUS_SQL} AS status`;

export function consentFromRow(r: ConsentRow): ConsentRecord {
  return Object.assign(new ConsentRecord(), {
    id: r.id,
    clientId: r.client_id,
    type: r.type,
    status: r.status,
    provision: r.provision,
    scopeKind: r.scope_kind,
    scopeGroupId: r.scope_group_id,
    scopeApiKeyId: r.scope_api_key_id,
    purpose: r.purpose,
    dataClasses: r.data_classes,
    grantedAt: r.granted_at,
    expiresAt: r.expires_at,
    expiresOn: r.expires_on,
    method: r.method,
    documentVersion: r.document_version,
    recordedByType: r.recorded_by_type,
    recordedById: r.recorded_by_id,
    revokedAt: r.revoked_at,
    revokedByType: r.revoked_by_type,
    revokedById: r.revoked_by_id,
    revocationReason: r.revocation_reason,
  });
}

@ObjectType({ simpleResolvers: true, description: 'One change in a consent\'s history.' })
export class ConsentEvent {
  @Field({ description: 'GRANTED, REVOKED, or LAPSED (its expiry event happened).' })
  event: string;

  @Field({ description: 'When.' })
  occurredAt: Date;

  @Field(() => String, { nullable: true, description: 'Reason given (revocations), or the event a consent lapsed on.' })
  reason: string | null;

  actorType: string;
  actorId: string | null;
}
