import request from 'supertest';
import { ClinicFixture, createClinic, ownerQuery } from '../support/factories';
import { expectError, getTestApp, gql, TestApp } from '../support/test-app';
import { fromGlobalId } from '../../src/common/global-id';

/** The limits the API promises (src/app.ts armorLimits); raising one is a contract change, so they are spelled out here. */
const MAX_ALIASES = 15;
const MAX_DEPTH = 12;
const MAX_TOKENS = 3000;

const CREATE_CLIENT = `mutation($input: CreateClientInput!) { createClient(input: $input) { client { id givenName } } }`;
const VIEWER = `{ viewer { kind } }`;

async function clinicCounts(clinicId: string) {
  const [row] = await ownerQuery(
    `SELECT (SELECT count(*) FROM clients WHERE clinic_id = $1)::int AS clients,
            (SELECT count(*) FROM external_identifiers WHERE clinic_id = $1)::int AS external_ids,
            (SELECT count(*) FROM audit_events WHERE clinic_id = $1 AND action <> 'DENIED')::int AS audit_events`,
    [clinicId],
  );
  return row;
}

/** A POST to /graphql with the headers a real client sends, for requests `gql` cannot express. */
async function post(app: TestApp, auth: string | undefined, body: unknown) {
  const req = request(app.app).post('/graphql').set('content-type', 'application/json');
  if (auth) req.set('authorization', auth);
  return req.send(body as object);
}

describe('masked internal errors', () => {
  const TRIGGER = 'kinship_test_explode';

  beforeAll(async () => {
    await ownerQuery(`CREATE OR REPLACE FUNCTION ${TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.given_name = 'Explode' THEN
          RAISE EXCEPTION 'SELECT given_name FROM clients WHERE clinic_id = % violates constraint clients_pkey', NEW.clinic_id;
        END IF;
        RETURN NEW;
      END $$`);
    await ownerQuery(`CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON clients FOR EACH ROW EXECUTE FUNCTION ${TRIGGER}()`);
  });

  afterAll(async () => {
    await ownerQuery(`DROP TRIGGER IF EXISTS ${TRIGGER} ON clients`);
    await ownerQuery(`DROP FUNCTION IF EXISTS ${TRIGGER}()`);
  });

  it('answers a database failure with INTERNAL_SERVER_ERROR and a request id, never SQL, constraint names or stacks', async () => {
    const clinic = await createClinic();
    const before = await clinicCounts(clinic.id);
    const res = await gql(clinic.admin.auth, CREATE_CLIENT, {
      input: { givenName: 'Explode', familyName: 'Boom', externalIds: [{ system: 'urn:ehr', value: 'boom-1' }] },
    });

    expectError(res, 'INTERNAL_SERVER_ERROR');
    expect(res.data).toBeNull();
    const requestId = res.body.extensions?.requestId;
    expect(requestId).toEqual(expect.any(String));
    expect(res.errors![0].extensions?.requestId).toBe(requestId);
    expect(res.errors![0].message).toContain(requestId);

    const text = JSON.stringify(res.body);
    for (const leak of ['SELECT', 'clients_pkey', 'constraint', 'clinic_id', clinic.id, 'plpgsql', 'P0001', 'stacktrace', '    at ']) {
      expect({ leak, found: text.includes(leak) }).toEqual({ leak, found: false });
    }
    expect(await clinicCounts(clinic.id)).toEqual(before);
  });
});

