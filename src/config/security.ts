import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { bad, isSet, list, object, text, type Origins } from './check.js';

// Checks of the security settings (JWT keys, browser origins, TLS). They
// get PEM and JSON text; from the environment that text was read from the
// files the variables name, and errors show the path, never the content.

export interface JwtConfig {
  /** HS256 shared secret. */
  secret: string | null;
  /** SPKI PEM of an RSA (RS256) or EC P-256 (ES256) public key. */
  publicKeyPem: string | null;
  /** A JSON Web Key Set (RS256/ES256 keys). */
  jwks: { keys: Record<string, unknown>[] } | null;
  issuer: string | null;
  audience: string[] | null;
}

/** Shortest HS256 secret accepted: 256 bits, as RFC 7518 section 3.2 requires. */
export const JWT_SECRET_MIN_BYTES = 32;

function publicKeyPem(v: unknown, at: Origins): string | null {
  const o = at('jwt.publicKeyPem');
  const what = 'a PEM RSA public key (RS256) or EC P-256 public key (ES256)';
  if (!isSet(v)) return null;
  let key: KeyObject;
  try {
    key = createPublicKey(v as string);
  } catch {
    return bad(o, v, `the path of a file holding ${what}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'rsa' && !(key.asymmetricKeyType === 'ec' && curve === 'prime256v1')) {
    bad(o, v, `${what}; this file holds a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key`);
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function jwks(v: unknown, at: Origins): JwtConfig['jwks'] {
  if (!isSet(v)) return null;
  const o = at('jwt.jwks');
  const what = 'a JSON Web Key Set {"keys":[...]} of RSA or EC P-256 public keys';
  let set: unknown = v;
  if (typeof v === 'string') {
    try {
      set = JSON.parse(v);
    } catch {
      bad(o, v, what);
    }
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  const ok =
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((k) => typeof k === 'object' && k !== null && ((k as { kty?: unknown }).kty === 'RSA' || ((k as { kty?: unknown }).kty === 'EC' && (k as { crv?: unknown }).crv === 'P-256')));
  // A private member ("d") in the set means a secret was put where public keys belong.
  if (!ok || keys.some((k) => 'd' in (k as object))) bad(o, v, what);
  return { keys: keys as Record<string, unknown>[] };
}

export function jwt(v: unknown, at: Origins): JwtConfig | null {
  const o = object(v, at('jwt'));
  const secret = text(o.secret, at('jwt.secret'));
  // Never echo a secret, not even a bad one: the error shows a placeholder.
  if (secret !== null && Buffer.byteLength(secret) < JWT_SECRET_MIN_BYTES) {
    bad({ ...at('jwt.secret'), shown: '[redacted]' }, null, `at least ${JWT_SECRET_MIN_BYTES} bytes (HS256 needs a 256-bit secret)`);
  }
  const cfg: JwtConfig = {
    secret,
    publicKeyPem: publicKeyPem(o.publicKeyPem, at),
    jwks: jwks(o.jwks, at),
    issuer: text(o.issuer, at('jwt.issuer')),
    audience: list(o.audience, at('jwt.audience')),
  };
  const sources = [cfg.secret, cfg.publicKeyPem, cfg.jwks].filter((x) => x !== null).length;
  const names = `${at('jwt.secret').name}, ${at('jwt.publicKeyPem').name} and ${at('jwt.jwks').name}`;
  if (sources > 1) {
    const second = cfg.jwks !== null ? 'jwt.jwks' : 'jwt.publicKeyPem';
    bad(at(second), o[second.slice(4)], `only one of ${names} may be set`);
  }
  if (sources === 0) {
    for (const p of ['jwt.issuer', 'jwt.audience']) {
      if (isSet(o[p.slice(4)])) bad(at(p), o[p.slice(4)], `set only with ${names.replace(' and ', ' or ')}`);
    }
    return null;
  }
  return cfg;
}

export function origins(v: unknown, at: Origins): string[] {
  const o = at('allowedOrigins');
  const allowed = 'a comma list of origins such as https://chat.example.com,http://localhost:5173 (scheme, host and optional port; no path), or *';
  return (list(v, o) ?? []).map((item) => {
    if (item === '*') return item;
    let u: URL;
    try {
      u = new URL(item);
    } catch {
      return bad(o, item, allowed);
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) {
      bad(o, item, allowed);
    }
    return u.origin;
  });
}

export function tls(v: unknown, at: Origins): { cert: string; key: string } | null {
  const o = object(v, at('tls'));
  const cert = text(o.cert, at('tls.cert'));
  const key = text(o.key, at('tls.key'));
  if (cert === null && key === null) return null;
  if (cert === null) bad({ name: at('tls.cert').name }, '', `required when ${at('tls.key').name} is set`);
  if (key === null) bad({ name: at('tls.key').name }, '', `required when ${at('tls.cert').name} is set`);
  try {
    new X509Certificate(cert);
  } catch {
    bad(at('tls.cert'), '[pem]', 'the path of a PEM certificate (chain)');
  }
  try {
    // Fails on an unreadable key, or a key that does not match the certificate.
    createSecureContext({ cert, key });
  } catch {
    bad(at('tls.key'), '[pem]', `the path of a PEM private key (unencrypted) matching the certificate in ${at('tls.cert').name}`);
  }
  return { cert, key };
}
