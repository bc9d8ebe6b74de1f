import net from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: where clients connect instead of the target. */
  readonly url: string;
  /** Destroys every open connection, both sides, at once (what a dropped network looks like to both ends). */
  cut(): void;
  /** While down, new connections are accepted and destroyed at once (the client sees a reset, never the target). */
  setDown(down: boolean): void;
  /** Connections currently relayed. */
  open(): number;
  close(): Promise<void>;
}

/** A byte-for-byte TCP relay from an ephemeral local port to `target` (an http://host:port URL). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const pairs = new Set<[net.Socket, net.Socket]>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', drop);
      s.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  const cut = (): void => {
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut,
    setDown: (d) => void (down = d),
    open: () => pairs.size,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
