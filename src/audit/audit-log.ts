import { actorOf, Viewer } from '../auth/viewer';
import { arrayLiteral, RequestDb, SessionCall, SessionStatement } from '../db/request-db';
import { AuditAction } from './audit-action';

/**
 * `audit_events` rows (alias `a`) about one client: the batches that name them (`audit_subjects`'
 * key), then those batches' records about them. `client` is a SQL expression of type uuid.
 */
export const aboutClientSql = (client: string) =>
  `a.batch_id IN (SELECT batch_id FROM audit_subjects WHERE subject_client_id = ${client}) AND a.subject_client_id = ${client}`;

export interface AuditEntry {
  action: AuditAction;
  resourceType: string;
  resourceId?: string | null;
  subjectClientId?: string | null;
  code?: string | null;
  /**
   * Written in a batch of its own, with no request id and an id from a sequence of its own: a
   * psychotherapy note's records, which name no member (`subjectClientId` null), must not be
   * joined to the request's other records, which do.
   */
  apart?: boolean;
}

export interface DisclosureEntry {
  apiKeyId: string;
  clientId: string;
  dataClass: string;
  resourceType: string;
  resourceId: string;
  consentId: string;
}

/**
 * Collects a request's audit entries and writes them inside the request's transaction, in the
 * same message as its COMMIT. Denials are kept apart: they must survive a rollback.
 */
export class AuditLog {
  private readonly entries = new Map<string, AuditEntry>();
  private readonly denials: AuditEntry[] = [];
  private readonly disclosures = new Map<string, DisclosureEntry>();

  constructor(
    private readonly requestId: string,
    private readonly viewer: () => Viewer | undefined,
  ) {}

  /** Once per action, resource and subject per request (a record about two clients is two entries). */
  record(entry: AuditEntry): void {
    const key = `${entry.action}:${entry.resourceType}:${entry.resourceId ?? ''}:${entry.subjectClientId ?? ''}:${entry.apart ? 'apart' : ''}`;
    if (!this.entries.has(key)) this.entries.set(key, entry);
  }

  recordMany(entries: Iterable<AuditEntry>): void {
    for (const e of entries) this.record(e);
  }

  denied(entry: Omit<AuditEntry, 'action'>): void {
    this.denials.push({ ...entry, action: AuditAction.DENIED });
  }

  /** A release of a client's data to an integration under a consent: once per record per request. */
  disclose(entry: DisclosureEntry): void {
    const key = `${entry.resourceType}:${entry.resourceId}:${entry.dataClass}`;
    if (this.disclosures.has(key)) return;
    this.disclosures.set(key, entry);
    this.record({ action: AuditAction.DISCLOSE, resourceType: entry.resourceType, resourceId: entry.resourceId, subjectClientId: entry.clientId });
  }

  /** Refusals not yet written: what a request that commits nothing else still writes. */
  get pendingDenials(): number {
    return this.denials.length;
  }

