// The best a Node proxy can do here: node:http answering the benchmark's POST itself, with no
// upstream. bench/invoke runs it as the "node-http-hello" row. Usage: node hello-server.mjs PORT
import { createServer } from 'node:http';

const body = Buffer.from('{"ok":true}');
createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
