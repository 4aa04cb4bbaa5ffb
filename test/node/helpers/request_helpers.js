'use strict';
// Shared parts of the request tests: loopback HTTP/HTTPS servers that record
// exactly what arrived, a CA and certificate made at test time with openssl,
// a small CONNECT/forward proxy, and a throwaway key in process.env (env: is
// the source these tests use).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Sidecar } = require('../../..');
const { countableRuns } = require('./countable_runs');

// A made-up key of a realistic shape, built at run time so that no
// key-shaped literal sits in the source.
function makeKey(tag = 'A') {
  const body = Array.from({ length: 40 }, (_, i) =>
    'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[(i * 7 + tag.charCodeAt(0)) % 56]).join('');
  return ['sk', 'proj', tag + body].join('-');
}

let envCounter = 0;
// Puts `value` in a fresh environment variable and returns its env: ref.
// Every apiKeyRef in the request tests is such a ref (where the key lives:
// env: is the source these tests use), never the key itself.
function envRef(value) {
  const name = `KEYREF_TEST_KEY_${process.pid}_${++envCounter}`;
  process.env[name] = value;
  return `env:${name}`;
}

// Every run of the key that counts (docs/threat-model.md, "No oracle"): none
// may appear in anything handed back.
function assertNoTrace(text, key, what = 'output') {
  if (text.includes(key)) throw new Error(`${what} holds the key`);
  for (const [i, run] of countableRuns(key)) {
    if (text.includes(run)) {
      throw new Error(`${what} holds ${run.length} characters of the key (offset ${i})`);
    }
  }
}

// Starts a server on 127.0.0.1. handler(req, res, body) runs after the body
// arrived. Records every request and tracks socket closes.
async function startServer(handler, { tls } = {}) {
  const requests = [];
  const sockets = new Set();
  const closed = [];
  const onRequest = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method, url: req.url, headers: req.headers,
        rawHeaders: req.rawHeaders, body, socket: req.socket });
      handler(req, res, body);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest)
    : http.createServer(onRequest);
  server.keepAliveTimeout = 5000;
  const onSocket = (s) => {
    sockets.add(s);
    s.on('close', () => { sockets.delete(s); closed.push(Date.now()); });
  };
  server.on(tls ? 'secureConnection' : 'connection', onSocket);
  if (tls) server.on('connection', (s) => s.on('error', () => {}));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    server, port, requests, sockets, closed,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    connections: 0,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// A CA and a server certificate for 127.0.0.1 / localhost, made now.
function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-tls-'));
  const f = (n) => path.join(dir, n);
  const run = (args) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-days', '2', '-subj', '/CN=keyref test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'),
    '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return {
    dir,
    caFile: f('ca.pem'),
    ca: fs.readFileSync(f('ca.pem'), 'utf8'),
    key: fs.readFileSync(f('server.key')),
    cert: fs.readFileSync(f('server.pem')),
    cleanup() { fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

// A forward proxy (absolute-URL requests) and CONNECT tunnel on 127.0.0.1
// that records what it was asked.
async function startProxy() {
  const log = [];
  const server = http.createServer((req, res) => {
    log.push({ kind: 'forward', method: req.method, url: req.url, headers: req.headers });
    const target = new URL(req.url);
    const up = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search,
      method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connect', (req, client, head) => {
    log.push({ kind: 'connect', url: req.url, headers: req.headers });
    const [host, port] = req.url.split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    log, port: server.address().port, url: `http://127.0.0.1:${server.address().port}`,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// A port with nothing listening (bound, then released).
async function closedPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function sse(res, events, { status = 200 } = {}) {
  res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(e);
  res.end();
}

// A Sidecar that may send `ref`'s key to these origins (the test's own
// loopback servers, or their URLs), bound explicitly through policy.origins
// as a host binds an env: key from its user settings (docs/origins.md).
// Without a binding keyref refuses with KEY_ORIGIN_UNBOUND and sends nothing.
// `refs` is one ref or an array of them.
function boundSidecar(refs, servers, options = {}) {
  const origins = servers.map((s) => new URL(typeof s === 'string' ? s : s.url).origin);
  const map = {};
  for (const ref of [refs].flat()) map[ref] = origins;
  return new Sidecar({ ...options, policy: { ...(options.policy ?? {}), origins: map } });
}

module.exports = { makeKey, envRef, assertNoTrace, startServer, makeCerts, startProxy, closedPort, sse, boundSidecar };