  /**
   * Writes what the request did (unless `includeAccess` is false: then only its denials) and
   * commits, in one round trip: the rows travel as literals in the COMMIT's own message.
   */
  async commit(db: RequestDb, options: { includeAccess: boolean }): Promise<void> {
    const viewer = this.viewer();
    const clinicId = db.clinicId;
    const denials = [...this.denials];
    const rows = [...(options.includeAccess ? this.entries.values() : []), ...denials];
    const disclosures = options.includeAccess ? [...this.disclosures.values()] : [];
    this.entries.clear();
    this.denials.length = 0;
    this.disclosures.clear();
    const writes: SessionCall[] = [];
    if (viewer && clinicId && disclosures.length) {
      const column = (pick: (d: DisclosureEntry) => string) => arrayLiteral(disclosures.map(pick));
      writes.push(
        INSERT_DISCLOSURES.execute([
          clinicId, this.requestId, column((d) => d.apiKeyId), column((d) => d.clientId), column((d) => d.dataClass),
          column((d) => d.resourceType), column((d) => d.resourceId), column((d) => d.consentId),
        ]),
      );
    }
    if (viewer && clinicId && rows.length) {
      const { actorType, actorId } = actorOf(viewer);
      const columns = (batch: AuditEntry[]) => [
        arrayLiteral(batch.map((r) => r.action)), arrayLiteral(batch.map((r) => r.resourceType)), arrayLiteral(batch.map((r) => r.resourceId)),
        arrayLiteral(batch.map((r) => r.subjectClientId)), arrayLiteral(batch.map((r) => r.code)),
      ];
      const together = rows.filter((r) => !r.apart);
      const apart = rows.filter((r) => r.apart);
      for (let at = 0; at < together.length; at += BATCH_LIMIT) {
        writes.push(INSERT_AUDIT_BATCH.execute([clinicId, actorType, actorId, this.requestId, ...columns(together.slice(at, at + BATCH_LIMIT))]));
      }
      for (let at = 0; at < apart.length; at += BATCH_LIMIT) {
        writes.push(INSERT_APART_AUDIT_BATCH.execute([clinicId, actorType, actorId, ...columns(apart.slice(at, at + BATCH_LIMIT))]));
      }
    }
    try {
      await db.commit(writes);
    } catch (error) {
      // Nothing was written: what the request read is not released, but its denials must survive
      // (`settleRequest` writes them in a transaction of their own).
      this.denials.push(...denials);
      throw error;
    }
  }
}

// One array per column, not a VALUES row per record: a goals read by an integration releases ~250
// records, and a literal per value cost more to parse than the insert.
const INSERT_DISCLOSURES = new SessionStatement(
  'kinship_insert_disclosures',
  ['uuid', 'text', 'uuid[]', 'uuid[]', 'text[]', 'text[]', 'uuid[]', 'uuid[]'],
  `INSERT INTO disclosures (clinic_id, api_key_id, client_id, data_class, resource_type, resource_id, consent_id, request_id)
   SELECT $1, d.api_key_id, d.client_id, d.data_class, d.resource_type, d.resource_id, d.consent_id, $2
     FROM unnest($3, $4, $5, $6, $7, $8) AS d(api_key_id, client_id, data_class, resource_type, resource_id, consent_id)`,
);

/** Records per `audit_batches` row (its CHECK): event numbers are batch id × 10,000 + position. */
const BATCH_LIMIT = 10000;

/**
 * A request's records as one row of parallel arrays (the view `audit_events` shows one row per
 * record): one heap tuple and one key instead of ~40 rows and their indexes per roster page, plus
 * one `audit_subjects` row per client named, for the access report.
 */
const INSERT_AUDIT_BATCH = new SessionStatement(
  'kinship_insert_audit_batch',
  ['uuid', 'text', 'uuid', 'text', 'text[]', 'text[]', 'uuid[]', 'uuid[]', 'text[]'],
  `WITH batch AS (
     INSERT INTO audit_batches (clinic_id, actor_type, actor_id, request_id, actions, resource_types, resource_ids, subject_client_ids, codes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
   )
   INSERT INTO audit_subjects (clinic_id, subject_client_id, batch_id)
   SELECT DISTINCT $1::uuid, s.id, batch.id FROM batch, unnest($8::uuid[]) AS s(id) WHERE s.id IS NOT NULL`,
);

/** Where apart batches' ids begin (migration `1764330000000`'s sequence); the main sequence stays below. */
export const APART_BATCH_IDS_FROM = '900000000000000';

/**
 * Records kept apart from their request (`AuditEntry.apart`; they name no member, so no
 * `audit_subjects` row): no request id, and a batch id from a sequence of their own, so that
 * nothing in the request's numbering shows they exist.
 */
const INSERT_APART_AUDIT_BATCH = new SessionStatement(
  'kinship_insert_apart_audit_batch',
  ['uuid', 'text', 'uuid', 'text[]', 'text[]', 'uuid[]', 'uuid[]', 'text[]'],
  `INSERT INTO audit_batches (id, clinic_id, actor_type, actor_id, request_id, actions, resource_types, resource_ids, subject_client_ids, codes)
   OVERRIDING SYSTEM VALUE
   VALUES (nextval('audit_apart_batch_ids'), $1, $2, $3, NULL, $4, $5, $6, $7, $8)`,
);
