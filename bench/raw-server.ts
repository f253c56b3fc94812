import http from 'node:http';
import { Pool } from 'pg';

/**
 * The raw-SQL limit for the roster: one hand-written json_agg statement over pg behind node:http,
 * no GraphQL, no authorization, no audit. Nothing can be faster on this stack; it is the ceiling.
 * It connects as a superuser (no RLS), so it names clinic_id itself to use the (clinic_id, …) indexes.
 */
const ROSTER_SQL = `
SELECT json_build_object('name', g.name, 'members', COALESCE((
  SELECT json_agg(json_build_object(
           'status', m.status,
           'client', json_build_object('givenName', c.given_name, 'familyName', c.family_name, 'preferredName', c.preferred_name),
           'goals', COALESCE((
             SELECT json_agg(json_build_object('title', go.title, 'checkIns', COALESCE((
                      SELECT json_agg(json_build_object('value', ci.value, 'recordedAt', ci.recorded_at) ORDER BY ci.recorded_at DESC)
                        FROM (SELECT value, recorded_at FROM goal_check_ins WHERE clinic_id = go.clinic_id AND goal_id = go.id
                               ORDER BY recorded_at DESC LIMIT 3) ci), '[]'::json))
                    ORDER BY go.created_at)
               FROM goals go WHERE go.clinic_id = m.clinic_id AND go.membership_id = m.id), '[]'::json)) ORDER BY m.created_at, m.id)
    FROM (SELECT * FROM memberships WHERE clinic_id = g.clinic_id AND group_id = g.id ORDER BY created_at, id LIMIT 10) m
    JOIN clients c ON c.clinic_id = m.clinic_id AND c.id = m.client_id), '[]'::json)) AS group
FROM therapy_groups g WHERE g.id = $1`;

const pool = new Pool({ connectionString: process.env.RAW_DATABASE_URL, max: Number(process.env.RAW_POOL_MAX ?? 10) });
const port = Number(process.env.RAW_PORT ?? 5679);

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let id: string;
      try {
        id = JSON.parse(Buffer.concat(chunks).toString('utf8')).variables.id;
      } catch {
        res.writeHead(400).end();
        return;
      }
      pool.query(ROSTER_SQL, [id]).then(
        (r) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"data":{"group":${JSON.stringify(r.rows[0]?.group ?? null)}}}`);
        },
        () => res.writeHead(500).end(),
      );
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`raw roster server on ${port}`));
