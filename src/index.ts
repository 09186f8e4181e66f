// The public API: everything a program embedding lanegate may import
// (`import { Gateway } from 'lanegate'`; docs/embedding.md).

export { Gateway, VERSION } from './gateway.js';
export type { Delivery, GatewayEvents, GatewayInfo } from './gateway.js';
export { loadConfig, optionsFromEnv, resolveConfig, isConfig, DEFAULTS, LOG_LEVELS, MAIN_AGENT_ID } from './config.js';
export type { AgentConfig, AgentOption, Config, GatewayOptions, JwtConfig, Limits, LogLevel, OpenAIConfig, PortLimits } from './config.js';
export { applyV8Settings } from './v8-settings.js';
export { ErrorCodes, LanegateError, ConfigError, isLanegateError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { createEchoAgent } from './agents/echo.js';
export { createOpenAIAgent } from './agents/openai/agent.js';
export type { Agent, AgentContext, AgentDelivery, AgentOptions, HistoryMessage, Reply, TaskSpec } from './agents/types.js';
export type { ChatUpdate } from './runtime/runs.js';
export type { OpsLog, OpsEntry, NewOpsEntry } from './state/ops-log.js';
export { MemoryOpsLog } from './state/memory-ops-log.js';
export { Ring } from './queue/ring.js';
export { Signal } from './queue/signal.js';
export { PriorityConsumer } from './queue/priority.js';
export type { LaneSource, PriorityOptions } from './queue/priority.js';
