'use strict';
// What a proxy's answer can stand for (docs/threat-model.md, "Network
// peers"): a response is the origin's only when the origin exchange ran; an
// answer from the proxy itself (a CONNECT refused with 407) is PROXY_FAILED,
// is never handed back as the origin's, and leaves no connection behind. And
// the origin's answers without a body (204, HEAD) arrive through a proxy as
// they do directly.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { makeKey, envRef, assertNoTrace, startServer, makeCerts, startProxy, boundSidecar } =
  require('./helpers/request_helpers');

const KEY = makeKey('R');
const REF = envRef(KEY);
const CHILD = path.join(__dirname, 'helpers', 'proxy_refusal_child.js');

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-proxy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readAudit(file) {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

// The origin: 204 to DELETE; to HEAD, the head a GET would have.
function noBody(req, res) {
  if (req.method === 'DELETE') {
    res.writeHead(204, { 'x-from': 'origin' });
  } else {
    res.writeHead(200, { 'x-from': 'origin', 'content-type': 'text/plain', 'content-length': 5 });
  }
  res.end();
}

// Found by a review: a HEAD resolved with the proxy's 407 and its headers
// as if the origin had answered (and the audit line said status 407 with
// the key's fingerprint, though the key never left the process); the
// next request to that origin reused the proxy's socket, which has no TLS
// session, and the process died of SIGSEGV. In a child, so that the old
// crash fails this test instead of ending the runner.
test('a proxy that answers 407 to CONNECT: PROXY_FAILED for every method, no status in the audit, the process lives', (t) => {
  const auditFile = path.join(tmpdir(t), 'audit.jsonl');
  const r = spawnSync(process.execPath, [CHILD, auditFile], { encoding: 'utf8', timeout: 60000 });
  const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const said = `child ${r.signal ?? `exit ${r.status}`}; printed:\n${r.stdout}${r.stderr.slice(-2000)}`;
  const steps = lines.filter((l) => l.method);
  for (const [i, method] of ['HEAD', 'POST', 'HEAD'].entries()) {
    assert.ok(steps[i], `${method} (request ${i + 1}) never ended: ${said}`);
    assert.equal(steps[i].method, method);
    assert.equal(steps[i].code, 'PROXY_FAILED', `${method}: ${JSON.stringify(steps[i])}`);
    assert.match(steps[i].message, /407/);
    assert.equal(steps[i].status, undefined, 'the proxy\'s answer is not the origin\'s');
  }
  assert.equal(r.signal, null, said);
  assert.equal(r.status, 0, said);

  const { audit, proxy } = lines.at(-1);
  assert.equal(audit.length, 3);
  for (const [i, line] of audit.entries()) {
    assert.equal(line.method, steps[i].method);
    assert.equal(line.origin, 'https://127.0.0.1:9');
    assert.equal(line.error, 'PROXY_FAILED');
    assert.equal(line.status, undefined, 'no status: the origin never answered');
  }
  assert.deepEqual(readAudit(auditFile), audit);
  // One connection per request (none was pooled), each holding one CONNECT
  // head and nothing after it.
  assert.deepEqual(proxy, Array(3).fill({ heads: ['CONNECT 127.0.0.1:9 HTTP/1.1'], rest: 0, holdsKey: false }));
});

test('the origin\'s 204 and HEAD answers arrive directly and through a CONNECT proxy, which is reused', async (t) => {
  const certs = makeCerts();
  t.after(() => certs.cleanup());
  const srv = await startServer(noBody, { tls: certs });
  const proxy = await startProxy();
  t.after(async () => { await proxy.close(); await srv.close(); });
  const auditFile = path.join(tmpdir(t), 'audit.jsonl');
  const sidecar = boundSidecar(REF, [srv], { auditFile, policy: { ca: certs.ca } });
  t.after(() => sidecar.close());

  for (const via of [proxy.url, false]) {
    for (const method of ['DELETE', 'HEAD', 'DELETE', 'HEAD']) {
      const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, method,
        path: '/x', proxy: via, timeoutMs: 10000 });
      assert.equal(res.status, method === 'DELETE' ? 204 : 200, `${method} via ${via}`);
      assert.equal(res.headers['x-from'], 'origin');
      assert.equal(res.body, '');
    }
  }
  assert.equal(proxy.log.length, 1, 'one CONNECT: the tunnel was kept and reused');
  assertNoTrace(JSON.stringify(proxy.log), KEY, 'what the proxy saw');
  assert.equal(srv.requests.length, 8);
  for (const req of srv.requests) assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  const audit = readAudit(auditFile);
  const pair = [['DELETE', 204, undefined], ['HEAD', 200, undefined]];
  assert.deepEqual(audit.map((l) => [l.method, l.status, l.error]), Array(4).fill(pair).flat(1));
});

// Keyless plain http (ollama) goes through the proxy as a forward proxy,
// which relays the origin's answer; a 407 there is the proxy's own answer
// (RFC 9110, 15.5.8), never an origin's, and is PROXY_FAILED as a refused
// tunnel is.
test('plain http through a forward proxy: 204 and HEAD arrive; the proxy\'s 407 is PROXY_FAILED', async (t) => {
  const srv = await startServer(noBody);
  const proxy = await startProxy();
  const asking = http.createServer((req, res) => {
    res.writeHead(407, { 'proxy-authenticate': 'Basic realm="x"', 'content-length': 0 });
    res.end();
  });
  await new Promise((resolve) => asking.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await proxy.close();
    await srv.close();
    asking.closeAllConnections();
    await new Promise((resolve) => asking.close(resolve));
  });
  const auditFile = path.join(tmpdir(t), 'audit.jsonl');
  const { Sidecar } = require('../..');
  const sidecar = new Sidecar({ auditFile });
  t.after(() => sidecar.close());

  for (const method of ['DELETE', 'HEAD']) {
    const res = await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method, path: '/api/x',
      proxy: proxy.url, timeoutMs: 10000 });
    assert.equal(res.status, method === 'DELETE' ? 204 : 200);
    assert.equal(res.headers['x-from'], 'origin');
  }
  assert.deepEqual(proxy.log.map((l) => [l.kind, l.method]), [['forward', 'DELETE'], ['forward', 'HEAD']]);
  for (const method of ['GET', 'HEAD']) {
    await assert.rejects(sidecar.request({ provider: 'ollama', baseUrl: srv.url, method, path: '/api/x',
      proxy: `http://127.0.0.1:${asking.address().port}`, timeoutMs: 10000 }), (err) => {
      assert.equal(err.code, 'PROXY_FAILED');
      assert.match(err.message, /407/);
      return true;
    });
  }
  assert.deepEqual(readAudit(auditFile).map((l) => [l.method, l.status, l.error]),
    [['DELETE', 204, undefined], ['HEAD', 200, undefined], ['GET', undefined, 'PROXY_FAILED'],
      ['HEAD', undefined, 'PROXY_FAILED']]);
});
