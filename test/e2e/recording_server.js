'use strict';
// A loopback OpenAI-compatible server for the end-to-end test that records
// every request's method, path and Authorization header, in memory only
// (never on disk: the test scans the disk for the key). GET /v1/models and
// POST /v1/chat/completions (streamed when asked), any key accepted: the
// test, not the server, decides whether the right key arrived.
const http = require('node:http');

async function startRecordingServer(name) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null });
      const json = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'GET' && req.url === '/v1/models') {
        json(200, { object: 'list', data: [{ id: 'loopback-mini', object: 'model', owned_by: name }] });
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        json(404, { error: { message: 'Not found' } });
        return;
      }
      let body = {};
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* empty */ }
      const words = `Hello from ${name}. This reply was streamed word by word.`.match(/\S+\s*/g);
      if (!body.stream) {
        json(200, { choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }] });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      let i = 0;
      const timer = setInterval(() => {
        if (i < words.length) res.write(chunk({ content: words[i++] }));
        else {
          clearInterval(timer);
          res.write(chunk({}, 'stop'));
          res.end('data: [DONE]\n\n');
        }
      }, 40);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startRecordingServer };
