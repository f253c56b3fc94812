/**
 * A client that disconnects mid-request: its transaction is rolled back at once (nothing of the
 * request is committed, not even audit rows of a response nobody received), and the resolvers
 * still running afterwards are not reported as internal errors — one info line says what happened.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import type { AuthedContext } from '../../src/context';
import { ClientGoneError, RequestDb } from '../../src/db/request-db';
import { createClinic, ownerQuery } from '../support/factories';
import { getTestApp, gql, TestApp } from '../support/test-app';

let app: TestApp;
let server: http.Server;
const lines: LogLine[] = [];

beforeAll(async () => {
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  app = await getTestApp({
    log,
    // Holds the request in the database long enough for the client to leave, then lets the resolvers answer.
    compiledReads: [
      {
        shape: { viewer: { fields: { client: { fields: { displayName: {} } } } } },
        run: async (ctx) => {
          await ctx.db.query(`SELECT pg_sleep(0.4)`);
          return undefined;
        },
      },
    ],
  });
  server = http.createServer(app.app).listen(0);
});

afterAll(async () => {
  server.close();
  await app.close();
});

/** POSTs `query` to `on` and disconnects after 150 ms; resolves with whatever body arrived by then. */
async function leaveMidRequest(on: http.Server, auth: string, requestId: string, query: string): Promise<string> {
  const port = (on.address() as AddressInfo).port;
  let received = '';
  await new Promise<void>((resolve) => {
    const req = http.request({ port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', authorization: auth, 'x-request-id': requestId } });
    req.on('response', (res) => res.on('data', (chunk) => (received += String(chunk))));
    req.on('error', () => resolve());
    req.end(JSON.stringify({ query }));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 150);
  });
  return received;
}

type LogLine = { level: number; msg: string; requestId?: string };

/**
 * An app whose compiled read of `{ viewer { kind } }` does `before`, holds the request in the
 * database for 0.4 s (long enough for the client to leave), then does `after` and answers MEMBER;
 * with its log lines and a server to disconnect from.
 */
async function slowViewerKindApp(steps: { before?: (ctx: AuthedContext) => void; after?: (ctx: AuthedContext) => void }) {
  const lines: LogLine[] = [];
  const slow = await getTestApp({
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    compiledReads: [
      {
        shape: { viewer: { fields: { kind: {} } } },
        run: async (ctx, fields) => {
          steps.before?.(ctx);
          await ctx.db.query(`SELECT pg_sleep(0.4)`);
          steps.after?.(ctx);
          return new Map([[fields[0], { kind: 'MEMBER' }]]);
        },
      },
    ],
  });
  const slowServer = http.createServer(slow.app).listen(0);
  return {
    app: slow,
    server: slowServer,
    lines,
    close: async () => {
      slowServer.close();
      await slow.close();
    },
  };
}

it('rolls back, audits nothing and logs no internal error when the client disconnects mid-request', async () => {
  const clinic = await createClinic('Client Gone Clinic');
  const member = await clinic.addClient();
  const requestId = randomUUID();
  await leaveMidRequest(server, member.auth, requestId, `{ viewer { client { displayName } } }`);
  // Let the sleeping statement end and the resolvers run into the rolled-back transaction.
  await new Promise((r) => setTimeout(r, 900));

  const mine = lines.filter((l) => l.requestId === requestId);
  expect(mine.filter((l) => l.level >= 50)).toEqual([]);
  expect(mine.map((l) => l.msg)).toContain('client went away; rolled back');
  expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE request_id = $1`, [requestId])).toEqual([]);
  // The connection went back to the pool clean: the same member is answered in full next time.
  const next = await gql(member.auth, `{ viewer { client { displayName } } }`, {}, app);
  expect(next.data.viewer.client.displayName).toMatch(/\S/);
  expect(next.codes).toEqual([]);
});

it('a compiled read answered by the front door after its client left: nothing committed, audited or sent, no internal error', async () => {
  // Answers (with an audited read) only after the client has gone.
  const front = await slowViewerKindApp({
    after: (ctx) => ctx.audit.record({ action: 'READ' as never, resourceType: 'Client', resourceId: null, subjectClientId: null }),
  });
  try {
    const clinic = await createClinic('Client Gone Front Door');
    const member = await clinic.addClient();
    const requestId = randomUUID();
    const received = await leaveMidRequest(front.server, member.auth, requestId, `{ viewer { kind } }`);
    await new Promise((r) => setTimeout(r, 900));

    expect(received).toBe('');
    const mine = front.lines.filter((l) => l.requestId === requestId);
    expect(mine.filter((l) => l.level >= 50)).toEqual([]);
    expect(mine.map((l) => l.msg)).toContain('graphql request');
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE request_id = $1`, [requestId])).toEqual([]);
    // The connection went back to the pool clean: the next request is answered in full.
    const next = await gql(member.auth, `{ viewer { kind } }`, {}, front.app);
    expect(next.data.viewer.kind).toBe('MEMBER');
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE request_id = $1`, [next.body.extensions?.requestId])).toHaveLength(1);
  } finally {
    await front.close();
  }
});

it('keeps a refusal met before the client left: its DENIED record is written in a transaction of its own, nothing read is', async () => {
  const clinic = await createClinic('Client Gone Refusal');
  const member = await clinic.addClient();
  const probed = (await clinic.addClient()).id;
  // Refuses a look at another client, reads one more record, and answers only after the client has gone.
  const refusing = await slowViewerKindApp({
    before: (ctx) => {
      ctx.audit.denied({ resourceType: 'Client', resourceId: probed, subjectClientId: probed, code: 'NOT_FOUND' });
      ctx.audit.record({ action: 'READ' as never, resourceType: 'Client', resourceId: probed, subjectClientId: probed });
    },
  });
  try {
    const requestId = randomUUID();
    const received = await leaveMidRequest(refusing.server, member.auth, requestId, `{ viewer { kind } }`);
    await new Promise((r) => setTimeout(r, 900));

    expect(received).toBe('');
    expect(refusing.lines.filter((l) => l.requestId === requestId && l.level >= 50)).toEqual([]);
    expect(await ownerQuery(`SELECT action, resource_id, subject_client_id, code FROM audit_events WHERE request_id = $1`, [requestId])).toEqual([
      { action: 'DENIED', resource_id: probed, subject_client_id: probed, code: 'NOT_FOUND' },
    ]);
  } finally {
    await refusing.close();
  }
});

it('a request whose client left while it waited for a pooled connection does nothing once one frees: no transaction, no audit, no error', async () => {
  const narrowLines: { level: number; msg: string; requestId?: string }[] = [];
  const narrow = await getTestApp({
    log: pino({ level: 'info' }, { write: (line: string) => void narrowLines.push(JSON.parse(line)) }),
    pool: { max: 1 },
    // Holds the only connection for a while, then lets the resolvers answer.
    compiledReads: [
      {
        shape: { viewer: { fields: { kind: {} } } },
        run: async (ctx) => {
          await ctx.db.query(`SELECT pg_sleep(0.6)`);
          return undefined;
        },
      },
    ],
  });
  const narrowServer = http.createServer(narrow.app).listen(0);
  try {
    const clinic = await createClinic('Client Gone While Waiting');
    const member = await clinic.addClient();
    const holder = gql(member.auth, `{ viewer { kind } }`, {}, narrow);
    await new Promise((r) => setTimeout(r, 100));
    const requestId = randomUUID();
    // Waits behind the holder for the only connection, and leaves before it frees.
    await leaveMidRequest(narrowServer, member.auth, requestId, `{ viewer { client { displayName } } }`);
    expect((await holder).data.viewer.kind).toBe('MEMBER');
    await new Promise((r) => setTimeout(r, 400));

    // Nothing at error level, from us or from Apollo answering the abandoned request.
    expect(narrowLines.filter((l) => l.level >= 50)).toEqual([]);
    expect(narrowLines.filter((l) => l.requestId === requestId).map((l) => l.msg)).toContain('client went away; rolled back');
    expect(await ownerQuery(`SELECT 1 FROM audit_events WHERE request_id = $1`, [requestId])).toEqual([]);
    // The connection is free and clean: the next request is answered in full.
    const next = await gql(member.auth, `{ viewer { client { displayName } } }`, {}, narrow);
    expect(next.data.viewer.client.displayName).toMatch(/\S/);
  } finally {
    narrowServer.close();
    await narrow.close();
  }
});

it('opens no transaction for a request whose client has gone, but still opens the one that writes a failed mutation\'s denials', async () => {
  const clinic = await createClinic('Client Gone Denials');
  const { dataSource } = await getTestApp();
  const gone = new RequestDb(dataSource);
  gone.clientGone = true;
  await expect(gone.begin({ clinicId: clinic.id })).rejects.toThrow(ClientGoneError);
  expect(gone.active).toBe(false);
  // A request that began, then lost its client: its rolled-back mutation's denials still get their own transaction.
  const began = new RequestDb(dataSource);
  await began.begin({ clinicId: clinic.id });
  began.clientGone = true;
  await began.finish(false);
  await began.begin({ clinicId: clinic.id });
  expect(began.active).toBe(true);
  await began.finish(false);
});
