import { agentMethods } from './agents.js';
import { chatMethods } from './chat.js';
import type { ConvDeps } from './deps.js';
import type { Handler } from './request.js';
import { sessionMethods } from './sessions.js';
import { systemMethods } from './system.js';

export type { ConvDeps } from './deps.js';
export { unknownMethod } from './chat.js';

/** Handlers of the OpenClaw conversation methods, one group per module as OpenClaw groups them. */
export function convMethods(d: ConvDeps): Record<string, Handler> {
  return { ...systemMethods(d), ...chatMethods(d), ...sessionMethods(d), ...agentMethods(d) };
}
