import { AuditAction } from '../../audit/audit-action';
import { auditRefusedRead } from '../../audit/denied-subject';
import { decodeCursor, Page, pageOf } from '../../common/connection';
import { uuidOf } from '../../common/global-id';
import { toSqlDate } from '../../common/scalars';
import type { AuthedContext } from '../../context';
import { badInput, forbidden, notFound } from '../../errors/domain-error';
import { attachExternalIds, findByExternalId } from '../external-ids/external-id.service';
import { ExternalIdentifierInput } from '../external-ids/external-identifier.entity';
import { viewerFactsLoader } from '../groups/viewer-facts';
import { withIdempotency } from '../idempotency/idempotency.service';
import { Client } from './client.entity';
import { CreateClientInput, UpdateClientInput } from './client.inputs';
import { clientLoaders } from './client.loaders';
import { canWriteClients, clientListScope, E164_MESSAGE, E164_PHONE, isPlausibleBirthDate } from './client.policy';

export const RESOURCE = 'Client';

/** A client by global id, or NOT_FOUND — the same answer for missing, other-clinic and not-yours. */
export async function getClient(ctx: AuthedContext, globalId: string): Promise<Client> {
  const id = uuidOf(globalId, RESOURCE);
  const client = id ? await ctx.loaders.of(clientLoaders).visibleById.load(id) : null;
  if (!client) {
    // About the client asked for when they are this clinic's: a refused look then shows in their
    // access report. Another clinic's id (or none) names no one.
    await auditRefusedRead(ctx, RESOURCE, id);
    throw notFound(RESOURCE);
  }
  return client;
}

export async function getClientByExternalId(ctx: AuthedContext, ref: ExternalIdentifierInput): Promise<Client | null> {
  const id = await findByExternalId(ctx, RESOURCE, ref);
  const client = id ? await ctx.loaders.of(clientLoaders).visibleById.load(id) : null;
  // A client the identifier names but the viewer may not see: refused like client(id:), and audited alike.
  if (id && !client) await auditRefusedRead(ctx, RESOURCE, id);
  return client;
}

export async function listClients(
  ctx: AuthedContext,
  first: number,
  after: string | null | undefined,
  search: string | null | undefined,
): Promise<Page<Client>> {
  const scope = clientListScope(ctx.viewer);
  if (scope === 'NONE') throw forbidden();
  const cursor = decodeCursor(after, ['text', 'text', 'uuid']);
  const facilitated = scope === 'FACILITATED' ? (await ctx.loaders.of(viewerFactsLoader).get()).facilitatedGroupIds : undefined;
  const qb = ctx.db.manager
    .createQueryBuilder(Client, 'c')
    .select('c.id')
    .orderBy('c.family_name', 'ASC')
    .addOrderBy('c.given_name', 'ASC')
    .addOrderBy('c.id', 'ASC')
    .limit(first + 1);
  if (facilitated) {
    qb.andWhere('c.id IN (SELECT client_id FROM memberships WHERE group_id = ANY(:groups))', { groups: [...facilitated] });
  }
  if (cursor) qb.andWhere('(c.family_name, c.given_name, c.id) > (:f, :g, :i)', { f: cursor[0], g: cursor[1], i: cursor[2] });
  if (search) {
    qb.andWhere(`(c.given_name || ' ' || c.family_name || ' ' || coalesce(c.preferred_name, '')) ILIKE :q`, {
      q: `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`,
    });
  }
  const ids = (await qb.getMany()).map((c) => c.id);
  // Only the page goes through the policy loader (which audits); the extra id only tells hasNextPage.
  const clients = (await ctx.loaders.of(clientLoaders).visibleById.loadMany(ids.slice(0, first))).filter(
    (c): c is Client => c instanceof Client,
  );
  const page = pageOf(clients, first, (c) => [c.familyName, c.givenName, c.id]);
  page.pageInfo.hasNextPage = ids.length > first;
  return page;
}

