import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../src/context';
import { Loaders } from '../../src/loaders';
import { clientLoaders } from '../../src/modules/clients/client.loaders';
import { createClinic, ownerQuery } from '../support/factories';
import { getTestApp, gql } from '../support/test-app';
import { RequestDb, SessionStatement } from '../../src/db/request-db';

describe('Loaders (unit)', () => {
  const fakeContext = () => ({ requestId: randomUUID() }) as unknown as RequestContext;

  it('builds a module\'s loader set once per instance and reuses it within that instance', () => {
    const factory = jest.fn((ctx: RequestContext) => ({ ctx, cache: new Map() }));
    const ctx = fakeContext();
    const loaders = new Loaders(() => ctx);
    const first = loaders.of(factory);
    expect(loaders.of(factory)).toBe(first);
    expect(factory).toHaveBeenCalledTimes(1);
    expect(first.ctx).toBe(ctx);
  });

  it('gives two instances (two requests) separate loader sets, each bound to its own context', () => {
    const factory = jest.fn((ctx: RequestContext) => ({ ctx, cache: new Map() }));
    const a = new Loaders(fakeContext);
    const b = new Loaders(fakeContext);
    const setA = a.of(factory);
    const setB = b.of(factory);
    expect(setA).not.toBe(setB);
    expect(setA.cache).not.toBe(setB.cache);
    expect(setA.ctx).not.toBe(setB.ctx);
    expect(factory).toHaveBeenCalledTimes(2);
  });

  it('does so for the real client loaders too', () => {
    const a = new Loaders(fakeContext);
    const b = new Loaders(fakeContext);
    expect(a.of(clientLoaders).visibleById).toBe(a.of(clientLoaders).visibleById);
    expect(a.of(clientLoaders).visibleById).not.toBe(b.of(clientLoaders).visibleById);
  });
});

describe('request scope over HTTP', () => {
  it('never serves one request\'s cached rows to the next', async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient({ givenName: 'Before' });
    const query = `query($id: ID!) { client(id: $id) { givenName } node(id: $id) { ... on Client { givenName } } }`;

    const first = await gql(clinic.admin.auth, query, { id: client.gid });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({ client: { givenName: 'Before' }, node: { givenName: 'Before' } });

    await ownerQuery(`UPDATE clients SET given_name = 'After' WHERE id = $1`, [client.id]);

    const second = await gql(clinic.admin.auth, query, { id: client.gid });
    expect(second.errors).toBeUndefined();
    expect(second.data).toEqual({ client: { givenName: 'After' }, node: { givenName: 'After' } });
  });

  it('does not carry one viewer\'s visibility into another viewer\'s request', async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient();
    const query = `query($id: ID!) { client(id: $id) { id } }`;
    // the admin's request loads (and would cache) the row; the clinician's must decide afresh
    const [asAdmin, asClinician] = await Promise.all([
      gql(clinic.admin.auth, query, { id: client.gid }),
      gql(clinic.clinician.auth, query, { id: client.gid }),
    ]);
    expect(asAdmin.data.client.id).toBe(client.gid);
    expect(asClinician.codes).toEqual(['NOT_FOUND']);
  });

  it('runs the same number of SQL statements for a page of 5 clients as for a page of 20', async () => {
    const query = (first: number) => `{ clients(first: ${first}) { edges { node { displayName externalIds { value } } } } }`;
    const clinicWith = async (n: number) => {
      const clinic = await createClinic();
      for (let i = 0; i < n; i++) {
        const c = await clinic.addClient();
        await ownerQuery(
          `INSERT INTO external_identifiers (clinic_id, resource_type, resource_id, system, value) VALUES ($1, 'Client', $2, 'urn:ehr', $3)`,
          [clinic.id, c.id, `mrn-${i}`],
        );
      }
      return clinic;
    };
    const small = await clinicWith(5);
    const large = await clinicWith(25);

    const few = await gql(small.admin.auth, query(5));
    const many = await gql(large.admin.auth, query(20));
    expect(few.errors).toBeUndefined();
    expect(many.errors).toBeUndefined();
    expect(few.data.clients.edges).toHaveLength(5);
    expect(many.data.clients.edges).toHaveLength(20);
    expect(many.data.clients.edges.every((e: { node: { externalIds: unknown[] } }) => e.node.externalIds.length === 1)).toBe(true);
    expect(few.sqlStatements).toBeGreaterThan(0);
    expect(many.sqlStatements).toBe(few.sqlStatements);
  });
});

const DIVIDE = new SessionStatement('kinship_test_divide', ['int'], 'SELECT 1 / $1');

describe('the end of a request', () => {
  it('runs statements issued before the end inside the transaction, refuses later ones, and only then frees the connection', async () => {
    const { dataSource } = await getTestApp();
    const clinic = await createClinic();
    const db = new RequestDb(dataSource);
    await db.begin({ clinicId: clinic.id });
    const earlier = db.query<{ clinic: string }>(
      `SELECT current_setting('app.clinic_id') AS clinic, pg_sleep(0.2)::text AS slept`,
    );
    const ended = db.commit([]);
    // A resolver still running after the response (a non-null error elsewhere) must not reach
    // the connection once it may belong to another request.
    await expect(db.query('SELECT 1')).rejects.toThrow('no request transaction');
    const [row] = await earlier;
    expect(row.clinic).toBe(clinic.id);
    await ended;
    expect(db.active).toBe(false);
  });

  it('refuses a second session statement of the same name: it would silently run the first one\'s SQL', () => {
    expect(() => new SessionStatement('kinship_test_divide', ['int'], 'SELECT 2 / $1')).toThrow(/defined twice/);
  });

  it('rolls back and rethrows when a write in the COMMIT message fails, leaving the connection clean', async () => {
    const { dataSource } = await getTestApp();
    const clinic = await createClinic();
    const db = new RequestDb(dataSource);
    await db.begin({ clinicId: clinic.id });
    await db.query(`UPDATE clinics SET name = name || ' (changed)' WHERE id = $1`, [clinic.id]).catch(() => undefined);
    await expect(db.commit([DIVIDE.execute(['0'])])).rejects.toThrow(/division by zero/);
    expect((await ownerQuery(`SELECT name FROM clinics WHERE id = $1`, [clinic.id]))[0].name).not.toMatch(/changed/);
    // The pool still serves requests on every connection.
    const results = await Promise.all(Array.from({ length: 8 }, () => gql(clinic.admin.auth, `{ viewer { kind } }`)));
    expect(results.every((r) => r.data?.viewer?.kind === 'STAFF')).toBe(true);
  });
});
