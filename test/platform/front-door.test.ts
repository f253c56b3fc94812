/**
 * Compiled reads' plain JSON POSTs are answered before Apollo (src/http/front-door.ts). These
 * tests hold the front door to what Apollo answers for the same request (headers, body, audit,
 * log line) and check that everything it does not answer reaches Apollo unchanged.
 */
import pino from 'pino';
import request from 'supertest';
import { auditOf } from '../support/differential';
import { ClinicFixture, createClinic, ownerQuery, StaffFixture } from '../support/factories';
import { getTestApp, TestApp } from '../support/test-app';
import { createGroup, GroupFixture, groupWithMembers } from '../groups/group-fixtures';

const ROSTER = `query Roster($id: ID!) { group(id: $id) { name members(first: 10) { edges { node { status client { displayName }
  goals { title checkIns(last: 3) { value recordedAt } } } } } } }`;

let app: TestApp;
let clinic: ClinicFixture;
let group: GroupFixture;
let bystander: StaffFixture;
let neighbourGroup: GroupFixture;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  app = await getTestApp({ log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) });
  clinic = await createClinic('Front Door Clinic');
  ({ group } = await groupWithMembers(clinic, { members: 3 }));
  bystander = await clinic.addStaff('CLINICIAN', 'Not Facilitating');
  const neighbour = await createClinic('Front Door Neighbour');
  neighbourGroup = (await groupWithMembers(neighbour, { members: 2 })).group;
  await createGroup(neighbour, {});
});

afterAll(async () => {
  await app.close();
});

afterEach(() => {
  jest.restoreAllMocks();
});

function post(body: unknown, headers: Record<string, string>) {
  const req = request(app.app).post('/graphql');
  for (const [name, value] of Object.entries(headers)) req.set(name, value);
  return req.send(body as object);
}

const auditCount = async () => Number((await ownerQuery<{ n: string }>(`SELECT count(*) AS n FROM audit_batches`))[0].n);

describe('the front door answers compiled reads as Apollo would', () => {
  it('the roster: same status, content type, body and audit rows as through Apollo, without reaching Apollo', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const body = { query: ROSTER, variables: { id: group.gid } };
    const front = await post(body, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).not.toHaveBeenCalled();
    // An (empty) extensions object sends the same request through Apollo (its compiled-read plugin answers it there).
    const via = await post({ ...body, extensions: {} }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).toHaveBeenCalledTimes(1);

    expect(front.status).toBe(200);
    expect(front.headers['content-type']).toBe(via.headers['content-type']);
    expect(front.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(front.text.endsWith('}\n')).toBe(true);
    expect(Object.keys(front.body)).toEqual(Object.keys(via.body));
    expect(front.body.data).toEqual(via.body.data);
    expect(front.body.data.group.members.edges).toHaveLength(3);
    expect(front.body.extensions.sqlStatements).toBe(2);
    expect(via.body.extensions.sqlStatements).toBe(2);
    expect(front.headers['x-request-id']).toBe(front.body.extensions.requestId);

    const [mine, theirs] = [await auditOf(front.body.extensions.requestId), await auditOf(via.body.extensions.requestId)];
    expect(mine.length).toBeGreaterThanOrEqual(6);
    expect(mine).toEqual(theirs);
    // One log line, as Apollo's lifecycle writes it: names, ids and codes, no data.
    const logged = lines.filter((l) => l.requestId === front.body.extensions.requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'graphql request', operationName: 'Roster', operationType: 'query', viewer: 'STAFF', sqlStatements: 2, errorCodes: [] });
    expect(JSON.stringify(logged[0])).not.toContain(front.body.data.group.name);
  });

  it('keeps a caller\'s request id, and in production leaves out the statement count', async () => {
    const production = await getTestApp({ production: true });
    try {
      const res = await request(production.app).post('/graphql').set('content-type', 'application/json').set('authorization', clinic.clinician.auth)
        .set('x-request-id', 'front-door-0001').send({ query: ROSTER, variables: { id: group.gid } });
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('front-door-0001');
      expect(res.body.extensions).toEqual({ requestId: 'front-door-0001' });
      expect((await auditOf('front-door-0001')).length).toBeGreaterThanOrEqual(6);
    } finally {
      await production.close();
    }
  });
});

