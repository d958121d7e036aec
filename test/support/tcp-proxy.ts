/**
 * @module A TCP proxy on 127.0.0.1 that forwards every connection to a fixed target, and can be
 * "stopped" the way a database server dies as seen by its clients: the listener closes (new
 * connections are refused) and every proxied connection is destroyed (in-flight queries see their
 * connection end). `restart()` listens again on the same port, so a client configured with the proxy's
 * address finds the "database" back without being told anything.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private listenPort = 0;
  /** Connections accepted since start, across restarts. */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get port(): number {
    return this.listenPort;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listens on the given port (0: a free one the first time, the same one after a stop). */
  async start(port = this.listenPort): Promise<number> {
    if (this.server) throw new Error("proxy already running");
    const server = createServer((downstream) => this.forward(downstream));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.listenPort = (server.address() as AddressInfo).port;
    return this.listenPort;
  }

  private forward(downstream: Socket): void {
    this.accepted++;
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("close", () => this.sockets.delete(socket));
    }
    // An error on one side ends the other; errors are expected here (that is the point of stop()).
    downstream.on("error", () => upstream.destroy());
    upstream.on("error", () => downstream.destroy());
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  }

  /** "PostgreSQL stopped": no new connections, and every open one is reset. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // destroy() rather than resetAndDestroy(): the client sees its connection end mid-query either
    // way ("Connection terminated unexpectedly"), and on Node 20 a reset socket could leave the test
    // process spinning forever in its exit-time handle cleanup.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** "PostgreSQL is back" on the same address. */
  async restart(): Promise<void> {
    await this.start(this.listenPort);
  }
}
