import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay in front of a Redis, standing in for what a
 * deployment puts there (HAProxy, a virtual IP, Sentinel's address switch):
 * tests cut every connection (a network blip), refuse new ones for a while,
 * or point the same address at another server (a failover).
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #target: number;
  #refusing = false;
  /** Connections accepted so far (tests check that a client reconnected). */
  accepted = 0;

  private constructor(server: Server, target: number) {
    this.#server = server;
    this.#target = target;
  }

  static start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (c) => proxy.#relay(c));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(proxy));
    });
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Closes every relayed connection now (both sides see a reset). */
  cut(): void {
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  /** While refusing, new connections are closed at once (Redis unreachable). */
  refuse(on: boolean): void {
    this.#refusing = on;
    if (on) this.cut();
  }

  /** Later connections go to another port; existing ones are cut. */
  retarget(port: number): void {
    this.#target = port;
    this.cut();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    if (this.#refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.#target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