describe('the front door takes what Apollo would answer as plain JSON', () => {
  it.each([
    ['*/*', 'application/json'],
    ['application/json, text/plain, */*', 'application/json'],
    ['application/*', 'application/json; charset=utf-8'],
    // Apollo Client's default, and other preferences Apollo negotiates.
    ['application/graphql-response+json,application/json;q=0.9', 'application/json'],
    ['application/graphql-response+json', 'application/json'],
    ['application/json;q=0.5, application/graphql-response+json;q=0.4', 'application/json'],
    ['application/json; charset=utf-8', 'application/json'],
  ])('Accept %s with content type %s: the content type Apollo negotiates, and the same body', async (accept, contentType) => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const headers = { 'content-type': contentType, authorization: clinic.clinician.auth, accept };
    const res = await post({ query: ROSTER, variables: { id: group.gid } }, headers);
    expect(apollo).not.toHaveBeenCalled();
    const via = await post({ query: ROSTER, variables: { id: group.gid }, extensions: {} }, headers);
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(res.status).toBe(via.status);
    expect(res.headers['content-type']).toBe(via.headers['content-type']);
    expect(JSON.parse(res.text).data).toEqual(JSON.parse(via.text).data);
    expect(JSON.parse(res.text).data.group.members.edges).toHaveLength(3);
  });

  it('a document with several operations answers the one named, as Apollo does', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const document = `${ROSTER}\nquery Other { viewer { kind } }`;
    const front = await post({ query: document, operationName: 'Roster', variables: { id: group.gid } }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).not.toHaveBeenCalled();
    const via = await post({ query: document, operationName: 'Roster', variables: { id: group.gid }, extensions: {} }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(front.body.data).toEqual(via.body.data);
    // Without a name, Apollo's error for an ambiguous document.
    const ambiguous = await post({ query: document, variables: { id: group.gid } }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).toHaveBeenCalledTimes(2);
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.data).toBeUndefined();
  });
});

