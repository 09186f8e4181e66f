// The fuzz generator, run in its own process (forked by the fuzz test).
// Several connection loops send seeded random and mutated inputs, one at a
// time, each followed by a ping whose pong marks where the answer to that
// input ends: what arrived before the pong is the input's answer, a close
// is its answer too. Inputs that leave the framing in an unknown state
// (raw garbage, a header that promises bytes never sent) end their
// connection with a FIN instead. It reports outcome counts over IPC.

import { encodeFrame, Op, RawWs, type FrameSpec } from './raw-ws.js';

/** Inputs sent per write (each with its own ping). */
const BATCH = 16;
/** Kinds that always end their connection: a batch ends with one. */
const FATAL = new Set(['invalid-utf8', 'bad-fragments', 'control-too-long', 'control-fragmented', 'close-frame', 'rsv-bits', 'reserved-opcode', 'unmasked']);

export interface FuzzArgs {
  convUrl: string;
  opsUrl: string;
  token: string;
  seed: number;
  /** Inputs to send in total (at least). */
  count: number;
  /** Connection loops running at once. */
  loops: number;
  /** Stop early (and say so) after this long. */
  deadlineMs: number;
}

export interface FuzzReport {
  tried: number;
  connections: number;
  /** Per input: how it was answered. */
  outcomes: Record<string, number>;
  /** Answers that came after their input's pong (requests the runtime handled), by result. */
  late: Record<string, number>;
  /** Per kind of input: how many were sent. */
  kinds: Record<string, number>;
  /** Inputs sent after one that closed their connection: never read, not counted in `tried`. */
  unread: number;
  msInBatches: number;
  timedOut: boolean;
  elapsedMs: number;
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const bytes = (r: Rand, n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
};

const METHODS = ['health', 'status', 'chat.send', 'chat.history', 'chat.abort', 'agent', 'agent.wait', 'sessions.list', 'sessions.subscribe', 'ops.deliver', 'ops.subscribe', 'ops.unsubscribe', 'connect', 'no.such', '', '__proto__', 'constructor'];
const WEIRD: unknown[] = [null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, 1.5, '', 'x', [], {}, [[[]]], { __proto__: { polluted: 1 } }, '\u0000', '\ud800', 'ü'.repeat(50)];

function weird(r: Rand): unknown {
  const k = int(r, 6);
  if (k === 0) return pick(r, WEIRD);
  if (k === 1) return 'w'.repeat(int(r, 5000));
  if (k === 2) return int(r, 2 ** 31) * (r() < 0.5 ? -1 : 1);
  if (k === 3) return Array.from({ length: int(r, 20) }, () => pick(r, WEIRD));
  if (k === 4) return { [pick(r, ['sessionKey', 'message', 'lane', 'afterSeq', 'payload'])]: pick(r, WEIRD) };
  return bytes(r, int(r, 30)).toString('latin1');
}

/** A plausible request, sometimes fully valid, often with wrong types in it. */
function request(r: Rand, id: string): Record<string, unknown> {
  const method = pick(r, METHODS);
  const good: Record<string, Record<string, unknown>> = {
    'chat.send': { sessionKey: `fz-${int(r, 8)}`, message: 'fuzz', idempotencyKey: id },
    'chat.history': { sessionKey: `fz-${int(r, 8)}`, limit: 1 + int(r, 50) },
    'ops.deliver': { lane: pick(r, ['cron', 'system', 'subagent', 'heartbeat']), sessionKey: 'fz', idempotencyKey: id, kind: 'fuzz', payload: { n: int(r, 1000) } },
    // Mostly live only: a replay of the whole log to thousands of fuzz connections is load, not fuzz.
    'ops.subscribe': r() < 0.1 ? { afterSeq: int(r, 100) } : {},
  };
  const params: Record<string, unknown> = { ...(good[method] ?? {}) };
  for (let i = int(r, 3); i > 0; i--) params[pick(r, ['sessionKey', 'message', 'limit', 'afterSeq', 'lane', 'payload', 'idempotencyKey', 'runId', 'x'])] = weird(r);
  const f: Record<string, unknown> = { type: 'req', id, method, params };
  if (r() < 0.15) f.type = weird(r);
  if (r() < 0.1) f.id = weird(r);
  if (r() < 0.1) f.params = weird(r);
  if (r() < 0.05) delete f.method;
  return f;
}

function mutate(r: Rand, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const k = int(r, 4);
  if (k === 0) return out.subarray(0, int(r, out.length + 1)); // truncate
  if (k === 1) {
    for (let i = 1 + int(r, 4); i > 0 && out.length > 0; i--) out[int(r, out.length)] = int(r, 128); // flip to ASCII
    return out;
  }
  if (k === 2) {
    const at = int(r, out.length + 1);
    return Buffer.concat([out.subarray(0, at), Buffer.from(pick(r, ['{', '}', '[', ']', '"', ',', ':', '\\', 'null', '1e999', '\\u0000'])), out.subarray(at)]);
  }
  const at = int(r, out.length + 1);
  return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + int(r, 10)))]); // delete
}

