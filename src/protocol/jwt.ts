import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config.js';
import { ALL_SCOPES, type ScopeName } from './methods.js';

export type JwtOutcome =
  | { ok: true; scopes: ScopeName[]; /** Expiry, ms since the epoch. */ expiresAt: number }
  | { ok: false; authReason: JwtFailure; message: string };

/** Why a JWT was refused (sent to the client as details.authReason: no secret in it). */
export type JwtFailure = 'jwt_expired' | 'jwt_not_yet_valid' | 'jwt_claim_invalid' | 'jwt_invalid';

/** A string shaped like a compact JWS (three base64url parts): worth verifying as a JWT. */
export function looksLikeJwt(s: string): boolean {
  return s.length <= 16_384 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s);
}

/**
 * The scopes a JWT grants: the `scope` claim (space-separated, as in OAuth
 * 2.0 / RFC 8693) or, when it is absent, the `scopes` claim (an array of
 * strings). Names lanegate does not know are ignored.
 */
export function jwtScopes(payload: JWTPayload): ScopeName[] {
  const claim = payload.scope ?? payload.scopes;
  const names = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim.filter((x): x is string => typeof x === 'string') : [];
  return ALL_SCOPES.filter((s) => names.includes(s));
}

/**
 * Verifies JWTs against one key source: an HS256 secret, an RSA/EC public
 * key (RS256/ES256, chosen by the key type), or a local JWKS (RS256/ES256).
 * The accepted algorithms are fixed by the key source, so a token cannot
 * pick a weaker one (no `none`, no HS256 signed with a public key). `exp`
 * is required; `iss` and `aud` are checked when configured.
 */
export class JwtVerifier {
  readonly #key: Uint8Array | KeyObject | JWTVerifyGetKey;
  readonly #algorithms: string[];
  readonly #issuer: string | undefined;
  readonly #audience: string[] | undefined;

  constructor(c: JwtConfig) {
    if (c.secret !== null) {
      this.#key = new TextEncoder().encode(c.secret);
      this.#algorithms = ['HS256'];
    } else if (c.publicKeyPem !== null) {
      const key = createPublicKey(c.publicKeyPem);
      this.#key = key;
      this.#algorithms = [key.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256'];
    } else {
      this.#key = createLocalJWKSet(c.jwks as Parameters<typeof createLocalJWKSet>[0]);
      this.#algorithms = ['RS256', 'ES256'];
    }
    this.#issuer = c.issuer ?? undefined;
    this.#audience = c.audience ?? undefined;
  }

  async verify(token: string): Promise<JwtOutcome> {
    try {
      const opts = { algorithms: this.#algorithms, issuer: this.#issuer, audience: this.#audience, requiredClaims: ['exp'] };
      // One call per key form: jose types the key and the getter overloads separately.
      const { payload } =
        typeof this.#key === 'function' ? await jwtVerify(token, this.#key, opts) : await jwtVerify(token, this.#key as Uint8Array, opts);
      return { ok: true, scopes: jwtScopes(payload), expiresAt: (payload.exp as number) * 1000 };
    } catch (e) {
      // jose's messages name the failed check, never the token or the key.
      if (e instanceof errors.JWTExpired) return { ok: false, authReason: 'jwt_expired', message: 'unauthorized: token expired' };
      if (e instanceof errors.JWTClaimValidationFailed) {
        const claim = (e as errors.JWTClaimValidationFailed).claim;
        if (claim === 'nbf') return { ok: false, authReason: 'jwt_not_yet_valid', message: 'unauthorized: token not yet valid' };
        return { ok: false, authReason: 'jwt_claim_invalid', message: `unauthorized: token claim "${claim}" rejected` };
      }
      return { ok: false, authReason: 'jwt_invalid', message: 'unauthorized: token signature or format invalid' };
    }
  }
}
