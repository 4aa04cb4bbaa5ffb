'use strict';
// Live values of 4 to 7 bytes are too short to fingerprint; keyref matches
// them exactly while they are live (docs/redaction.md, "Limits, by design";
// native/src/redaction/short_values.cpp, constant time per position:
// docs/threat-model.md, "Timing"). The native tests cover the search; this
// is the whole path a host sees: a short key sent by keyref to a real
// loopback server that echoes it back, in a 401 body and in server-sent
// events, and the host's own redact() while that request is in flight.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { Sidecar } = require('../..');

// Letters and digits with no credential shape: only the live-value rule can
// catch them. A fresh value per run, so no other rule learns it.
const shortKey = (n) => crypto.randomBytes(8).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);

function echoServer() {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = (req.headers.authorization || '').replace(/^Bearer /, '');
      if (req.url.startsWith('/sse')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // The first event while the request is live; the stream stays open
        // until the test's onEvent has run.
        res.write(`data: you sent ${key}.\n\n`);
        srv.finish = () => { res.end(`data: [DONE]\n\n`); };
        return;
      }
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`invalid key "${key}" (${key}${key}) prefix=${key.slice(0, 3)}`);
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
    srv.url = `http://127.0.0.1:${srv.address().port}`;
    resolve(srv);
  }));
}

for (const n of [4, 7]) {
  test(`a live ${n}-byte key echoed by the server, and redact() while it is live`, async (t) => {
    const srv = await echoServer();
    const key = shortKey(n);
    const ref = 'env:KEYREF_SHORT_VALUE_TEST';
    process.env.KEYREF_SHORT_VALUE_TEST = key;
    // apiKeyRef: an env: ref naming the variable that holds the test's
    // throwaway key, never the key itself; bound to the loopback server.
    const sidecar = new Sidecar({ policy: { origins: { [ref]: [srv.url] } } });
    t.after(() => { sidecar.close(); srv.close(); delete process.env.KEYREF_SHORT_VALUE_TEST; });
    const base = { provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: ref, method: 'GET' };

    const r = await sidecar.request({ ...base, path: '/v1/models' });
    assert.equal(r.status, 401);
    assert.ok(!r.body.includes(key), 'the echoed key was scrubbed');
    // Only the whole value is matched: its 3-byte prefix is ordinary text.
    assert.ok(r.body.includes(`prefix=${key.slice(0, 3)}`), r.body);
    assert.match(r.body, /invalid key "\[REDACTED\]"/);

    const seen = [];
    await sidecar.request({ ...base, path: '/sse', onEvent: (e) => {
      seen.push(e.data);
      if (seen.length === 1) {
        // The request holds the key: the host's own redact() matches it too.
        seen.push(sidecar.redact(`a line with ${key} in it, and ${key.slice(1)} not`));
        srv.finish();
      }
    } });
    assert.equal(seen[0], 'you sent [REDACTED].');
    assert.equal(seen[1], `a line with [REDACTED] in it, and ${key.slice(1)} not`);
  });
}