describe('text input hygiene', () => {
  let clinic: ClinicFixture;
  beforeAll(async () => {
    clinic = await createClinic();
  });

  const refused = async (input: Record<string, unknown>) => {
    const before = await clinicCounts(clinic.id);
    const res = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: 'Ann', familyName: 'Lee', ...input } });
    expectError(res, 'BAD_USER_INPUT');
    expect(res.data).toBeNull();
    expect(await clinicCounts(clinic.id)).toEqual(before);
    return res;
  };

  it('refuses a NUL byte in a name with BAD_USER_INPUT and stores nothing', async () => {
    const res = await refused({ givenName: 'An\u0000n' });
    expect(res.errors![0].extensions?.fields).toEqual([expect.objectContaining({ field: 'givenName' })]);
    await refused({ familyName: '\u0000' });
  });

  it('refuses a phone number that is not E.164 with BAD_USER_INPUT, as roster sync refuses it (session 14)', async () => {
    // The PhoneNumber scalar alone took "000" and "1 (415) 555-0123": stored, though the schema says E.164.
    for (const phone of ['000', '1 (415) 555-0123', '+0 0 0', '+1-415-555-0123']) {
      const res = await refused({ phone });
      expect(res.errors![0].message).toMatch(/E\.164/);
    }
    const ok = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: 'Ann', familyName: 'Lee', phone: '+14155550123' } });
    expect(ok.errors).toBeUndefined();
    // A number stored before the rule may be sent back unchanged with another edit; a new one may not be loose.
    const id = ok.data.createClient.client.id;
    await ownerQuery(`UPDATE clients SET phone = '1 (415) 555-0123' WHERE id = $1`, [fromGlobalId(id)!.id]);
    const UPDATE = `mutation($input: UpdateClientInput!) { updateClient(input: $input) { client { givenName phone } } }`;
    const kept = await gql(clinic.admin.auth, UPDATE, { input: { id, givenName: 'Anna', phone: '1 (415) 555-0123' } });
    expect(kept.errors).toBeUndefined();
    expect(kept.data.updateClient.client).toEqual({ givenName: 'Anna', phone: '1 (415) 555-0123' });
    const loose = await gql(clinic.admin.auth, UPDATE, { input: { id, givenName: 'Annie', phone: '1 (415) 555-0199' } });
    expectError(loose, 'BAD_USER_INPUT');
    expect(loose.errors![0].extensions).toMatchObject({ field: 'phone' });
    expect((await ownerQuery(`SELECT given_name, phone FROM clients WHERE id = $1`, [fromGlobalId(id)!.id]))[0]).toEqual({ given_name: 'Anna', phone: '1 (415) 555-0123' });
  });

  it('refuses unpaired surrogates with BAD_USER_INPUT and stores nothing', async () => {
    await refused({ givenName: 'Ann\ud800' });
    await refused({ familyName: '\udc00Lee' });
  });

  it('refuses unsafe text nested in external identifiers and in query arguments', async () => {
    await refused({ externalIds: [{ system: 'urn:ehr', value: 'mrn\u0000' }] });
    const search = await gql(clinic.admin.auth, `query($q: String) { clients(search: $q) { edges { node { id } } } }`, { q: 'a\u0000' });
    expectError(search, 'BAD_USER_INPUT');
    expect(search.data).toBeNull();
  });

  it('answers null sent for an optional variable in an argument that has a default with BAD_USER_INPUT, not an internal error (session 14)', async () => {
    // graphql-js admits `$n: Int` where `first: Int! = 50` is expected and refuses the null only
    // as the field runs, with no code: Apollo called it internal and it was masked and logged so.
    const before = await clinicCounts(clinic.id);
    const list = await gql(clinic.admin.auth, `query($n: Int) { clients(first: $n) { totalCount } }`, { n: null });
    expectError(list, 'BAD_USER_INPUT');
    expect(list.errors![0].message).toMatch(/^Argument "first" of non-null type "Int!" must not be null/);
    expect(list.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect(list.data).toBeNull();
    // In a mutation's input object: refused before anything is written.
    const write = await gql(
      clinic.admin.auth,
      `mutation($p: ConsentProvision) { createClient(input: { givenName: "Ann", familyName: "Lee" }) { client { id } } grantConsent(input: { type: TREATMENT, method: SIGNED_FORM, provision: $p }) { consent { id } } }`,
      { p: null },
    );
    expectError(write, 'BAD_USER_INPUT');
    expect(write.errors![0].message).toMatch(/^Argument "input" has invalid value/);
    expect(write.errors![0].extensions).toMatchObject({ argument: 'input' });
    expect(write.data).toBeNull();
    expect(await clinicCounts(clinic.id)).toEqual(before);
    // The variable given: the default applies as documented.
    expect((await gql(clinic.admin.auth, `query($n: Int) { clients(first: $n) { totalCount } }`, {})).errors).toBeUndefined();
  });

  it('refuses a name over 100 characters, and accepts exactly 100 (counted in characters, not UTF-16 units)', async () => {
    await refused({ givenName: 'a'.repeat(101) });
    const before = await clinicCounts(clinic.id);
    const ok = await gql(clinic.admin.auth, CREATE_CLIENT, { input: { givenName: '😀'.repeat(100), familyName: 'Lee' } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.createClient.client.givenName).toBe('😀'.repeat(100));
    expect((await clinicCounts(clinic.id)).clients).toBe(before.clients + 1);
  });
});

const aliasedViewer = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;

