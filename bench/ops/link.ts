// A paced TCP relay for the large-delivery benchmark: every connection to it
// is forwarded to the target with each direction limited to `bytesPerSec`,
// like a link slower than loopback (a producer in another zone, a LAN). It
// runs in the benchmark's own process, which is otherwise idle; it only
// moves bytes, so the gateway and the clients keep their CPU.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

const TICK_MS = 2;
/** Bytes queued in one direction before the sending side is paused. */
const HIGH_WATER = 256 * 1024;

/** One direction of a link: what `from` sends reaches `to` at most at the rate. */
function pace(from: Socket, to: Socket, bytesPerSec: number): void {
  const queue: Buffer[] = [];
  let queued = 0;
  let credit = 0;
  let last = performance.now();
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    const now = performance.now();
    credit = Math.min(credit + ((now - last) * bytesPerSec) / 1000, bytesPerSec / 50);
    last = now;
    while (queue.length > 0 && credit >= 1) {
      const head = queue[0]!;
      const n = Math.min(head.length, Math.floor(credit));
      to.write(n === head.length ? head : head.subarray(0, n));
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
      queued -= n;
      credit -= n;
    }
    if (queued < HIGH_WATER) from.resume();
    if (queue.length === 0) {
      if (timer) clearInterval(timer);
      timer = null;
    }
  };
  from.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= HIGH_WATER) from.pause();
    if (!timer) {
      last = performance.now();
      timer = setInterval(flush, TICK_MS);
    }
  });
  from.on('end', () => to.end());
}

export interface Link {
  url: (target: string) => string;
  close(): Promise<void>;
}

/** Starts a relay to `target` (a ws:// URL's host and port) at `mbps` megabits per second each way. */
export async function startLink(target: string, mbps: number): Promise<Link> {
  const t = new URL(target);
  const bytesPerSec = (mbps * 1e6) / 8;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(t.port), t.hostname);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pace(client, upstream, bytesPerSec);
    pace(upstream, client, bytesPerSec);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (u) => {
      const x = new URL(u);
      x.port = String(port);
      return x.toString().replace(/\/$/, '');
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
