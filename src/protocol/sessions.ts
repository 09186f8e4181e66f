// Session naming as OpenClaw clients expect it: the TUI builds its session
// key as `agent:<defaultId>:<mainKey>` from agents.list, so the embedded
// agent is published under the id `main`.

export const MAIN_AGENT_ID = 'main';
export const MAIN_KEY = 'main';
export const MAIN_SESSION_KEY = `agent:${MAIN_AGENT_ID}:${MAIN_KEY}`;