function columnsOf(input: Partial<CreateClientInput>) {
  const out: Record<string, unknown> = {};
  if (input.givenName != null) out.givenName = input.givenName.trim();
  if (input.familyName != null) out.familyName = input.familyName.trim();
  if (input.preferredName !== undefined) out.preferredName = input.preferredName?.trim() || null;
  if (input.pronouns !== undefined) out.pronouns = input.pronouns?.trim() || null;
  if (input.email !== undefined) out.email = input.email?.trim() || null;
  if (input.phone !== undefined) out.phone = input.phone || null;
  if (input.dateOfBirth !== undefined) out.dateOfBirth = toSqlDate(input.dateOfBirth) ?? null;
  return out;
}

/** The record's columns from the input, its birth date judged as a roster sync judges it (the clinic's today). */
async function checkedColumnsOf(ctx: AuthedContext, input: Partial<CreateClientInput>, stored?: Pick<Client, 'phone'>) {
  const out = columnsOf(input);
  // The PhoneNumber scalar takes spaces, dashes and "000"; numbers are stored E.164, as roster sync
  // stores them. One stored before this was checked may be sent back unchanged with other edits.
  if (typeof out.phone === 'string' && out.phone !== stored?.phone && !E164_PHONE.test(out.phone)) throw badInput(E164_MESSAGE, { field: 'phone' });
  if (out.dateOfBirth) {
    const [{ today }] = await ctx.db.query<{ today: string }>(`SELECT clinic_today()::text AS today`);
    if (!isPlausibleBirthDate(out.dateOfBirth as string, today)) {
      throw badInput('dateOfBirth must fall between 1900-01-01 and today, in the clinic\'s calendar', { field: 'dateOfBirth' });
    }
  }
  return out;
}

export async function createClient(ctx: AuthedContext, input: CreateClientInput): Promise<Client> {
  if (!canWriteClients(ctx.viewer)) throw forbidden();
  return withIdempotency(ctx, 'createClient', input.idempotencyKey, input, () => insertClient(ctx, input), {
    save: (c) => ({ id: c.id }),
    load: async (saved) => (await ctx.loaders.of(clientLoaders).visibleById.load((saved as { id: string }).id))!,
  });
}

async function insertClient(ctx: AuthedContext, input: CreateClientInput): Promise<Client> {
  const c = await checkedColumnsOf(ctx, input);
  const [row] = await ctx.db.query<{ id: string }>(
    `INSERT INTO clients (clinic_id, given_name, family_name, preferred_name, pronouns, email, phone, date_of_birth)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [ctx.db.clinicId, c.givenName, c.familyName, c.preferredName ?? null, c.pronouns ?? null, c.email ?? null, c.phone ?? null, c.dateOfBirth ?? null],
  );
  await attachExternalIds(ctx, RESOURCE, row.id, input.externalIds);
  ctx.audit.record({ action: AuditAction.CREATE, resourceType: RESOURCE, resourceId: row.id, subjectClientId: row.id });
  return (await ctx.loaders.of(clientLoaders).visibleById.load(row.id))!;
}

export async function updateClient(ctx: AuthedContext, input: UpdateClientInput): Promise<Client> {
  if (!canWriteClients(ctx.viewer)) throw forbidden();
  const loader = ctx.loaders.of(clientLoaders).visibleById;
  const id = uuidOf(input.id, RESOURCE);
  const current = id ? await loader.load(id) : null;
  if (!id || !current) throw notFound(RESOURCE);
  const changes = await checkedColumnsOf(ctx, input, current);
  if (Object.keys(changes).length > 0) {
    await ctx.db.manager.update(Client, { id }, { ...changes, updatedAt: () => 'now()' } as never);
  }
  await attachExternalIds(ctx, RESOURCE, id, input.externalIds, { existing: true });
  ctx.audit.record({ action: AuditAction.UPDATE, resourceType: RESOURCE, resourceId: id, subjectClientId: id });
  loader.clear(id);
  return (await loader.load(id))!;
}
