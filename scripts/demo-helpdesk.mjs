// A stand-in helpdesk for trying the support-triage example locally: it listens on 127.0.0.1:4390,
// prints every ticket it receives, and honours Idempotency-Key like a well-behaved API.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 4390);
const seen = new Map();
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const key = req.headers['idempotency-key'];
    if (key && seen.has(key)) {
      console.log(`repeat of ${key}: answered from memory, nothing filed twice`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(seen.get(key));
      return;
    }
    const answer = JSON.stringify({ filed: true, number: seen.size + 1 });
    if (key) seen.set(key, answer);
    console.log(`${req.method} ${req.url} ${body}`);
    res.writeHead(201, { 'content-type': 'application/json' }).end(answer);
  });
}).listen(port, '127.0.0.1', () => console.log(`demo helpdesk on http://127.0.0.1:${port}`));
