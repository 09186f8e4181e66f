// Finds the text of one member inside JSON text that JSON.parse has already
// accepted, without building anything: `ops.deliver` stores its payload as
// JSON text, and slicing it out of the frame as received costs a quarter of
// what JSON.stringify of the parsed payload did (64 KiB sub-agent result:
// ~55 against ~230 µs on the development VM), in the socket worker that
// reads every delivery. The slice is the client's own text, so the payload
// is stored and forwarded byte for byte as it arrived.

/**
 * Deepest nesting a frame may carry (JSON and MessagePack alike): deeper
 * values are refused at the edge, since every encoder after it recurses.
 */
export const MAX_NESTING = 1000;
/** skipValue's answer for a value nested deeper than MAX_NESTING. */
const TOO_DEEP = -2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index just past the string that starts at `i` (a quote). */
function skipString(s: string, i: number): number {
  for (;;) {
    const q = s.indexOf('"', i + 1);
    if (q < 0) return -1;
    let b = q - 1;
    while (s.charCodeAt(b) === BACKSLASH) b--;
    // An even run of backslashes before the quote escapes only themselves.
    if ((q - 1 - b) % 2 === 0) return q + 1;
    i = q;
  }
}

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Index just past the value that starts at `i`. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < s.length) {
      const ch = s.charCodeAt(i);
      if (ch === QUOTE) {
        i = skipString(s, i);
        if (i < 0) return -1;
        continue;
      }
      if (ch === 0x7b || ch === 0x5b) {
        if (++depth > MAX_NESTING) return TOO_DEEP;
      } else if ((ch === 0x7d || ch === 0x5d) && --depth === 0) return i + 1;
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < s.length) {
    const ch = s.charCodeAt(i);
    if (ch === 0x2c || ch === 0x7d || ch === 0x5d || ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) return i;
    i++;
  }
  return i;
}

/**
 * The [start, end) of member `key` of the object whose text starts at
 * `from` (its `{`), or null. The last one wins when a key repeats, as in
 * JSON.parse; keys with escapes are compared decoded.
 */
function member(s: string, from: number, key: string): [number, number] | 'too deep' | null {
  let i = skipWs(s, from);
  if (s.charCodeAt(i) !== 0x7b) return null;
  i = skipWs(s, i + 1);
  let found: [number, number] | null = null;
  while (s.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(s, i);
    if (keyEnd < 0) return null;
    const raw = s.slice(i + 1, keyEnd - 1);
    const name = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
    i = skipWs(s, keyEnd);
    if (s.charCodeAt(i) !== 0x3a) return null;
    const start = skipWs(s, i + 1);
    const end = skipValue(s, start);
    if (end === TOO_DEEP && name === key) return 'too deep';
    if (end < 0) return null;
    if (name === key) found = [start, end];
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 0x2c) break;
    i = skipWs(s, i + 1);
  }
  return found;
}

/**
 * The JSON text of `frame.params.payload` in `text`, which must be JSON that
 * JSON.parse accepted; `too deep` when it (or params) nests deeper than
 * MAX_NESTING; null when there is none (the caller then writes it from the
 * parsed value).
 */
export function paramsPayloadText(text: string): string | 'too deep' | null {
  const params = member(text, 0, 'params');
  if (params === null) return null;
  // params itself too deep means its payload is, or another member is: both are refused.
  if (params === 'too deep') return params;
  const payload = member(text, params[0], 'payload');
  if (payload === null || payload === 'too deep') return payload;
  return text.slice(payload[0], payload[1]);
}
