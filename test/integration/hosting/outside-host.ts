/**
 * @module test/integration/hosting/outside-host — a stand-in for "the internet" in network tests:
 * a network namespace joined to the host by a veth pair (198.18.N.0/24, the benchmarking range of
 * RFC 2544), with a TCP listener that says "hi". A container that reaches it went out through the
 * host's routing and NAT, as traffic to the internet would; no packet leaves this machine.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface OutsideHost {
  /** The listener's address and port. */
  address: string;
  port: number;
  remove(): Promise<void>;
}

const LISTENER = (address: string, port: number) => `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${address}", ${port})); s.listen(64)
while True:
    c, _ = s.accept(); c.sendall(b"hi"); c.close()
`;

export async function createOutsideHost(port = 9000): Promise<OutsideHost> {
  const tag = Math.random().toString(16).slice(2, 8);
  const ns = `slwout-${tag}`;
  const hostIf = `slwo${tag}h`;
  const nsIf = `slwo${tag}c`;
  const subnet = 1 + Math.floor(Math.random() * 254);
  const address = `198.18.${subnet}.2`;
  const ip = (...args: string[]) => exec('ip', args);
  let listener: ChildProcess | undefined;
  const remove = async () => {
    listener?.kill('SIGKILL');
    await ip('netns', 'del', ns).catch(() => undefined);
    await ip('link', 'del', hostIf).catch(() => undefined);
  };
  try {
    await ip('netns', 'add', ns);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', ns);
    await ip('addr', 'add', `198.18.${subnet}.1/24`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', nsIf);
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
    await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    listener = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', LISTENER(address, port)], { stdio: 'ignore' });
    // Listening once a connection from the host's side succeeds.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await exec('python3', ['-c', `import socket; socket.create_connection(("${address}", ${port}), timeout=1).close()`]).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the outside host's listener on ${address}:${port} did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { address, port, remove };
}
