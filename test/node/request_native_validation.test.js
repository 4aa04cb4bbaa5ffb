'use strict';
// Native code validates everything it writes to the wire, whatever the
// TypeScript layer checked: these tests call the raw binding
// (sidecar.native.request) directly, bypassing addon/ts/request.ts, with a
// line break, NUL or other control character in every text that ends up in
// the request head. Each must be refused (HEADER_FORBIDDEN / BAD_BASE_URL)
// before anything is resolved or sent: the loopback server counts raw TCP
// connections, so even a request its HTTP parser would reject is seen.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { Sidecar } = require('../..');
const { makeKey, envRef } = require('./helpers/request_helpers');

async function rawServer() {
  const seen = { connections: 0, bytes: '' };
  const server = net.createServer((sock) => {
    seen.connections += 1;
    sock.on('data', (d) => {
      seen.bytes += d.toString('latin1');
      if (seen.bytes.includes('\r\n\r\n')) {
        sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { seen, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

// The options addon/ts/request.ts would pass for a valid request.
function baseOptions(url, ref) {
  return {
    provider: 'openrouter', baseUrl: url, apiKeyRef: ref, method: 'POST', path: '/v1/chat',
    headers: ['x-trace', 'abc'], query: [], body: '{}', contentType: 'application/json',
    timeoutMs: 5000, connectTimeoutMs: 2000, readTimeoutMs: 2000, proxyDisabled: true,
    envHttpsProxy: '', envHttpProxy: '', envNoProxy: '', retries: 0,
    referer: '', title: '', apiVersion: '',
  };
}

function nativeRequest(sidecar, options) {
  return new Promise((resolve) => {
    sidecar.native.request(options, null, (err, status) => resolve(err ?? { status }));
  });
}

test('the raw binding refuses control characters in every text of the request head', async (t) => {
  const srv = await rawServer();
  t.after(() => srv.close());
  const ref = envRef(makeKey('W'));
  // The test server's origin is bound: what is refused below is the head.
  const s = new Sidecar({ policy: { allowSchemes: ['env'], origins: { [ref]: [srv.url] } } });
  t.after(() => s.close());

  const ok = await nativeRequest(s, { ...baseOptions(srv.url, ref), referer: 'https://app.invalid', title: 'T\tab' });
  assert.equal(ok.status, 200, 'a valid request goes through');
  assert.equal(srv.seen.connections, 1);
  srv.seen.connections = 0;

  const evil = ['x\r\nX-Injected: 1', 'x\ny', 'x\rY', 'x\0y', 'x\x7f', 'x\x01'];
  const cases = [];
  for (const bad of evil) {
    cases.push(['referer', { referer: bad }, 'HEADER_FORBIDDEN']);
    cases.push(['title', { title: bad }, 'HEADER_FORBIDDEN']);
    cases.push(['contentType', { contentType: bad }, 'HEADER_FORBIDDEN']);
    cases.push(['method', { method: `POST${bad}` }, 'HEADER_FORBIDDEN']);
    cases.push(['anthropic apiVersion', { provider: 'anthropic', apiVersion: bad }, 'HEADER_FORBIDDEN']);
    cases.push(['azure apiVersion', { provider: 'azure-openai', apiVersion: bad }, 'HEADER_FORBIDDEN']);
    cases.push(['header value', { headers: ['x-trace', bad] }, 'HEADER_FORBIDDEN']);
    cases.push(['header name', { headers: [`x${bad}`, 'v'] }, 'HEADER_FORBIDDEN']);
    cases.push(['path', { path: `/v1/${bad}` }, 'BAD_BASE_URL']);
  }
  cases.push(['method smuggling', { method: 'GET / HTTP/1.1\r\nHost: evil.invalid\r\n\r\nPOST' }, 'HEADER_FORBIDDEN']);
  cases.push(['unknown method', { method: 'CONNECT' }, 'HEADER_FORBIDDEN']);
  for (const [what, patch, code] of cases) {
    const r = await nativeRequest(s, { ...baseOptions(srv.url, ref), ...patch });
    assert.equal(r.code, code, `${what} ${JSON.stringify(patch)}: ${r.message ?? r.status}`);
    assert.doesNotMatch(r.message, /[\r\n]/);
  }
  assert.equal(srv.seen.connections, 0, 'nothing reached the server');
  assert.equal(srv.seen.bytes.includes('X-Injected'), false);
});
