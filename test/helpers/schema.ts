// Checks frames the gateway sends against OpenClaw's own machine-readable
// protocol: protocol.schema.json from @openclaw/gateway-protocol (pinned in
// package.json). Every TestClient runs every received frame through
// `checkServerFrame`, so each integration test is also a conformance test.
//
// Cost: the schema is 3.5 MB with ~880 definitions and no cross-references
// between them (only the root oneOf uses $ref). So it is parsed once per
// process and only the few definitions lanegate's frames use are compiled,
// each on first use.
//
// Known drift, handled on purpose:
// - `agent` event payloads: OpenClaw 2026.9.6 servers add `sessionKey` (the
//   TUI needs it to adopt runs), but the 2026.9.1 AgentEvent definition is
//   closed. lanegate sends it too, so AgentEvent is checked with exactly that
//   one extra property allowed; anything else extra still fails.
// - hello-ok `snapshot.opsEpoch`: lanegate's one addition to the closed
//   Snapshot definition (the ops log's epoch, README "Operations
//   protocol"), checked as a non-empty string; anything else extra fails.
// - Frames the schema does not describe get small local schemas, named as
//   such: `connect.challenge` (the reference client requires a non-empty
//   nonce and an integer ts) and lanegate's own `ops` events.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;

/** Path of protocol.schema.json inside the installed @openclaw/gateway-protocol. */
export const SCHEMA_PATH = fileURLToPath(new URL('../protocol.schema.json', import.meta.resolve('@openclaw/gateway-protocol')));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let root: { definitions: Record<string, Json> } | null = null;
let ajv: Ajv | null = null;
const compiled = new Map<string, ValidateFunction>();
const registered = new Set<string>();

function definitions(): Record<string, Json> {
  root ??= JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { definitions: Record<string, Json> };
  return root.definitions;
}

function validator(): Ajv {
  // strict:false: the schema carries OpenClaw's own annotations (`since`, `x-openclaw-since`).
  // optimize:false and no meta-schema check roughly halve compile time; inlineRefs:false
  // compiles a definition used by several results (SessionRow) once, not once per use.
  ajv ??= new Ajv({ strict: false, validateSchema: false, inlineRefs: false, code: { optimize: false, lines: false, source: false } }).addFormat('uuid', UUID);
  return ajv;
}

/** A definition by name; throws if this schema version lacks it (a renamed type must fail loudly). */
function def(name: string): Json {
  const d = definitions()[name];
  if (!d) throw new Error(`protocol.schema.json has no definition ${name}`);
  return d;
}

/** A $ref to a definition, registered with ajv once so every schema using it shares one compiled function. */
function ref(name: string): Json {
  if (!registered.has(name)) {
    validator().addSchema(def(name), name);
    registered.add(name);
  }
  return { $ref: name };
}

function compile(key: string, build: () => Json): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = validator().compile(build());
    compiled.set(key, v);
  }
  return v;
}

/** The three frame kinds, through the schema's own root oneOf. */
const frameSchema = (): Json => ({
  definitions: { RequestFrame: def('RequestFrame'), ResponseFrame: def('ResponseFrame'), EventFrame: def('EventFrame') },
  oneOf: [{ $ref: '#/definitions/RequestFrame' }, { $ref: '#/definitions/ResponseFrame' }, { $ref: '#/definitions/EventFrame' }],
});

/** AgentEvent plus the one field real servers add (see the header). */
function agentEventSchema(): Json {
  const d = def('AgentEvent') as { properties: Json };
  return { ...d, properties: { ...d.properties, sessionKey: { type: 'string', minLength: 1 } } };
}

/** HelloOk whose snapshot may carry lanegate's opsEpoch (see the header). */
function helloOkSchema(): Json {
  const d = def('HelloOk') as { properties: Json & { snapshot: Json } };
  const snap = def('Snapshot') as { properties: Json };
  const snapshot = { ...snap, properties: { ...snap.properties, opsEpoch: { type: 'string', minLength: 1 } } };
  return { ...d, properties: { ...d.properties, snapshot } };
}

const challengeSchema = (): Json => ({
  type: 'object',
  required: ['nonce', 'ts'],
  properties: { nonce: { type: 'string', minLength: 1 }, ts: { type: 'integer', minimum: 0 }, capabilities: { type: 'array', items: { type: 'string' } } },
  additionalProperties: false,
});

