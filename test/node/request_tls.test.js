'use strict';
// HTTPS and proxies: a CA and server certificate made at test time with
// openssl, a loopback HTTPS server, and a small CONNECT/forward proxy.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sidecar, chat } = require('../..');
const { makeKey, envRef, assertNoTrace, startServer, makeCerts, startProxy, closedPort, boundSidecar } =
  require('./helpers/request_helpers');

const KEY = makeKey('T');
// apiKeyRef for these tests: an env: ref to a variable holding KEY (a
// made-up key); never the key itself.
const REF = envRef(KEY);
const sidecar = new Sidecar();
let certs;

test.before(() => { certs = makeCerts(); });
test.after(() => certs.cleanup());

function okJson(res) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
}

test('a certificate from an unknown CA is refused (TLS_FAILED) unless the Sidecar\'s policy trusts its CA', async () => {
  const srv = await startServer((req, res) => okJson(res), { tls: certs });
  // 127.0.0.2 is bound too: the point below is the certificate check.
  const bound = [srv, `https://127.0.0.2:${srv.port}`];
  const sidecar = boundSidecar(REF, bound);
  const viaFileSidecar = boundSidecar(REF, bound, { policy: { caFile: certs.caFile } });
  const viaPemSidecar = boundSidecar(REF, bound, { policy: { ca: certs.ca } });
  const noPem = boundSidecar(REF, bound, { policy: { ca: 'not a pem' } });
  try {
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF }), (err) => {
      assert.equal(err.code, 'TLS_FAILED');
      assert.match(err.hint, /policy\.caFile/);
      return true;
    });
    assert.equal(srv.requests.length, 0, 'nothing reached the server');

    const viaFile = await viaFileSidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF });
    assert.equal(viaFile.status, 200);
    const viaPem = await viaPemSidecar.request({ provider: 'anthropic', baseUrl: srv.url, apiKeyRef: REF });
    assert.equal(viaPem.status, 200);
    assert.equal(srv.requests[0].headers.authorization, `Bearer ${KEY}`);
    assert.equal(srv.requests[1].headers['x-api-key'], KEY);

    // The extra CA does not make a wrong host name acceptable.
    await assert.rejects(viaPemSidecar.request({ provider: 'openai', baseUrl: `https://127.0.0.2:${srv.port}`,
      apiKeyRef: REF }), { code: /TLS_FAILED|CONNECT_FAILED/ });
    // A CA that holds no certificate is refused.
    await assert.rejects(noPem.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF }),
      { code: 'TLS_FAILED' });
    assert.equal(srv.requests.length, 2);
  } finally {
    for (const s of [sidecar, viaFileSidecar, viaPemSidecar, noPem]) s.close();
    await srv.close();
  }
});

// The attack: a request that could name its own CA and its own proxy had
// the proxy end the TLS tunnel with a certificate from that CA and read the
// key (found by a review: "MITM got the key: true"). Extra CAs are the
// Sidecar's policy now; a request's `ca` or `caFile` is refused before
// anything is resolved or sent, and the proxy sees no connection at all.
test('a request cannot add a CA: ca and caFile are refused, nothing reaches the proxy', async () => {
  const srv = await startServer((req, res) => okJson(res), { tls: certs });
  const sidecar = boundSidecar(REF, [srv]);
  const proxy = await startProxy();
  try {
    for (const extra of [{ ca: certs.ca }, { caFile: certs.caFile }]) {
      await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, proxy: proxy.url,
        ...extra }), (err) => {
        assert.equal(err.code, 'ERR_INVALID_ARG_VALUE');
        assert.match(err.message, /policy\.(ca|caFile)/);
        return true;
      });
      await assert.rejects(chat(sidecar, { provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, model: 'm',
        messages: [{ role: 'user', content: 'hi' }], proxy: proxy.url, ...extra }), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    assert.equal(proxy.log.length, 0, 'the proxy saw nothing');
    assert.equal(srv.requests.length, 0);
  } finally {
    sidecar.close();
    await proxy.close();
    await srv.close();
  }
});

