import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../main.js', import.meta.url));

export interface RunningGateway {
  proc: ChildProcess;
  convUrl: string;
  opsUrl: string | null;
  httpUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves once the gateway's stdout (its log lines) matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/**
 * Starts `node dist/main.js` in its own process on free loopback ports
 * (port 0) and resolves once its banner names the ports: the gateway's
 * main thread never shares an event loop with the test's clients. `argv`
 * runs another server that prints the same banner (the benchmark baselines).
 * State is `:memory:` unless `env` names a LANEGATE_STATE_DIR: tests never
 * touch (or lock) ~/.lanegate, and gateways of parallel runs never meet.
 */
export function startGateway(env: Record<string, string> = {}, timeoutMs = 15_000, argv: string[] = [MAIN]): Promise<RunningGateway> {
  const proc = spawn(process.execPath, argv, {
    env: { ...process.env, LANEGATE_CONV_PORT: '0', LANEGATE_LOG_LEVEL: 'warn', LANEGATE_STATE_DIR: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before it started\nstdout: ${out}\nstderr: ${err}`));
    });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const conv = /^\s+conv\s+(wss?:\/\/\S+)/m.exec(out);
      const web = /^\s+webchat\s+(https?:\/\/\S+)/m.exec(out);
      const ops = /^\s+ops\s+(\S+)/m.exec(out);
      if (!conv || !web || !ops) return;
      clearTimeout(timer);
      resolve({
        proc,
        convUrl: conv[1]!,
        opsUrl: /^wss?:\/\//.test(ops[1]!) ? ops[1]! : null,
        httpUrl: web[1]!.replace(/\/$/, ''),
        stdout: () => out,
        stderr: () => err,
        waitForOutput(pattern: RegExp, ms = 15_000): Promise<void> {
          return new Promise((res, rej) => {
            const check = (): boolean => pattern.test(out);
            if (check()) return res();
            const onData = (): void => {
              if (!check()) return;
              clearTimeout(t);
              proc.stdout!.off('data', onData);
              res();
            };
            const t = setTimeout(() => {
              proc.stdout!.off('data', onData);
              rej(new Error(`gateway output did not match ${pattern} within ${ms} ms`));
            }, ms);
            proc.stdout!.on('data', onData);
          });
        },
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          const t0 = Date.now();
          if (proc.exitCode === null) proc.kill(signal);
          const code = await exited;
          return { code, ms: Date.now() - t0 };
        },
      });
    });
  });
}

/** Runs `node dist/main.js` expecting it to exit at once (configuration errors). */
export function runGatewayExpectExit(env: Record<string, string>, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', LANEGATE_CONV_PORT: '0', LANEGATE_STATE_DIR: ':memory:', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway did not exit within ${timeoutMs} ms\nstdout: ${out}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}