describe('query limits', () => {
  /** `node(id:)` then `fragments` nested inline fragments, then `id`: selection depth = fragments + 2. */
  const deep = (fragments: number) => {
    let inner = 'id';
    for (let i = 0; i < fragments; i++) inner = `... on ${i % 2 ? 'Node' : 'Client'} { ${inner} }`;
    return `query($id: ID!) { node(id: $id) { ${inner} } }`;
  };

  it(`accepts ${MAX_ALIASES} aliases and rejects ${MAX_ALIASES + 1}`, async () => {
    const clinic = await createClinic();
    const ok = await gql(clinic.admin.auth, aliasedViewer(MAX_ALIASES));
    expect(ok.errors).toBeUndefined();
    expect(Object.keys(ok.data)).toHaveLength(MAX_ALIASES);

    const res = await gql(clinic.admin.auth, aliasedViewer(MAX_ALIASES + 1));
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.errors![0].message).toMatch(/alias/i);
    expect(res.data).toBeUndefined();
  });

  it(`accepts a query ${MAX_DEPTH} levels deep and rejects one level deeper`, async () => {
    const clinic = await createClinic();
    const client = await clinic.addClient();
    const ok = await gql(clinic.admin.auth, deep(MAX_DEPTH - 2), { id: client.gid });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.node.id).toBe(client.gid);

    const res = await gql(clinic.admin.auth, deep(MAX_DEPTH - 1), { id: client.gid });
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.errors![0].message).toMatch(/depth/i);
    expect(res.data).toBeUndefined();
    // rejected before execution: no client read was audited for it
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE subject_client_id = $1 AND request_id = $2`, [client.id, res.body.extensions?.requestId])).toHaveLength(0);
  });
});

describe('malformed and oversized documents', () => {
  // Client mistakes, not server failures: a 4xx with a stable code and the request id.
  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED and a request id, not a 500', async () => {
    const clinic = await createClinic();
    const res = await gql(clinic.admin.auth, `{ viewer { kind `);
    expect(res.status).toBe(400);
    expectError(res, 'GRAPHQL_PARSE_FAILED');
    expect(res.data).toBeUndefined();
    expect(res.body.extensions?.requestId).toEqual(expect.any(String));
  });

  it(`rejects a document over ${MAX_TOKENS} tokens with a 4xx, not a 500`, async () => {
    const clinic = await createClinic();
    const res = await gql(clinic.admin.auth, `{ viewer { ${'kind '.repeat(MAX_TOKENS)} } }`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.errors![0].message).toMatch(/token/i);
    expect(res.data).toBeUndefined();
    expect(res.body.extensions?.requestId).toEqual(expect.any(String));
  });
});

describe('HTTP transport', () => {
  let clinic: ClinicFixture;
  beforeAll(async () => {
    clinic = await createClinic();
  });

  it('rejects a batched request (a JSON array) with a 4xx and no results', async () => {
    const res = await post(await getTestApp(), clinic.admin.auth, [{ query: VIEWER }, { query: VIEWER }]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(Array.isArray(res.body)).toBe(false);
    expect(res.body?.data).toBeUndefined();
    expect(res.text).not.toContain('STAFF');
  });

  it('rejects a body over 1 MB with 413', async () => {
    const before = await clinicCounts(clinic.id);
    const res = await post(await getTestApp(), clinic.admin.auth, {
      query: CREATE_CLIENT,
      variables: { input: { givenName: 'Big', familyName: 'Body', pronouns: 'x'.repeat(1024 * 1024 + 1) } },
    });
    expect(res.status).toBe(413);
    expect(res.body?.data).toBeUndefined();
    expect(await clinicCounts(clinic.id)).toEqual(before);
  });

  it('answers a body it cannot read with a stable 4xx code, not an internal error: another charset, an unknown encoding, a false gzip', async () => {
    const { app } = await getTestApp();
    const before = await clinicCounts(clinic.id);
    const body = JSON.stringify({ query: CREATE_CLIENT, variables: { input: { givenName: 'Odd', familyName: 'Body' } } });
    const send = (headers: Record<string, string>) => {
      const req = request(app).post('/graphql').set('authorization', clinic.admin.auth);
      for (const [k, v] of Object.entries(headers)) req.set(k, v);
      return req.send(body);
    };
    const cases: [Record<string, string>, number, string][] = [
      [{ 'content-type': 'application/json; charset=latin1' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/json', 'content-encoding': 'compress' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 400, 'BAD_REQUEST'],
    ];
    for (const [headers, status, code] of cases) {
      const res = await send(headers);
      expect(res.status).toBe(status);
      expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual([code]);
      expect(res.body.data).toBeUndefined();
    }
    expect(await clinicCounts(clinic.id)).toEqual(before);
  });

  it('blocks a GET without a preflight header (CSRF prevention), and serves it with one', async () => {
    const { app } = await getTestApp();
    const blocked = await request(app).get('/graphql').query({ query: VIEWER }).set('authorization', clinic.admin.auth);
    expect(blocked.status).toBeGreaterThanOrEqual(400);
    expect(blocked.status).toBeLessThan(500);
    expect(blocked.body?.data).toBeUndefined();
    expect(blocked.text).not.toContain('STAFF');

    const allowed = await request(app)
      .get('/graphql')
      .query({ query: VIEWER })
      .set('authorization', clinic.admin.auth)
      .set('apollo-require-preflight', 'true');
    expect(allowed.status).toBe(200);
    expect(allowed.body.data.viewer.kind).toBe('STAFF');
  });

  it('blocks a simple (text/plain) cross-site POST', async () => {
    const { app } = await getTestApp();
    const res = await request(app)
      .post('/graphql')
      .set('content-type', 'text/plain')
      .set('authorization', clinic.admin.auth)
      .send(JSON.stringify({ query: VIEWER }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('STAFF');
  });
});

describe('developer extensions', () => {
  it('carries extensions.requestId and sqlStatements on every response outside production', async () => {
    const clinic = await createClinic();
    const responses = [
      await gql(clinic.admin.auth, VIEWER), // success
      await gql(undefined, VIEWER), // unauthenticated
      await gql(clinic.supervisor.auth, `{ auditEvents { edges { node { id } } } }`), // forbidden
      await gql(clinic.admin.auth, `{ viewer { nope } }`), // validation failure
      await gql(clinic.admin.auth, aliasedViewer(MAX_ALIASES + 1)), // limit rejection
    ];
    const ids = new Set<string>();
    for (const res of responses) {
      expect(res.body.extensions).toEqual(expect.objectContaining({ requestId: expect.any(String), sqlStatements: expect.any(Number) }));
      ids.add(res.body.extensions!.requestId);
    }
    expect(ids.size).toBe(responses.length);
    expect(responses[0].sqlStatements).toBeGreaterThan(0);
  });
});

describe('production mode', () => {
  let prod: TestApp;
  let clinic: ClinicFixture;
  beforeAll(async () => {
    prod = await getTestApp({ production: true });
    clinic = await createClinic();
  });
  afterAll(async () => {
    await prod.close();
  });

  it('keeps extensions.requestId but drops extensions.sqlStatements', async () => {
    const res = await post(prod, clinic.admin.auth, { query: VIEWER });
    expect(res.body.data.viewer.kind).toBe('STAFF');
    expect(res.body.extensions.requestId).toEqual(expect.any(String));
    expect(res.body.extensions).not.toHaveProperty('sqlStatements');
  });

  it('never suggests field, argument or type names', async () => {
    for (const query of [
      `{ viewer { kinx } }`,
      `{ clients(frist: 5) { edges { node { id } } } }`,
      `query($id: ID!) { node(id: $id) { ... on Clinet { id } } }`,
    ]) {
      const res = await post(prod, clinic.admin.auth, { query, variables: { id: clinic.gid } });
      expect(res.body.errors?.length).toBeGreaterThan(0);
      expect(res.body.data).toBeUndefined();
      expect({ query, text: res.text }).toEqual({ query, text: expect.not.stringMatching(/did you mean/i) });
      expect(res.body.extensions.requestId).toEqual(expect.any(String));
    }
  });

  it('disables introspection (which works outside production)', async () => {
    const introspection = `{ __schema { queryType { name } } }`;
    const res = await post(prod, clinic.admin.auth, { query: introspection });
    expect(res.body.errors?.length).toBeGreaterThan(0);
    expect(res.body.data).toBeUndefined();
    const typeQuery = await post(prod, clinic.admin.auth, { query: `{ __type(name: "Client") { fields { name } } }` });
    expect(typeQuery.body.errors?.length).toBeGreaterThan(0);
    expect(typeQuery.text).not.toContain('givenName');

    const dev = await gql(clinic.admin.auth, introspection);
    expect(dev.data.__schema.queryType.name).toBe('Query');
  });

  it('takes operations by POST only: a GET (its variables in the URL, for proxies to log) answers 405 and runs nothing', async () => {
    const auditBefore = await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE clinic_id = $1`, [clinic.id]);
    const get = await request(prod.app)
      .get('/graphql')
      .query({ query: `query($i: ID!) { node(id: $i) { id } }`, variables: JSON.stringify({ i: clinic.gid }) })
      .set('apollo-require-preflight', '1')
      .set('authorization', clinic.admin.auth);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.headers['cache-control']).toBe('no-store');
    expect(get.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['METHOD_NOT_ALLOWED']);
    expect(await ownerQuery(`SELECT count(*)::int AS n FROM audit_events WHERE clinic_id = $1`, [clinic.id])).toEqual(auditBefore);
    expect((await post(prod, clinic.admin.auth, { query: VIEWER })).body.data.viewer.kind).toBe('STAFF');
  });

  it('keeps no persisted queries (their cache would be shared across clinics) and says only ready or not on /readyz', async () => {
    const res = await post(prod, clinic.admin.auth, { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } });
    // (Apollo Client's persisted-query link reads the message and resends the full document.)
    expect(res.body.errors.map((e: { message: string; extensions: { code: string } }) => [e.extensions.code, e.message])).toEqual([['BAD_USER_INPUT', 'PersistedQueryNotSupported']]);
    const ready = await request(prod.app).get('/readyz');
    expect([ready.status, ready.body]).toEqual([200, { status: 'ok' }]);
  });
});
