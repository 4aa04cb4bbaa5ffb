'use strict';
// Child of request_proxy.test.js: keyref once crashed its process here (a
// CONNECT answered 407 left a socket without TLS in the pool, and the next
// request wrote to it), so the parent runs this in a process of its own
// and reads what it printed. A proxy on 127.0.0.1 answers 407 to every
// request head and keeps the connection; HEAD, POST and HEAD go through it.
// Prints one JSON line per request as it ends (written at once: stdout is
// a pipe), then one with the audit trail and what the proxy received.
if (require.main !== module) return;
const net = require('node:net');
const { makeKey, envRef, boundSidecar } = require('./request_helpers');

const [auditFile] = process.argv.slice(2);
const KEY = makeKey('P');
const REF = envRef(KEY);
const ORIGIN = 'https://127.0.0.1:9';
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const received = [];
const sockets = new Set();
const proxy = net.createServer((s) => {
  const id = received.push('') - 1;
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
  s.on('data', (d) => {
    received[id] += d.toString('latin1');
    // One answer per request head; the connection stays open.
    const heads = received[id].split('\r\n\r\n').length - 1;
    if (heads > (s.answered ?? 0)) {
      s.answered = heads;
      s.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n' +
        'Content-Length: 0\r\n\r\n');
    }
  });
});

proxy.listen(0, '127.0.0.1', async () => {
  const guard = setTimeout(() => { print({ timeout: true }); process.exit(2); }, 30000);
  const url = `http://127.0.0.1:${proxy.address().port}`;
  const sidecar = boundSidecar(REF, [ORIGIN], { auditFile });
  for (const method of ['HEAD', 'POST', 'HEAD']) {
    try {
      const r = await sidecar.request({ provider: 'openai', baseUrl: ORIGIN, apiKeyRef: REF, method, path: '/models',
        proxy: url, timeoutMs: 5000, body: method === 'POST' ? '{}' : undefined });
      print({ method, status: r.status, headers: r.headers });
    } catch (e) {
      print({ method, code: e.code, message: e.message });
    }
  }
  print({
    audit: await sidecar.audit(10),
    proxy: received.map((bytes) => ({ heads: bytes.split('\r\n\r\n').slice(0, -1).map((h) => h.split('\r\n')[0]),
      rest: bytes.split('\r\n\r\n').pop().length, holdsKey: bytes.includes(KEY) })),
  });
  sidecar.close();
  for (const s of sockets) s.destroy();
  proxy.close();
  clearTimeout(guard);
});