/** lanegate's own ops event (docs/protocol.md "Operations protocol"); not part of OpenClaw. */
const opsEventSchema = (): Json => ({
  type: 'object',
  required: ['seq', 'lane', 'sessionKey', 'kind', 'ts', 'payload'],
  properties: {
    seq: { type: 'integer', minimum: 1 },
    lane: { enum: ['subagent', 'cron', 'heartbeat', 'system'] },
    sessionKey: { type: 'string', minLength: 1 },
    kind: { type: 'string', minLength: 1 },
    idempotencyKey: { type: 'string', minLength: 1 },
    ts: { type: 'integer', minimum: 0 },
    payload: {},
  },
  additionalProperties: false,
});

const sessionRowList = (): Json => ({ type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: ref('SessionRow') } } });

/** Event payload schemas by event name. An event not named here fails: nothing goes out unchecked. */
const EVENT_PAYLOADS: Record<string, () => Json> = {
  'connect.challenge': challengeSchema,
  chat: () => def('ChatEvent'),
  agent: agentEventSchema,
  tick: () => def('TickEvent'),
  shutdown: () => def('ShutdownEvent'),
  ops: opsEventSchema,
};

/**
 * Result schemas by method, where the schema has one. Methods not named
 * here (chat.send ack, chat.abort, status, agent.wait, ops.*) have no result
 * definition in protocol.schema.json; their frames are still checked as
 * ResponseFrame.
 */
const RESULTS: Record<string, () => Json> = {
  connect: helloOkSchema,
  health: () => (def('Snapshot') as { properties: { health: Json } }).properties.health,
  'agents.list': () => def('AgentsListResult'),
  'commands.list': () => def('CommandsListResult'),
  'question.list': () => def('QuestionListResult'),
  'models.list': () => def('ModelsListResult'),
  'sessions.list': sessionRowList,
  'sessions.subscribe': () => ({ type: 'object', required: ['subscribed'], properties: { subscribed: { type: 'boolean' }, list: sessionRowList() } }),
  'sessions.describe': () => ({ type: 'object', required: ['session'], properties: { session: { anyOf: [ref('SessionRow'), { type: 'null' }] } } }),
  'chat.history': () => ({ type: 'object', required: ['sessionKey', 'messages'], properties: { sessionInfo: ref('SessionRow'), messages: { type: 'array' } } }),
  // OpenClaw answers these two with bare arrays (not wrapped in an object).
  'plugin.approval.list': () => ({ type: 'array' }),
  'exec.approval.list': () => ({ type: 'array' }),
};

/** Event names and methods whose payloads get more than the frame-level check. */
export const CHECKED_EVENTS: readonly string[] = Object.keys(EVENT_PAYLOADS);
export const CHECKED_RESULTS: readonly string[] = Object.keys(RESULTS);

/**
 * Compiles every schema this module uses, once per process. TestClient calls
 * it before it opens a socket: compiling lazily on the first frame of a kind
 * could stall the client long enough to miss a server ping at a short tick
 * interval.
 */
export function preloadSchemas(): void {
  compile('frame', frameSchema);
  for (const [name, build] of Object.entries(EVENT_PAYLOADS)) compile(`event:${name}`, build);
  for (const [method, build] of Object.entries(RESULTS)) compile(`result:${method}`, build);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

/**
 * Checks one frame the server sent. `method` is the method of the request a
 * `res` answers (the client knows it by id). Returns null when the frame is
 * valid, else a message naming the definition and the ajv errors.
 */
export function checkServerFrame(frame: unknown, method?: string): string | null {
  const frames = compile('frame', frameSchema);
  if (!frames(frame)) return `frame is not a RequestFrame/ResponseFrame/EventFrame: ${describe(frames.errors)}`;
  const f = frame as Json;
  if (f.type === 'event') {
    const name = f.event as string;
    const build = EVENT_PAYLOADS[name];
    if (!build) return `event ${JSON.stringify(name)} has no payload schema (add it to test/helpers/schema.ts)`;
    const v = compile(`event:${name}`, build);
    return v(f.payload) ? null : `${name} event payload does not match: ${describe(v.errors)}`;
  }
  if (f.type === 'res' && f.ok === true && method !== undefined) {
    const build = RESULTS[method];
    if (!build) return null;
    const v = compile(`result:${method}`, build);
    return v(f.payload) ? null : `${method} result does not match: ${describe(v.errors)}`;
  }
  return null;
}