function deep(r: Rand, max: number): string {
  const d = 1 + int(r, max);
  const [o, c] = pick(r, [['[', ']'], ['{"a":', '}']] as const);
  const core = o.repeat(d) + '1' + c.repeat(d);
  // Sometimes where a payload is stored and re-encoded, sometimes as the whole frame.
  return r() < 0.5 ? core : JSON.stringify({ type: 'req', id: 'deep', method: 'ops.deliver', params: { lane: 'cron', sessionKey: 'fz', idempotencyKey: `deep-${int(r, 1e9)}`, kind: 'k' } }).replace(/}}$/, `,"payload":${core}}}`);
}

interface Input {
  kind: string;
  frames: FrameSpec[];
  /** Raw bytes instead of frames. */
  raw?: Buffer;
  /** The framing is left in an unknown state: end the connection after it. */
  terminal?: boolean;
  id?: string;
}

/** One seeded input. `big` caps huge strings below the port's max payload. */
export function makeInput(r: Rand, n: string, big: number): Input {
  const id = `z${n}`;
  const text = (kind: string, payload: string | Buffer): Input => ({ kind, frames: [{ opcode: Op.TEXT, payload }], id });
  const k = int(r, 100);
  if (k < 22) return text('request', JSON.stringify(request(r, id)));
  if (k < 40) return text('mutated-json', mutate(r, Buffer.from(JSON.stringify(request(r, id)))));
  if (k < 46) return text('bad-json', pick(r, ['', '{', '}', 'null', '[]', '"str"', '{"type":"req"', 'undefined', 'NaN', '{"a":1,}', "{'a':1}", '\u0000', 'req']));
  if (k < 50) return text('deep-nesting', deep(r, 10_000));
  if (k < 54) {
    const num = pick(r, ['1e309', '-1e309', '9'.repeat(1 + int(r, 20_000)), '0.' + '0'.repeat(5000) + '1', '123456789012345678901234567890', '-0']);
    return text('huge-number', `{"type":"req","id":${r() < 0.5 ? num : `"${id}"`},"method":"chat.history","params":{"sessionKey":"fz","limit":${num},"afterSeq":${num}}}`);
  }
  if (k < 58) return text('huge-string', JSON.stringify({ type: 'req', id, method: pick(r, ['chat.history', 'health', 'x'.repeat(3000)]), params: { sessionKey: 's'.repeat(int(r, big)), message: 'm'.repeat(int(r, 1000)) } }));
  if (k < 61) return { kind: 'invalid-utf8', frames: [{ opcode: Op.TEXT, payload: Buffer.concat([Buffer.from('{"type":"req","id":"'), bytes(r, 1 + int(r, 8)).map((x) => x | 0x80), Buffer.from('"}')]) }], id };
  if (k < 65) return { kind: 'binary', frames: [{ opcode: Op.BINARY, payload: bytes(r, int(r, 2000)) }], id };
  if (k < 71) {
    // A valid request in 2..6 fragments, sometimes with a ping between them (legal).
    const whole = Buffer.from(JSON.stringify({ type: 'req', id, method: 'health', params: {} }));
    const parts = 2 + int(r, 5);
    const size = Math.ceil(whole.length / parts);
    const frames: FrameSpec[] = [];
    for (let i = 0; i * size < whole.length; i++) {
      frames.push({ opcode: i === 0 ? Op.TEXT : Op.CONT, fin: (i + 1) * size >= whole.length, payload: whole.subarray(i * size, (i + 1) * size) });
      if (r() < 0.3) frames.push({ opcode: Op.PING, payload: 'mid' });
    }
    return { kind: 'fragmented', frames, id };
  }
  if (k < 74) {
    // Fragmentation broken: a stray continuation, or a new message inside an open one.
    return r() < 0.5
      ? { kind: 'bad-fragments', frames: [{ opcode: Op.CONT, payload: '{}' }] }
      : { kind: 'bad-fragments', frames: [{ opcode: Op.TEXT, fin: false, payload: '{"a":' }, { opcode: Op.TEXT, payload: '1}' }] };
  }
  if (k < 79) {
    const c = int(r, 6);
    if (c === 0) return { kind: 'control', frames: [{ opcode: Op.PING, payload: bytes(r, int(r, 126)) }] };
    if (c === 1) return { kind: 'control', frames: [{ opcode: Op.PONG, payload: bytes(r, int(r, 126)) }] };
    if (c === 2) return { kind: 'control-too-long', frames: [{ opcode: Op.PING, payload: bytes(r, 126 + int(r, 500)) }] };
    if (c === 3) return { kind: 'control-fragmented', frames: [{ opcode: Op.PING, fin: false, payload: 'x' }] };
    const code = pick(r, [1000, 1001, 1002, 1005, 1006, 1015, 999, 2999, 3000, 4999, 5000, 65535]);
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    return { kind: 'close-frame', frames: [{ opcode: Op.CLOSE, payload: Buffer.concat([p, r() < 0.3 ? Buffer.from([0xff, 0xfe]) : Buffer.from('bye')]) }] };
  }
  if (k < 84) {
    const c = int(r, 3);
    if (c === 0) return { kind: 'rsv-bits', frames: [{ opcode: Op.TEXT, rsv: 1 + int(r, 7), payload: '{}' }] };
    if (c === 1) return { kind: 'reserved-opcode', frames: [{ opcode: pick(r, [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), payload: 'x' }] };
    return { kind: 'unmasked', frames: [{ opcode: Op.TEXT, mask: false, payload: '{}' }] };
  }
  if (k < 88) return { kind: 'lying-length', frames: [{ opcode: Op.TEXT, declaredLength: 1 + int(r, 4 * big), payload: bytes(r, int(r, 100)) }], terminal: true };
  if (k < 92) return { kind: 'raw-garbage', frames: [], raw: bytes(r, 1 + int(r, 3000)), terminal: true };
  if (k < 96) return text('wrong-types', JSON.stringify(pick(r, [[1, 2, 3], 'str', 42, null, { type: ['req'], id: {}, method: [] }, { type: 'req', id: 1, method: 'health' }, { type: 'res', id, ok: true }, { type: 'event', event: 'tick' }])));
  return text('mutated-connect', mutate(r, Buffer.from(JSON.stringify({ type: 'req', id, method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'f', version: '1', platform: 'p', mode: 'm' } } }))));
}

