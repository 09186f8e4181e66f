import type { Config } from '../config.js';
import type { AgentRouter } from '../agents/router.js';
import { Lane } from '../queue/records.js';
import type { Ring } from '../queue/ring.js';
import type { Outbox } from './outbox.js';
import type { SessionStore } from './sessions.js';

const recent = (sessions: SessionStore): { key: string; updatedAt: number; age: number }[] => {
  const now = Date.now();
  return sessions
    .list()
    .slice(0, 10)
    .map((s) => ({ key: s.key, updatedAt: s.updatedAt, age: now - s.updatedAt }));
};

/** `health` in OpenClaw's HealthSummary shape. */
export function describeHealth(sessions: SessionStore, agents: AgentRouter): Record<string, unknown> {
  const store = { path: '(memory)', count: sessions.size, recent: recent(sessions) };
  return {
    ok: true,
    ts: Date.now(),
    durationMs: 0,
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 0,
    defaultAgentId: agents.default.id,
    agents: agents.list().map((a) => ({
      agentId: a.id,
      isDefault: a === agents.default,
      heartbeat: { enabled: false, every: 'disabled', everyMs: null, prompt: '', target: 'none', ackMaxChars: 0 },
      sessions: store,
    })),
    sessions: store,
  };
}

export interface StatusInput {
  version: string;
  config: Config;
  agents: AgentRouter;
  startedAt: number;
  sessions: SessionStore;
  rings: { name: string; ring: Ring }[];
  outbox: Outbox;
  queueWait: unknown;
  connections: number;
  activeRuns: number;
  requests: number;
  ops: Record<string, number | string>;
  tasks: Record<string, number>;
  /** Per port: open connections and refusals by reason (src/socket/refusals.ts). */
  edge?: Record<string, unknown>;
}

/** `status`: the OpenClaw fields the TUI reads, plus a `lanegate` block with the runtime's own figures. */
export function describeStatus(s: StatusInput): Record<string, unknown> {
  const now = Date.now();
  return {
    runtimeVersion: s.version,
    heartbeat: { defaultAgentId: s.agents.default.id, agents: [] },
    channelSummary: [],
    queuedSystemEvents: [],
    sessions: {
      paths: [],
      count: s.sessions.size,
      defaults: { model: s.agents.default.model.id, contextTokens: s.agents.default.model.contextWindow },
      recent: recent(s.sessions).map((r) => ({ key: r.key, kind: 'direct', age: r.age, flags: [] })),
    },
    lanegate: {
      version: s.version,
      uptimeMs: now - s.startedAt,
      mode: s.config.opsPort === null ? 'single-port' : 'dual-port',
      connections: s.connections,
      activeRuns: s.activeRuns,
      requests: s.requests,
      queueWaitMs: s.queueWait,
      rings: Object.fromEntries(
        s.rings.map(({ name, ring }) => [
          name,
          { capacity: ring.capacity, usedBytes: ring.usedBytes(), fullStalls: ring.fullCount(), ...ring.counts() },
        ]),
      ),
      outBacklogBytes: {
        conv: Math.max(...s.outbox.channels(Lane.CONV).map((c) => c.backlogBytes)),
        ops: Math.max(...s.outbox.channels(Lane.OPS).map((c) => c.backlogBytes)),
      },
      ops: s.ops,
      tasks: s.tasks,
      ...(s.edge ? { edge: s.edge } : {}),
    },
  };
}
