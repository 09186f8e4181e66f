import { createHash, timingSafeEqual } from 'node:crypto';
import { ALL_SCOPES, type ScopeName } from './methods.js';

export interface AuthSettings {
  token: string | null;
  password: string | null;
}

export type AuthResult =
  | { ok: true; scopes: ScopeName[] }
  | { ok: false; detailsCode: 'AUTH_REQUIRED' | 'AUTH_TOKEN_MISMATCH' | 'AUTH_PASSWORD_MISMATCH'; authReason: string; message: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time comparison: both sides are hashed to 32 bytes first, so
 * neither the content nor the length of the secret leaks through timing.
 */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Checks `connect.params.auth` against the shared secret(s). The shared
 * secret grants every scope; with no secret configured (loopback only: the
 * config refuses otherwise) every client gets every scope. A client may ask
 * for fewer with `connect.params.scopes`.
 */
export function authenticate(settings: AuthSettings, auth: unknown, requested: unknown): AuthResult {
  const a = (typeof auth === 'object' && auth !== null ? auth : {}) as Record<string, unknown>;
  const token = typeof a.token === 'string' && a.token !== '' ? a.token : null;
  const password = typeof a.password === 'string' && a.password !== '' ? a.password : null;
  if (settings.token !== null || settings.password !== null) {
    if (token === null && password === null) {
      return { ok: false, detailsCode: 'AUTH_REQUIRED', authReason: 'token_missing', message: 'unauthorized: gateway token missing (provide gateway auth token)' };
    }
    if (token !== null) {
      if (settings.token === null || !secretEquals(token, settings.token)) {
        return { ok: false, detailsCode: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch', message: 'unauthorized: gateway token mismatch (provide gateway auth token)' };
      }
    } else if (settings.password === null || !secretEquals(password!, settings.password)) {
      return { ok: false, detailsCode: 'AUTH_PASSWORD_MISMATCH', authReason: 'password_mismatch', message: 'unauthorized: gateway password mismatch (provide gateway auth password)' };
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
