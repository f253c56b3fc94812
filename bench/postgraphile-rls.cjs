// PostGraphile as a team would ship it for clinic data: the bearer JWT verified in the context
// (HS256, issuer, audience, expiry; remembered per token, as our server does), and each request's
// transaction run as the RLS-bound `kinship_app` role with the token's clinic as the tenant. The
// tenant policies then isolate clinics exactly as they do for our server. Still no per-member
// rules and no audit. Loaded by bench/run.ts as a preset beside Amber.
const crypto = require('node:crypto');

const secret = process.env.BENCH_JWT_SECRET;
const issuer = process.env.BENCH_JWT_ISSUER;
const audience = process.env.BENCH_JWT_AUDIENCE;
if (!secret || !issuer || !audience) throw new Error('BENCH_JWT_SECRET, BENCH_JWT_ISSUER and BENCH_JWT_AUDIENCE are required');

const verified = new Map();

function claimsOf(authorization) {
  const token = typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (!token) return undefined;
  const known = verified.get(token);
  if (known && known.exp * 1000 > Date.now()) return known;
  const [header, payload, signature] = token.split('.');
  if (!signature) return undefined;
  const expected = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
  if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'HS256') return undefined;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== issuer || !audiences.includes(audience) || !(claims.exp * 1000 > Date.now())) return undefined;
  if (!/^[0-9a-f-]{36}$/i.test(claims.clinic_id ?? '')) return undefined;
  if (verified.size >= 10000) verified.delete(verified.keys().next().value);
  verified.set(token, claims);
  return claims;
}

module.exports = {
  grafast: {
    context(requestContext) {
      const claims = claimsOf(requestContext.node?.req?.headers?.authorization);
      // No valid token: still the RLS-bound role, with no tenant, so every policy denies.
      return { pgSettings: claims ? { role: 'kinship_app', 'app.clinic_id': claims.clinic_id } : { role: 'kinship_app' } };
    },
  },
};