test('https through a CONNECT proxy: the proxy never sees the key', async () => {
  const srv = await startServer((req, res) => okJson(res), { tls: certs });
  const sidecar = boundSidecar(REF, [srv], { policy: { ca: certs.ca } });
  const proxy = await startProxy();
  try {
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, proxy: proxy.url });
    assert.equal(res.status, 200);
    assert.equal(proxy.log.length, 1);
    assert.equal(proxy.log[0].kind, 'connect');
    assert.equal(proxy.log[0].url, `127.0.0.1:${srv.port}`);
    assertNoTrace(JSON.stringify(proxy.log), KEY, 'what the proxy saw');
    assert.equal(srv.requests[0].headers.authorization, `Bearer ${KEY}`);
  } finally {
    await proxy.close();
    await srv.close();
  }
});

// A plain-http request carrying a key goes straight to its (loopback)
// origin whatever proxy is set: before, the proxy option, HTTP_PROXY with
// NO_PROXY=127.0.0.0/8 (no CIDR support) or NO_PROXY=localhost (which is
// not 127.0.0.1) all sent the key in clear text to the proxy, which could
// also answer in the origin's place. Keyless plain http (ollama) still
// uses the proxy.
test('plain http: a keyless request uses the proxy, one with a key never does', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  const proxy = await startProxy();
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
  try {
    const res = await sidecar.request({ provider: 'ollama', baseUrl: srv.url, proxy: proxy.url,
      path: '/api/tags', method: 'GET' });
    assert.equal(res.status, 200);
    assert.equal(proxy.log.length, 1);
    assert.equal(proxy.log[0].kind, 'forward');
    assert.equal(proxy.log[0].url, `${srv.url}/api/tags`);

    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method: 'GET' });
    assert.equal(proxy.log.length, 2, 'HTTP_PROXY was used');
    process.env.NO_PROXY = 'example.com,127.0.0.1';
    await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method: 'GET' });
    assert.equal(proxy.log.length, 2, 'NO_PROXY bypassed the proxy');
    delete process.env.NO_PROXY;
    await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method: 'GET', proxy: false });
    assert.equal(proxy.log.length, 2, 'proxy: false ignores the environment');

    // With a key: direct, through every way a proxy can be set.
    for (const noProxy of [undefined, '127.0.0.0/8', 'localhost']) {
      if (noProxy === undefined) delete process.env.NO_PROXY; else process.env.NO_PROXY = noProxy;
      await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, method: 'GET' });
    }
    await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, method: 'GET', proxy: proxy.url });
    assert.equal(proxy.log.length, 2, 'no keyed request went through the proxy');
    assertNoTrace(JSON.stringify(proxy.log), KEY, 'what the proxy saw');
    assert.equal(srv.requests.length, 8);
    for (const r of srv.requests.slice(4)) assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    await proxy.close();
    await srv.close();
  }
});

test('an unreachable or unsupported proxy gives PROXY_FAILED', async () => {
  const port = await closedPort();
  const sidecar = boundSidecar(REF, ['http://127.0.0.1:9', 'https://127.0.0.1:9']);
  await assert.rejects(sidecar.request({ provider: 'ollama', baseUrl: 'http://127.0.0.1:9',
    proxy: `http://127.0.0.1:${port}` }), { code: 'PROXY_FAILED' });
  await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: 'https://127.0.0.1:9', apiKeyRef: REF,
    proxy: `http://127.0.0.1:${port}` }), { code: 'PROXY_FAILED' });
  await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: 'http://127.0.0.1:9', apiKeyRef: REF,
    proxy: 'socks5://127.0.0.1:1080' }), { code: 'PROXY_FAILED' });
});

test('a proxy that refuses the CONNECT tunnel gives PROXY_FAILED', async () => {
  const http = require('node:http');
  const refusing = http.createServer();
  refusing.on('connect', (req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise((r) => refusing.listen(0, '127.0.0.1', r));
  const sidecar = boundSidecar(REF, ['https://127.0.0.1:9']);
  try {
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: 'https://127.0.0.1:9', apiKeyRef: REF,
      proxy: `http://127.0.0.1:${refusing.address().port}` }), (err) => {
      assert.equal(err.code, 'PROXY_FAILED');
      assert.match(err.message, /tunnel/);
      return true;
    });
  } finally {
    // Not awaited: the tunnel socket handed to 'connect' keeps close() waiting.
    refusing.close();
  }
});
