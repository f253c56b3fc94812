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

/**
 * Collects a request's audit entries and writes them in one statement inside the request's
 * transaction, just before it commits. Denials are kept apart: they must survive a rollback.
 */
export class AuditLog {
  private readonly entries = new Map<string, AuditEntry>();
  private readonly denials: AuditEntry[] = [];

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

  get pending(): number {
    return this.entries.size + this.denials.length;
  }

  /** Writes what the request did (committed with it) and, unless `denialsOnly`, its denials. */
  async flush(db: RequestDb, options: { includeAccess: boolean }): Promise<void> {
    const viewer = this.viewer();
    const clinicId = db.clinicId;
    if (!viewer || !clinicId) return;
    const rows = [...(options.includeAccess ? this.entries.values() : []), ...this.denials];
    this.entries.clear();
    this.denials.length = 0;
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
