import { actorOf, Viewer } from '../auth/viewer';
import type { RequestDb } from '../db/request-db';
import { AuditAction } from './audit-action';

export interface AuditEntry {
  action: AuditAction;
  resourceType: string;
  resourceId?: string | null;
  subjectClientId?: string | null;
  code?: string | null;
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
 * Collects a request's audit entries and writes them in one statement inside the request's
 * transaction, just before it commits. Denials are kept apart: they must survive a rollback.
 */
export class AuditLog {
  private readonly entries = new Map<string, AuditEntry>();
  private readonly denials: AuditEntry[] = [];
  private readonly disclosures = new Map<string, DisclosureEntry>();

  constructor(
    private readonly requestId: string,
    private readonly viewer: () => Viewer | undefined,
  ) {}

  record(entry: AuditEntry): void {
    const key = `${entry.action}:${entry.resourceType}:${entry.resourceId ?? ''}`;
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

  get pending(): number {
    return this.entries.size + this.denials.length;
  }

  /** Writes what the request did (committed with it) and, unless `denialsOnly`, its denials. */
  async flush(db: RequestDb, options: { includeAccess: boolean }): Promise<void> {
    const viewer = this.viewer();
    const clinicId = db.clinicId;
    if (!viewer || !clinicId) return;
    const rows = [...(options.includeAccess ? this.entries.values() : []), ...this.denials];
    const disclosures = options.includeAccess ? [...this.disclosures.values()] : [];
    this.entries.clear();
    this.denials.length = 0;
    this.disclosures.clear();
    if (disclosures.length) {
      await db.query(
        `INSERT INTO disclosures (clinic_id, api_key_id, client_id, data_class, resource_type, resource_id, consent_id, request_id)
         SELECT $1, d.api_key_id, d.client_id, d.data_class, d.resource_type, d.resource_id, d.consent_id, $2
         FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::uuid[])
           AS d(api_key_id, client_id, data_class, resource_type, resource_id, consent_id)`,
        [
          clinicId,
          this.requestId,
          disclosures.map((d) => d.apiKeyId),
          disclosures.map((d) => d.clientId),
          disclosures.map((d) => d.dataClass),
          disclosures.map((d) => d.resourceType),
          disclosures.map((d) => d.resourceId),
          disclosures.map((d) => d.consentId),
        ],
      );
    }
    if (rows.length === 0) return;
    const { actorType, actorId } = actorOf(viewer);
    await db.query(
      `INSERT INTO audit_events (clinic_id, actor_type, actor_id, action, resource_type, resource_id, subject_client_id, request_id, code)
       SELECT $1, $2, $3, a.action, a.resource_type, a.resource_id, a.subject_client_id, $4, a.code
       FROM unnest($5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::text[])
         AS a(action, resource_type, resource_id, subject_client_id, code)`,
      [
        clinicId,
        actorType,
        actorId,
        this.requestId,
        rows.map((r) => r.action),
        rows.map((r) => r.resourceType),
        rows.map((r) => r.resourceId ?? null),
        rows.map((r) => r.subjectClientId ?? null),
        rows.map((r) => r.code ?? null),
      ],
    );
  }
}
