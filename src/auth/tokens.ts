import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { UUID_RE } from '../common/global-id';
import type { TokenRole } from './viewer';

const ROLES: readonly TokenRole[] = ['ADMIN', 'SUPERVISOR', 'CLINICIAN', 'MEMBER'];

export interface TokenClaims {
  sub: string;
  clinicId: string;
  role: TokenRole;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  secret?: string;
  jwksUrl?: string;
}

export interface TokenVerifier {
  verify(token: string): Promise<TokenClaims | undefined>;
}

/**
 * Verifies bearer JWTs with the algorithm pinned (HS256 with a local secret, RS256/ES256
 * from a JWKS in production); `exp`, issuer and audience are required. Any failure is
 * simply "no viewer": the caller answers UNAUTHENTICATED without saying why.
 */
export function createTokenVerifier(settings: TokenSettings): TokenVerifier {
  const secretBytes = settings.secret ? new TextEncoder().encode(settings.secret) : undefined;
  // Imported once: handing jose raw bytes re-imports the HMAC key on every request.
  const secret = secretBytes ? crypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) : undefined;
  const jwks = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : undefined;
  if (!secret && !jwks) throw new Error('JWT verification needs JWT_SECRET or JWKS_URL');
  const common = { issuer: settings.issuer, audience: settings.audience, requiredClaims: ['exp', 'sub'] };
  const verified = new VerifiedTokens();
  return {
    async verify(token) {
      const cached = verified.get(token);
      if (cached) return cached;
      try {
        const { payload } = jwks
          ? await jwtVerify(token, jwks, { ...common, algorithms: ['RS256', 'ES256'] })
          : await jwtVerify(token, await secret!, { ...common, algorithms: ['HS256'] });
        const claims = claimsOf(payload);
        if (claims) verified.set(token, claims, payload.exp! * 1000);
        return claims;
      } catch (error) {
        if (error instanceof errors.JOSEError || error instanceof TypeError) return undefined;
        throw error;
      }
    },
  };
}

/**
 * Tokens whose signature, issuer and audience already checked out: an app sends the same token
 * with every request, and verifying it again was most of a small request's CPU. Remembered by
 * SHA-256 (bounded memory whatever the token's size), at most 10,000, each until its `exp` or for
 * five minutes, whichever is sooner — so a key withdrawn from the JWKS stops its tokens soon.
 */
class VerifiedTokens {
  private static readonly MAX = 10_000;
  private static readonly TTL_MS = 5 * 60 * 1000;
  private readonly entries = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  get(token: string): TokenClaims | undefined {
    const key = digest(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.claims;
    this.entries.delete(key);
    return undefined;
  }

  set(token: string, claims: TokenClaims, expiresAt: number): void {
    if (this.entries.size >= VerifiedTokens.MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(digest(token), { claims, expiresAt: Math.min(expiresAt, Date.now() + VerifiedTokens.TTL_MS) });
  }
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64');

function claimsOf(payload: JWTPayload): TokenClaims | undefined {
  const { sub, clinic_id: clinicId, role } = payload as JWTPayload & { clinic_id?: unknown; role?: unknown };
  if (typeof sub !== 'string' || !UUID_RE.test(sub)) return undefined;
  if (typeof clinicId !== 'string' || !UUID_RE.test(clinicId)) return undefined;
  if (typeof role !== 'string' || !ROLES.includes(role as TokenRole)) return undefined;
  return { sub: sub.toLowerCase(), clinicId: clinicId.toLowerCase(), role: role as TokenRole };
}

/** Signs a development token (the demo seed and tests use this; production tokens come from the IdP). */
export async function signDevToken(
  settings: TokenSettings,
  claims: TokenClaims,
  expiresIn: string | number = '12h',
): Promise<string> {
  if (!settings.secret) throw new Error('signing needs JWT_SECRET');
  return new SignJWT({ clinic_id: claims.clinicId, role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(settings.secret));
}

