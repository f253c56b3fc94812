import type { RequestContext } from '../../context';
import { notFound } from '../../errors/domain-error';
import { Clinic } from './clinic.entity';

/** RLS lets exactly one clinic row through: the request's own. */
export async function currentClinic(ctx: RequestContext): Promise<Clinic> {
  const clinic = ctx.db.clinicId ? await ctx.db.manager.findOneBy(Clinic, { id: ctx.db.clinicId }) : null;
  if (!clinic) throw notFound('Clinic');
  return clinic;
}
