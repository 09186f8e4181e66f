import { createHash, timingSafeEqual } from 'node:crypto';
import { looksLikeJwt, type JwtVerifier } from './jwt.js';
import { ALL_SCOPES, type ScopeName } from './methods.js';
import { WireDetail } from './wire-codes.js';

export interface AuthSettings {
  token: string | null;
  password: string | null;
  /** JWT verification when configured: `auth.token` may carry a JWT. */
  jwt?: JwtVerifier | null;
}

export type AuthResult =
  | { ok: true; scopes: ScopeName[]; /** JWT expiry (ms since the epoch); absent for shared secrets. */ expiresAt?: number }
  | { ok: false; detailsCode: typeof WireDetail.AUTH_REQUIRED | typeof WireDetail.AUTH_TOKEN_MISMATCH | typeof WireDetail.AUTH_PASSWORD_MISMATCH; authReason: string; message: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time comparison: both sides are hashed to 32 bytes first, so
 * neither the content nor the length of the secret leaks through timing.
 */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

const TOKEN_MISMATCH: AuthResult = {
  ok: false,
  detailsCode: WireDetail.AUTH_TOKEN_MISMATCH,
  authReason: 'token_mismatch',
  message: 'unauthorized: gateway token mismatch (provide gateway auth token)',
};

/**
 * Checks `connect.params.auth` against the shared secret(s) and, when
 * configured, JWT verification (`auth.token` carries the JWT). The shared
 * secret grants every scope; a JWT grants the scopes in its claim; with no
 * auth configured (loopback only: the config refuses otherwise) every
 * client gets every scope. A client may ask for fewer with
 * `connect.params.scopes`. JWT verification is asynchronous, so the answer
 * is a promise exactly when a JWT is being checked.
 */
export function authenticate(settings: AuthSettings, auth: unknown, requested: unknown): AuthResult | Promise<AuthResult> {
  const a = (typeof auth === 'object' && auth !== null ? auth : {}) as Record<string, unknown>;
  const token = typeof a.token === 'string' && a.token !== '' ? a.token : null;
  const password = typeof a.password === 'string' && a.password !== '' ? a.password : null;
  const jwt = settings.jwt ?? null;
  if (settings.token !== null || settings.password !== null || jwt !== null) {
    if (token === null && password === null) {
      return { ok: false, detailsCode: WireDetail.AUTH_REQUIRED, authReason: 'token_missing', message: 'unauthorized: gateway token missing (provide gateway auth token)' };
    }
    if (token !== null) {
      if (settings.token !== null && secretEquals(token, settings.token)) return { ok: true, scopes: narrow(ALL_SCOPES, requested) };
      if (jwt === null || !looksLikeJwt(token)) return TOKEN_MISMATCH;
      return jwt.verify(token).then((v) =>
        v.ok
          ? { ok: true, scopes: narrow(v.scopes, requested), expiresAt: v.expiresAt }
          : { ok: false, detailsCode: WireDetail.AUTH_TOKEN_MISMATCH, authReason: v.authReason, message: v.message },
      );
    } else if (settings.password === null || !secretEquals(password!, settings.password)) {
      return { ok: false, detailsCode: WireDetail.AUTH_PASSWORD_MISMATCH, authReason: 'password_mismatch', message: 'unauthorized: gateway password mismatch (provide gateway auth password)' };
    }
  }
  return { ok: true, scopes: narrow(ALL_SCOPES, requested) };
}

/**
 * Granted scopes, narrowed to the requested ones when the client asked.
 * OpenClaw's operator.admin satisfies every operator scope; lanegate has no
 * admin methods, so a request for admin is granted read and write (the TUI
 * asks for admin, read, write and approvals).
 */
export function narrow(granted: readonly ScopeName[], requested: unknown): ScopeName[] {
  if (!Array.isArray(requested) || requested.length === 0) return [...granted];
  const admin = requested.includes('operator.admin');
  return granted.filter((s) => requested.includes(s) || (admin && s.startsWith('operator.')));
}
