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

/**
 * OpenClaw's satisfaction rule (operator-scope-compat): operator.write also
 * satisfies operator.read, so a CLI that asked only for write (`gateway call
 * chat.send`) still receives its run's events and may read.
 */
export function hasScope(granted: ReadonlySet<ScopeName>, needed: ScopeName): boolean {
  return granted.has(needed) || (needed === Scope.OPERATOR_READ && granted.has(Scope.OPERATOR_WRITE));
}

export interface MethodSpec {
  /** Which inbound ring carries it: conversation or operations. */
  lane: 'conv' | 'ops';
  /** Answered only when something happens (agent.wait): not counted as a request in flight. */
  longPoll?: true;
  /** Scope the caller needs; null: any authenticated client (OpenClaw skips the check for health). */
  scope: ScopeName | null;
  check: Check;
}

const none: Check = () => null;
const sessionKey = str('sessionKey', { max: 512 });
const idempotencyKey = str('idempotencyKey', { max: 256 });

// Agent ids are checked by the runtime, which knows the agents (AgentRouter): the worker checks the shape only.
const agentId = str('agentId', { max: 128, optional: true });

/** Methods served on the conversation port (OpenClaw v4 names and params). */
export const CONV_METHODS: Record<string, MethodSpec> = {
  health: { lane: 'conv', scope: null, check: none },
  status: { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'chat.send': {
    lane: 'conv',
    scope: Scope.OPERATOR_WRITE,
    // idempotencyKey is required by the schema, but some clients omit it; the runtime then makes one.
    check: all(sessionKey, text('message'), str('idempotencyKey', { max: 256, optional: true }), agentId),
  },
  'chat.history': {
    lane: 'conv',
    scope: Scope.OPERATOR_READ,
    check: all(sessionKey, int('limit', { min: 1, max: 1000, optional: true }), int('afterSeq', { optional: true })),
  },
  // The TUI sends preserveSideRuns on Esc (and retries without it only if refused).
  'chat.abort': {
    lane: 'conv',
    scope: Scope.OPERATOR_WRITE,
    check: all(sessionKey, str('runId', { optional: true }), bool('preserveSideRuns', { optional: true })),
  },
  agent: {
    lane: 'conv',
    scope: Scope.OPERATOR_WRITE,
    check: all(text('message', { nonEmpty: true }), idempotencyKey, str('sessionKey', { max: 512, optional: true }), agentId),
  },
  'agent.wait': { lane: 'conv', scope: Scope.OPERATOR_WRITE, longPoll: true, check: all(str('runId'), int('timeoutMs', { optional: true })) },
  'sessions.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'sessions.describe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'sessions.subscribe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  // lanegate's own counterpart of sessions.subscribe (OpenClaw has none: it drops subscribers on close).
  'sessions.unsubscribe': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'agents.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'agent.identity.get': { lane: 'conv', scope: Scope.OPERATOR_READ, check: all(agentId, str('sessionKey', { max: 512, optional: true })) },
  'commands.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
  'models.list': { lane: 'conv', scope: Scope.OPERATOR_READ, check: none },
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
      str('epoch', { max: 128, optional: true }),
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

/** Events a port sends (hello-ok features.events): exactly these, nothing advertised that never comes. */
export function eventsFor(role: PortRole, singlePort: boolean): string[] {
  const base = ['connect.challenge', 'tick', 'shutdown'];
  if (role === 'ops') return [...base, 'ops'];
  const conv = [...base, 'chat', 'agent'];
  return singlePort ? [...conv, 'ops'] : conv;
}
