import { spawn } from 'node:child_process';
import { endGroup } from './proc.js';

// `openclaw tui` needs a terminal. util-linux `script` gives it a pty; the
// screen it draws comes back on script's stdout as terminal escapes. The
// check reads that stream as lines of plain text and waits for the user's
// message, then the agent's reply, then the status line going idle.

export interface TuiResult {
  ok: boolean;
  /** The screen text as plain lines (repeats collapsed), for the report. */
  lines: string[];
  reason: string;
}

/** Terminal output to plain text lines: escapes removed, cursor moves taken as line breaks, repeats collapsed. */
export function screenLines(raw: string): string[] {
  const text = raw
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '') // OSC (titles, hyperlinks)
    .replace(/\x1b\[[0-9;?<>=]*[ -/]*[@-~]/g, '\n') // CSI: colours and cursor moves
    .replace(/\x1b[()][A-Z0-9]|\x1b[=>78]/g, '');
  const out: string[] = [];
  for (const line of text.split(/[\r\n]+/)) {
    const t = line.trim();
    if (t !== '' && out.at(-1) !== t) out.push(t);
  }
  return out;
}

/**
 * The run was shown: the message line, later the same text again as the
 * echoed reply, and after it a status line ending in "idle".
 */
export function showsEchoedReply(lines: string[], message: string): boolean {
  const sent = lines.indexOf(message);
  if (sent < 0) return false;
  const reply = lines.indexOf(message, sent + 1);
  if (reply < 0) return false;
  return lines.slice(reply + 1).some((l) => /\|\s*idle$/.test(l));
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `openclaw tui --url --token --message` under `script`, until the reply shows or `timeoutMs` passes. */
export async function runTui(o: { node: string; openclaw: string; env: NodeJS.ProcessEnv; url: string; token: string; message: string; timeoutMs: number }): Promise<TuiResult> {
  const cmd = `stty cols 100 rows 30; exec ${[o.node, o.openclaw, 'tui', '--url', o.url, '--token', o.token, '--message', o.message].map(quote).join(' ')}`;
  // stdin stays an open pipe: at end of input, script would end the session.
  const child = spawn('script', ['-q', '-f', '-e', '-c', cmd, '/dev/null'], { env: o.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  let settle: (r: TuiResult) => void = () => {};
  const done = new Promise<TuiResult>((resolve) => (settle = resolve));
  child.stdout.on('data', (d: Buffer) => {
    raw += d.toString('utf8');
    const lines = screenLines(raw);
    if (showsEchoedReply(lines, o.message)) settle({ ok: true, lines, reason: 'reply shown, status idle' });
  });
  child.stderr.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  child.once('error', (e) => settle({ ok: false, lines: screenLines(raw), reason: `script failed to start: ${e.message}` }));
  child.once('exit', (code) => settle({ ok: false, lines: screenLines(raw), reason: `the TUI exited (${code}) before showing the reply` }));
  const timer = setTimeout(() => settle({ ok: false, lines: screenLines(raw), reason: `no reply shown within ${o.timeoutMs} ms` }), o.timeoutMs);
  const result = await done;
  clearTimeout(timer);
  await endGroup(child);
  return result;
}
