import { AuditAction } from '../../audit/audit-action';
import type { AuthedContext, RequestContext } from '../../context';
import { notFound } from '../../errors/domain-error';
import { PeerContactPolicy } from '../groups/group.enums';
import { Clinic, ClinicSettings } from './clinic.entity';

/** RLS lets exactly one clinic row through: the request's own. */
export async function currentClinic(ctx: RequestContext): Promise<Clinic> {
  const clinic = ctx.db.clinicId ? await ctx.db.manager.findOneBy(Clinic, { id: ctx.db.clinicId }) : null;
  if (!clinic) throw notFound('Clinic');
  return clinic;
}

/** A clinic's settings with their defaults (a key never written reads as its default). */
export function settingsOf(clinic: Clinic): ClinicSettings {
  const stored = clinic.settings?.defaultPeerContactPolicy;
  const policies = Object.values(PeerContactPolicy) as string[];
  return Object.assign(new ClinicSettings(), {
    defaultPeerContactPolicy: typeof stored === 'string' && policies.includes(stored) ? (stored as PeerContactPolicy) : PeerContactPolicy.AFTER_COMPLETION,
  });
}

export async function updateClinicSettings(ctx: AuthedContext, change: { defaultPeerContactPolicy?: PeerContactPolicy | null }): Promise<Clinic> {
  const clinic = await currentClinic(ctx);
  if (change.defaultPeerContactPolicy != null) {
    await ctx.db.query(`UPDATE clinics SET settings = settings || jsonb_build_object('defaultPeerContactPolicy', $2::text), updated_at = now() WHERE id = $1`, [
      clinic.id,
      change.defaultPeerContactPolicy,
    ]);
    ctx.audit.record({ action: AuditAction.UPDATE, resourceType: 'Clinic', resourceId: clinic.id });
  }
  return currentClinic(ctx);
}
