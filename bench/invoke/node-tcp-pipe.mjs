// The floor of any Node.js proxy: each client connection piped byte for byte to its own upstream
// connection (no HTTP parsing at all). Node's cost per request here is only the socket reads and
// writes a proxy cannot avoid. Usage: node node-tcp-pipe.mjs <listen-port> <upstream host:port>
import { connect, createServer } from 'node:net';

const [port, upstream] = process.argv.slice(2);
const [host, upPort] = upstream.split(':');

createServer((client) => {
  client.setNoDelay(true);
  const up = connect(Number(upPort), host);
  up.setNoDelay(true);
  client.pipe(up).on('error', () => client.destroy());
  up.pipe(client).on('error', () => up.destroy());
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
}).listen(Number(port), '127.0.0.1');
