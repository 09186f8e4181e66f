import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's package puts it; `.ci/run` installs the package when it is missing. */
export const REDIS_SERVER = process.env.LANEGATE_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

/** How long a server may take to say it is ready, and to exit after a signal. */
const START_MS = 10_000;
const STOP_MS = 5_000;
/** Free-port races (another process took the port between our probe and the bind) retried this often. */
const BIND_TRIES = 5;

export interface TestRedisOptions {
  /** Append-only file on (`appendfsync always`), for tests that restart with the same data. */
  aof?: boolean;
  /** `requirepass`. */
  password?: string;
  /** More `--name value` arguments. */
  args?: string[];
}

/** Every server this process started and has not seen exit: killed if the test process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Whether the redis-server binary is there (tests say why they cannot run instead of failing obscurely). */
export function haveRedisServer(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A free loopback TCP port (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server for one test: its own temporary directory and a
 * free loopback port, no RDB snapshots, AOF only when asked. It can be
 * stopped and started again on the same port and data (a Redis restart as
 * clients see it), killed, or wiped (a Redis that lost its data).
 */
export class TestRedis {
  readonly dir: string;
  readonly #opts: TestRedisOptions;
  #port = 0;
  #proc: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log = '';

  private constructor(dir: string, opts: TestRedisOptions) {
    this.dir = dir;
    this.#opts = opts;
  }

  static async start(opts: TestRedisOptions = {}): Promise<TestRedis> {
    const r = new TestRedis(mkdtempSync(join(tmpdir(), 'lanegate-redis-')), opts);
    try {
      await r.#startOnFreePort();
    } catch (e) {
      r.#removeDir();
      throw e;
    }
    return r;
  }

  get port(): number {
    return this.#port;
  }

  get running(): boolean {
    return this.#proc !== null;
  }

  /** `redis://[:password@]127.0.0.1:port`. */
  get url(): string {
    const auth = this.#opts.password === undefined ? '' : `:${encodeURIComponent(this.#opts.password)}@`;
    return `redis://${auth}127.0.0.1:${this.#port}`;
  }

  /** The server's log so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** The process id while running. */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  /** Starts again on the same port and directory (the data that was persisted comes back). */
  async restart(): Promise<void> {
    if (this.#proc) throw new Error('redis-server is still running');
    await this.#spawn(this.#port);
  }

  /** SIGTERM: Redis's own clean shutdown (the AOF is flushed); resolves once the process is gone. */
  stop(): Promise<void> {
    return this.#signal('SIGTERM');
  }

  /** SIGKILL: no shutdown work at all. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  /** Removes the persisted data (call while stopped): the next restart comes up empty. */
  wipe(): void {
    if (this.#proc) throw new Error('wipe needs a stopped redis-server');
    rmSync(join(this.dir, 'appendonlydir'), { recursive: true, force: true });
    rmSync(join(this.dir, 'dump.rdb'), { force: true });
  }

  /** Stops the server and removes its directory. */
  async close(): Promise<void> {
    await this.kill();
    this.#removeDir();
  }

  #removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #signal(sig: NodeJS.Signals): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    p.kill(sig);
    const timer = setTimeout(() => p.kill('SIGKILL'), STOP_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  async #startOnFreePort(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < BIND_TRIES; i++) {
      try {
        await this.#spawn(await freePort());
        return;
      } catch (e) {
        last = e;
        if (!/Address already in use/i.test(String(e))) throw e;
      }
    }
    throw last;
  }

  #spawn(port: number): Promise<void> {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', this.#opts.aof ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--daemonize', 'no',
      '--logfile', '',
      '--loglevel', 'notice',
      // Probes and health checks in tests never need these.
      '--protected-mode', 'no',
      ...(this.#opts.password === undefined ? [] : ['--requirepass', this.#opts.password]),
      ...(this.#opts.args ?? []),
    ];
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    this.#log = '';
    const exited = new Promise<void>((resolve) =>
      proc.once('exit', () => {
        live.delete(proc);
        if (this.#proc === proc) this.#proc = null;
        resolve();
      }),
    );
    let settled = false;
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`redis-server on port ${port}: ${why}\n${this.#log}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${START_MS} ms`), START_MS);
      proc.once('error', (e) => fail(e.message));
      void exited.then(() => fail('exited before it was ready'));
      const onData = (d: Buffer): void => {
        this.#log += d.toString();
        if (settled || !/Ready to accept connections/.test(this.#log)) return;
        settled = true;
        clearTimeout(timer);
        this.#port = port;
        this.#proc = proc;
        this.#exited = exited;
        resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
    });
  }
}
