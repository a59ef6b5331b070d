// The least a Node.js proxy can do per request: node:http server in, undici Pool out, the body
// collected and the status and headers passed through; no routing, errors or metrics. What
// Slipway's data plane is compared with to separate its own cost from the runtime's.
// Usage: node node-proxy-floor.mjs <listen-port> <upstream host:port>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = process.argv.slice(2);
const pool = new Pool(`http://${upstream}`, { connections: 256, pipelining: 1 });

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    let status = 0;
    let ct;
    const out = [];
    pool.dispatch(
      { path: '/invocations', method: 'POST', headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': String(body.length) }, body },
      {
        onConnect() {},
        onHeaders(s, raw) {
          status = s;
          for (let i = 0; i < raw.length; i += 2) if (raw[i].toString('latin1').toLowerCase() === 'content-type') ct = raw[i + 1].toString('latin1');
          return true;
        },
        onData(c) {
          out.push(c);
          return true;
        },
        onComplete() {
          const b = Buffer.concat(out);
          res.writeHead(status, { 'Content-Type': ct ?? 'application/octet-stream', 'Content-Length': b.length });
          res.end(b);
        },
        onError() {
          res.writeHead(502).end();
        },
      },
    );
  });
}).listen(Number(port), '127.0.0.1');
