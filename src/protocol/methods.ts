import { all, bool, int, listOf, oneOf, present, str, text, type Check } from './check.js';

/** Operations lanes an `ops.deliver` may name. */
export const OPS_LANES = ['subagent', 'cron', 'heartbeat', 'system'] as const;
export type OpsLane = (typeof OPS_LANES)[number];

export const Scope = {
  OPERATOR_READ: 'operator.read',
  OPERATOR_WRITE: 'operator.write',
  OPS_READ: 'ops.read',
  OPS_WRITE: 'ops.write',
} as const;
export type ScopeName = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly ScopeName[] = Object.values(Scope);

export interface MethodSpec {
  /** Which inbound ring carries it: conversation or operations. */
  lane: 'conv' | 'ops';
  /** Scope the caller needs; null: any authenticated client (OpenClaw skips the check for health). */
  scope: ScopeName | null;
  check: Check;
}

const none: Check = () => null;
const sessionKey = str('sessionKey', { max: 512 });
const idempotencyKey = str('idempotencyKey', { max: 256 });

/** Methods served on the conversation port (OpenClaw v4 names and params). */
export const CONV_METHODS: Record<string, MethodSpec> = {
  health: { lane: 'conv', scope: null, check: none },
  status: { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'chat.send': {
    lane: 'conv',
    scope: Scope.OPERATOR_WRITE,
    // idempotencyKey is required by the schema, but some clients omit it; the runtime then makes one.
    check: all(sessionKey, text('message'), str('idempotencyKey', { max: 256, optional: true })),
  },
  'chat.history': {
    lane: 'conv',
    scope: Scope.OPERATOR_READ,
    check: all(sessionKey, int('limit', { min: 1, max: 1000, optional: true }), int('afterSeq', { optional: true })),
  },
  'chat.abort': { lane: 'conv', scope: Scope.OPERATOR_WRITE, check: all(sessionKey, str('runId', { optional: true })) },
  agent: {
    lane: 'conv',
    scope: Scope.OPERATOR_WRITE,
    check: all(text('message', { nonEmpty: true }), idempotencyKey, str('sessionKey', { max: 512, optional: true })),
  },
  'agent.wait': { lane: 'conv', scope: Scope.OPERATOR_READ, check: all(str('runId'), int('timeoutMs', { optional: true })) },
  'sessions.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'sessions.describe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'sessions.subscribe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'sessions.unsubscribe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'agents.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'commands.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  // Approval and question queues: lanegate has none, so the lists are empty (the TUI asks on start).
  'question.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'plugin.approval.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'exec.approval.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
};

/** Methods of the operations protocol (ops port, or conv port in single-port mode). */
export const OPS_METHODS: Record<string, MethodSpec> = {
  'ops.deliver': {
    lane: 'ops',
    scope: Scope.OPS_WRITE,
    check: all(oneOf('lane', OPS_LANES), sessionKey, idempotencyKey, str('kind', { max: 128 }), present('payload')),
  },
  'ops.subscribe': {
    lane: 'ops',
    scope: Scope.OPS_READ,
    check: all(
      str('sessionKey', { max: 512, optional: true }),
      listOf('lanes', OPS_LANES, { optional: true }),
      int('afterSeq', { optional: true }),
      bool('live', { optional: true }),
    ),
  },
  'ops.unsubscribe': { lane: 'ops', scope: Scope.OPS_READ, check: none },
};

/** `health` and `status` on the ops port ride the ops ring like everything else there. */
const OPS_PORT_EXTRAS: Record<string, MethodSpec> = {
  health: { lane: 'ops', scope: null, check: none },
  status: { lane: 'ops', scope: Scope.OPS_READ, check: none },
};

export type PortRole = 'conv' | 'ops';

/** The method table of one port. */
export function methodsFor(role: PortRole, singlePort: boolean): Record<string, MethodSpec> {
  if (role === 'ops') return { ...OPS_PORT_EXTRAS, ...OPS_METHODS };
  return singlePort ? { ...CONV_METHODS, ...OPS_METHODS } : { ...CONV_METHODS };
}

/** Events a port may send (hello-ok features.events). */
export function eventsFor(role: PortRole, singlePort: boolean): string[] {
  const base = ['connect.challenge', 'tick', 'shutdown'];
  if (role === 'ops') return [...base, 'ops'];
  const conv = [...base, 'chat', 'agent', 'sessions.changed'];
  return singlePort ? [...conv, 'ops'] : conv;
}
