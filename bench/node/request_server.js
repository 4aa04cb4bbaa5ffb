'use strict';
// The loopback server of the request benchmark, run in its own process so
// that it does not share the event loop with the client being measured.
// GET/POST /small: a small JSON answer. GET /sse?n=N: N server-sent events.
// Every request must carry the expected key (from KEYREF_BENCH_KEY) in
// Authorization: Bearer; the server prints its port on stdout and sends
// { tag, sseFinished } over IPC when an event stream has been written out.
const http = require('node:http');

const expected = `Bearer ${process.env.KEYREF_BENCH_KEY}`;
const small = JSON.stringify({ id: 'cmpl-1', object: 'ok', choices: [{ index: 0, text: 'hello' }] });
const server = http.createServer((req, res) => {
  if (req.headers.authorization !== expected) {
    res.writeHead(401);
    res.end('bad key');
    return;
  }
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/sse')) {
      const n = Number(new URL(req.url, 'http://x').searchParams.get('n') || 1000);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // When the last byte has been handed to the kernel (monotonic clock,
      // comparable with the client's process.hrtime): the slow-onEvent check
      // of request_bench.js compares it with when its handler unblocked.
      const tag = new URL(req.url, 'http://x').searchParams.get('tag');
      res.on('finish', () => process.send && process.send({ tag, sseFinished: String(process.hrtime.bigint()) }));
      const line = (i) => `data: {"choices":[{"delta":{"content":"token ${i} "}}]}\n\n`;
      let i = 0;
      const pump = () => {
        while (i < n) {
          let batch = '';
          for (let j = 0; j < 64 && i < n; j++) batch += line(i++);
          if (!res.write(batch)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end('data: [DONE]\n\n');
      };
      pump();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(small) });
    res.end(small);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('disconnect', () => process.exit(0));
