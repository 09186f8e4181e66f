import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MAIN_KEY } from '../protocol/sessions.js';

/** The page, shipped as is (no build step): from dist/src/socket/ up to the package root. */
export const WEBCHAT_FILE = new URL('../../../web/webchat.html', import.meta.url);

/** A Host header we are willing to echo into a CSP source: a DNS name or IP literal, optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

export interface WebchatPage {
  body: string;
  headers: Record<string, string>;
}

/** What the page fetches from GET /webchat/config before it connects. */
export interface WebchatConfig {
  sessionKey: string;
  /** The ops port when it is on (the page then opens a second socket there); null in single-port mode. */
  opsPort: number | null;
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Every inline <tag>...</tag> body, as the browser hashes it (exact bytes between the tags). */
function inlineBodies(html: string, tag: 'script' | 'style'): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return [...html.matchAll(re)].map((m) => m[1]!);
}

/**
 * The webchat page on the conv port. The HTML is static, so its inline
 * script and style are allowed by hash in a strict Content-Security-Policy
 * (no 'unsafe-inline', no nonce to generate per request). Only
 * `connect-src` varies: the page's own socket and, in dual-port mode, the
 * ops port on the same host the browser used.
 */
export class Webchat {
  readonly #html: string;
  readonly #scriptSrc: string;
  readonly #styleSrc: string;
  readonly #config: WebchatConfig;
  readonly #ws: 'ws' | 'wss';

  constructor(html: string, opsPort: number | null, tls: boolean, defaultAgentId = 'main') {
    this.#html = html;
    this.#scriptSrc = inlineBodies(html, 'script').map(sha256).join(' ') || "'none'";
    this.#styleSrc = inlineBodies(html, 'style').map(sha256).join(' ') || "'none'";
    this.#config = { sessionKey: `agent:${defaultAgentId}:${MAIN_KEY}`, opsPort };
    this.#ws = tls ? 'wss' : 'ws';
  }

  static load(opsPort: number | null, tls: boolean, defaultAgentId: string): Webchat {
    return new Webchat(readFileSync(WEBCHAT_FILE, 'utf8'), opsPort, tls, defaultAgentId);
  }

  config(): WebchatConfig {
    return this.#config;
  }

  /** `host`: the request's Host header, i.e. the address the browser used for this page. */
  page(host: string | undefined): WebchatPage {
    return {
      body: this.#html,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': this.csp(host),
        'x-content-type-options': 'nosniff',
        // The token may arrive as ?token=: never send the URL anywhere.
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      },
    };
  }

  csp(host: string | undefined): string {
    const connect = ["'self'"];
    const m = host === undefined ? null : HOST_HEADER.exec(host);
    if (m) {
      // 'self' covers ws: in CSP3 browsers; the explicit source keeps older ones working.
      connect.push(`${this.#ws}://${host!.toLowerCase()}`);
      if (this.#config.opsPort !== null) connect.push(`${this.#ws}://${m[1]!.toLowerCase()}:${this.#config.opsPort}`);
    }
    return [
      "default-src 'none'",
      `script-src ${this.#scriptSrc}`,
      `style-src ${this.#styleSrc}`,
      `connect-src ${connect.join(' ')}`,
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  }
}