describe('no data leaves without its audit rows committed', () => {
  it('a commit that fails (an audit row the database refuses) withholds the data on both paths', async () => {
    const secret = 'Never Released Name';
    const failing = await getTestApp({
      compiledReads: [
        {
          shape: { group: { args: ['id'], fields: { name: {} } } },
          run: async (ctx, fields) => {
            // A record the audit table's CHECK refuses (no resource type): the COMMIT message fails.
            ctx.audit.record({ action: 'READ' as never, resourceType: null as never, resourceId: group.id });
            return new Map([[fields[0], { name: secret }]]);
          },
        },
      ],
    });
    try {
      const apollo = jest.spyOn(failing.apollo, 'executeHTTPGraphQLRequest');
      const query = `query($id: ID!) { group(id: $id) { name } }`;
      for (const extensions of [undefined, {}]) {
        const res = await request(failing.app).post('/graphql').set({ 'content-type': 'application/json', authorization: clinic.supervisor.auth })
          .send({ query, variables: { id: group.gid }, extensions });
        expect(res.status).toBe(200);
        expect(res.body.data).toBeNull();
        expect(res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(res.body.errors[0].message).toMatch(/^Internal server error \(request [0-9a-f-]{36}\)$/);
        expect(res.text).not.toContain(secret);
        expect(res.text).not.toMatch(/violates|constraint|INSERT/i);
        expect(await auditOf(res.body.extensions.requestId)).toEqual([]);
      }
      // The first went through the front door, the second through Apollo.
      expect(apollo).toHaveBeenCalledTimes(1);
    } finally {
      await failing.close();
    }
  });
});

describe('what the front door does not answer reaches Apollo unchanged', () => {
  it('a declined read (another clinic\'s group) goes on in the same transaction: NOT_FOUND, no statement run twice, no reads audited', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const before = await auditCount();
    // A supervisor may see any roster of the clinic, so the compiled read runs its statement before declining.
    const res = await post({ query: ROSTER, variables: { id: neighbourGroup.gid } }, { 'content-type': 'application/json', authorization: clinic.supervisor.auth });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['NOT_FOUND']);
    expect(res.body.data).toBeNull();
    // The same request on an app without compiled reads: the hand-over adds no statement.
    const resolvers = await getTestApp({ compiledReads: false });
    try {
      const plain = await request(resolvers.app).post('/graphql').set('content-type', 'application/json').set('authorization', clinic.supervisor.auth)
        .send({ query: ROSTER, variables: { id: neighbourGroup.gid } });
      expect(res.body.extensions.sqlStatements).toBe(plain.body.extensions.sqlStatements);
    } finally {
      await resolvers.close();
    }
    const audit = await auditOf(res.body.extensions.requestId);
    expect(audit.filter((l) => l.includes('|READ|'))).toEqual([]);
    expect(audit.some((l) => l.includes('|DENIED|'))).toBe(true);
    // One batch per request: this one's denial, and the resolvers-only app's.
    expect(await auditCount()).toBe(before + 2);
  });

  it('a clinician without roster access, and no credentials at all: the resolvers\' answers', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const denied = await post({ query: ROSTER, variables: { id: group.gid } }, { 'content-type': 'application/json', authorization: bystander.auth });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(denied.status).toBe(200);
    expect(denied.body.data.group.members).toBeNull();
    expect((await auditOf(denied.body.extensions.requestId)).filter((l) => l.includes('|READ|Membership|'))).toEqual([]);
    const anonymous = await post({ query: ROSTER, variables: { id: group.gid } }, { 'content-type': 'application/json' });
    expect(anonymous.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.body.data).toBeNull();
  });

  it('CSRF-prone content types are still refused by Apollo, with nothing read or audited', async () => {
    const before = await auditCount();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await request(app.app).post('/graphql').set('content-type', type).set('authorization', clinic.clinician.auth)
        .send(JSON.stringify({ query: ROSTER, variables: { id: group.gid } }));
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('members');
    }
    expect(await auditCount()).toBe(before);
  });

  it('a document over the armor limits is Apollo\'s validation error, with nothing audited', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const aliases = Array.from({ length: 16 }, (_, i) => `n${i}: name`).join(' ');
    const before = await auditCount();
    const res = await post({ query: `query($id: ID!) { group(id: $id) { ${aliases} } }`, variables: { id: group.gid } }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(await auditCount()).toBe(before);
  });

  it('an Accept header no offered type satisfies is Apollo\'s 406, with no data released', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const res = await post({ query: ROSTER, variables: { id: group.gid } }, { 'content-type': 'application/json', authorization: clinic.clinician.auth, accept: 'text/html' });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(res.status).toBe(406);
    expect(res.text).not.toContain('members');
    expect(res.text).not.toContain(group.name);
    // (Apollo negotiates after executing: the read it ran is audited although nothing was sent — the safe side.)
  });

  it('persisted-query extensions and batched bodies are left to Apollo', async () => {
    const apollo = jest.spyOn(app.apollo, 'executeHTTPGraphQLRequest');
    const ext = await post({ query: ROSTER, variables: { id: group.gid }, extensions: { persistedQuery: { version: 1, sha256Hash: 'x'.repeat(64) } } }, { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(ext.body.data?.group).toBeUndefined();
    const batch = await post([{ query: ROSTER, variables: { id: group.gid } }], { 'content-type': 'application/json', authorization: clinic.clinician.auth });
    expect(batch.status).toBe(400);
    expect(apollo).toHaveBeenCalledTimes(2);
  });
});
