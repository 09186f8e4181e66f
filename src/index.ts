// The public API: everything a program embedding lanegate may import.

export { Gateway, VERSION } from './gateway.js';
export type { GatewayEvents, GatewayInfo } from './gateway.js';
export { loadConfig, DEFAULTS, LOG_LEVELS } from './config.js';
export { applyV8Settings } from './v8-settings.js';
export type { Config, JwtConfig, Limits, LogLevel, PortLimits } from './config.js';
export { ErrorCodes, LanegateError, ConfigError, isLanegateError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { Ring } from './queue/ring.js';
export { Signal } from './queue/signal.js';
export { PriorityConsumer } from './queue/priority.js';
export type { LaneSource, PriorityOptions } from './queue/priority.js';
export type { Agent, AgentContext, AgentOptions, HistoryMessage, TaskSpec } from './agents/types.js';
export type { OpsLog, OpsEntry, NewOpsEntry } from './state/ops-log.js';
export { MemoryOpsLog } from './state/memory-ops-log.js';