function classify(frames: { opcode: number; payload: Buffer }[], id: string | undefined): string | null {
  for (const f of frames) {
    if (f.opcode !== Op.TEXT) continue;
    let m: { type?: string; id?: string; ok?: boolean; error?: { code?: string; details?: { code?: string } } };
    try {
      m = JSON.parse(f.payload.toString());
    } catch {
      return 'unparseable answer';
    }
    if (m.type !== 'res') continue;
    if (m.id !== id && m.id !== 'invalid' && m.id !== 'deep') continue;
    return m.ok ? 'answered ok' : `refused ${m.error?.code}${m.error?.details?.code ? `/${m.error.details.code}` : ''}`;
  }
  return null;
}

const add = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

async function handshake(c: RawWs, token: string): Promise<boolean> {
  await c.next((f) => f.opcode === Op.TEXT); // connect.challenge
  c.text(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: { minProtocol: 4, maxProtocol: 4, client: { id: 'fuzz', version: '1', platform: 'fuzz', mode: 'fuzz' }, auth: { token } } }));
  const hello = await c.next((f) => f.opcode === Op.TEXT && f.payload.includes('"id":"c"'));
  return hello !== null && hello.payload.includes('"ok":true');
}

export async function fuzz(a: FuzzArgs): Promise<FuzzReport> {
  const report: FuzzReport = { tried: 0, connections: 0, outcomes: {}, late: {}, kinds: {}, unread: 0, msInBatches: 0, timedOut: false, elapsedMs: 0 };
  const t0 = performance.now();
  const deadline = t0 + a.deadlineMs;
  const perLoop = Math.ceil(a.count / a.loops);
  const BIG = 200_000;

  const loop = async (li: number): Promise<void> => {
    const r = prng(a.seed * 1000 + li);
    let sent = 0;
    let conn = 0;
    while (sent < perLoop) {
      if (performance.now() > deadline) {
        report.timedOut = true;
        return;
      }
      const url = r() < 0.5 ? a.convUrl : a.opsUrl;
      // Spread over loopback source addresses, as clients on many hosts would be.
      const localAddress = `127.1.${int(r, 250) + 1}.${int(r, 250) + 1}`;
      const opened = await RawWs.open(url, { localAddress });
      report.connections++;
      if (!(opened instanceof RawWs)) {
        add(report.outcomes, `upgrade refused HTTP ${opened.status}`);
        continue;
      }
      const c = opened;
      const preauth = r() < 0.2;
      if (!preauth && !(await handshake(c, a.token))) {
        add(report.outcomes, 'handshake failed');
        c.destroy();
        continue;
      }
      const perConn = 1 + int(r, 300);
      let i = 0;
      while (i < perConn && sent < perLoop && c.open) {
        // A batch of inputs, each followed by its own ping, in one write: the pongs come back in
        // order and split the answers between the inputs. An input that ends the connection
        // (or may) is the batch's last.
        const batch: Input[] = [];
        while (batch.length < BATCH && i < perConn && sent + batch.length < perLoop) {
          const input = makeInput(r, `${li}-${conn}-${i++}`, BIG);
          batch.push(input);
          if (input.terminal || FATAL.has(input.kind)) break;
        }
        const t0 = performance.now();
        const marks = batch.map((_, k) => Buffer.from(`mark-${li}-${conn}-${i}-${k}`));
        const out: Buffer[] = [];
        batch.forEach((input, k) => {
          if (input.raw) out.push(input.raw);
          out.push(...input.frames.map(encodeFrame));
          if (!input.terminal) out.push(encodeFrame({ opcode: Op.PING, payload: marks[k] }));
        });
        c.raw(Buffer.concat(out));
        const last = batch.at(-1)!;
        // The server may be waiting for bytes that never come: hang up after a terminal input.
        if (last.terminal) c.socket.end();
        for (let k = 0; k < batch.length; k++) {
          const input = batch[k]!;
          const got = input.terminal
            ? { before: (await c.ended, c.frames.splice(0)), hit: null }
            : await c.takeUntil((f) => f.opcode === Op.PONG && f.payload.equals(marks[k]!));
          sent++;
          report.tried++;
          add(report.kinds, input.kind);
          const answer = classify(got.before, input.id);
          // Answers to earlier inputs (the runtime answers admitted requests asynchronously).
          for (const f of got.before) {
            if (f.opcode !== Op.TEXT) continue;
            const m = /^\{"type":"res","id":"(z[^"]*)","ok":(true|false)(?:,"error":\{"code":"(\w+)")?/.exec(f.payload.toString('utf8', 0, 200));
            if (m && m[1] !== input.id) add(report.late, m[2] === 'true' ? 'ok' : `error ${m[3]}`);
          }
          if (got.hit !== null) add(report.outcomes, answer ?? 'no immediate answer (admitted, or nothing to answer)');
          else if (input.terminal && c.closeCode === null) add(report.outcomes, answer ?? 'no answer; connection ended by client');
          else add(report.outcomes, `${answer ? `${answer}, then ` : ''}closed ${c.closeCode ?? '(no close frame)'}`);
          if (got.hit === null) {
            // The connection is gone: later inputs of the batch were never read, so they do not count.
            report.unread += batch.length - k - 1;
            break;
          }
        }
        report.msInBatches += performance.now() - t0;
      }
      conn++;
      if (c.open) {
        c.send({ opcode: Op.CLOSE, payload: Buffer.from([0x03, 0xe8]) });
        await c.closed();
      } else c.destroy();
      await c.ended;
    }
  };
  await Promise.all(Array.from({ length: a.loops }, (_, i) => loop(i)));
  report.elapsedMs = Math.round(performance.now() - t0);
  report.msInBatches = Math.round(report.msInBatches);
  return report;
}

// Forked: read args from argv, report over IPC.
if (process.send && process.argv[2]) {
  fuzz(JSON.parse(process.argv[2]) as FuzzArgs).then(
    (report) => process.send!({ report }, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.stack ?? e.message }, () => process.exit(1)),
  );
}
