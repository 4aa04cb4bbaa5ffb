'use strict';
// sidecar.request against real HTTP servers on 127.0.0.1: where each
// provider's key goes, what is refused before anything is resolved, and
// that nothing handed back holds the key.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sidecar } = require('../..');
const { makeKey, envRef, assertNoTrace, startServer, sse, boundSidecar } = require('./helpers/request_helpers');

const KEY = makeKey('P');
// apiKeyRef for these tests: an env: ref to a variable holding KEY (a
// made-up key); never the key itself.
const REF = envRef(KEY);
const sidecar = new Sidecar();

function okJson(res, obj = { ok: true }) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

test('each provider gets the key in its own header, never in the URL', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const cases = [
      ['openai', {}, (h) => assert.equal(h.authorization, `Bearer ${KEY}`)],
      ['openai-compatible', {}, (h) => assert.equal(h.authorization, `Bearer ${KEY}`)],
      ['litellm', {}, (h) => assert.equal(h.authorization, `Bearer ${KEY}`)],
      ['openrouter', { referer: 'https://example.test/app', title: 'Keyref Test' }, (h) => {
        assert.equal(h.authorization, `Bearer ${KEY}`);
        assert.equal(h['http-referer'], 'https://example.test/app');
        assert.equal(h['x-title'], 'Keyref Test');
      }],
      ['anthropic', {}, (h) => {
        assert.equal(h['x-api-key'], KEY);
        assert.equal(h['anthropic-version'], '2023-06-01');
        assert.equal(h.authorization, undefined);
      }],
      ['azure-openai', { apiVersion: '2024-10-21' }, (h, url) => {
        assert.equal(h['api-key'], KEY);
        assert.equal(h.authorization, undefined);
        assert.match(url, /[?&]api-version=2024-10-21(&|$)/);
      }],
      ['gemini', {}, (h, url) => {
        assert.equal(h['x-goog-api-key'], KEY);
        assert.equal(h.authorization, undefined);
        assert.doesNotMatch(url, /[?&]key=/);
      }],
    ];
    for (const [provider, extra, check] of cases) {
      const before = srv.requests.length;
      const res = await sidecar.request({ provider, baseUrl: `${srv.url}/v1`, apiKeyRef: REF,
        path: '/x', body: { hello: provider }, ...extra });
      assert.equal(res.status, 200, provider);
      assert.deepEqual(JSON.parse(res.body), { ok: true });
      assert.equal(srv.requests.length, before + 1, provider);
      const got = srv.requests[before];
      assert.equal(got.method, 'POST');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(got.body), { hello: provider });
      assert.ok(got.url.startsWith('/v1/x'), got.url);
      check(got.headers, got.url);
      assertNoTrace(got.url, KEY, `${provider} URL`);
      // Exactly one header carries the key.
      const carrying = [];
      for (let i = 0; i < got.rawHeaders.length; i += 2) {
        if (got.rawHeaders[i + 1].includes(KEY)) carrying.push(got.rawHeaders[i].toLowerCase());
      }
      assert.equal(carrying.length, 1, `${provider}: ${carrying}`);
    }
  } finally {
    await srv.close();
  }
});

test('anthropic-version comes from apiVersion when given', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  try {
    await sidecar.request({ provider: 'anthropic', baseUrl: srv.url, apiKeyRef: REF, apiVersion: '2024-01-01' });
    assert.equal(srv.requests[0].headers['anthropic-version'], '2024-01-01');
  } finally {
    await srv.close();
  }
});

test('ollama: no key is sent, and a ref is refused', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const res = await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method: 'GET', path: '/api/tags' });
    assert.equal(res.status, 200);
    const h = srv.requests[0].headers;
    for (const name of ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key']) {
      assert.equal(h[name], undefined, name);
    }
    await assert.rejects(sidecar.request({ provider: 'ollama', baseUrl: srv.url, apiKeyRef: REF }),
      { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

test('caller headers that would carry the key are refused before anything is resolved', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  // The ref names a variable that does not exist: a refusal that came after
  // resolution would say SECRET_NOT_FOUND instead.
  const missing = `env:KEYREF_TEST_MISSING_${process.pid}`;
  try {
    for (const name of ['Authorization', 'authorization', 'X-API-KEY', 'x-api-key', 'Api-Key',
      'X-Goog-Api-Key', 'Proxy-Authorization', 'PROXY-AUTHORIZATION']) {
      await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: missing,
        headers: { [name]: 'Bearer something' } }), (err) => {
        assert.equal(err.code, 'HEADER_FORBIDDEN', name);
        assert.ok(!err.message.includes('something'));
        return true;
      });
    }
    // The native layer refuses them too, whatever the TS layer let through.
    const err = await new Promise((resolve) => {
      sidecar.native.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: missing, method: 'POST',
        headers: ['AuThOrIzAtIoN', 'x'], query: [], body: '' }, null, (e) => resolve(e));
    });
    assert.equal(err.code, 'HEADER_FORBIDDEN');
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

test('base URLs with credentials, key-like queries or other schemes are refused', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  const host = `127.0.0.1:${srv.port}`;
  try {
    const bad = [
      `http://user:pass@${host}/v1`,
      `http://user@${host}`,
      `http://${host}/v1?key=abc`,
      `http://${host}/v1?api_key=abc`,
      `http://${host}/v1?apikey=abc`,
      `http://${host}/v1?TOKEN=abc`,
      `http://${host}/v1?access_token=abc`,
      `http://${host}/v1?x=${makeKey('Q')}`,
      `ftp://${host}/`,
      `file:///etc/passwd`,
      `${host}/v1`,
    ];
    for (const baseUrl of bad) {
      await assert.rejects(sidecar.request({ provider: 'openai', baseUrl, apiKeyRef: REF }), (err) => {
        assert.equal(err.code, 'BAD_BASE_URL', baseUrl);
        assert.ok(!err.message.includes(baseUrl) && !err.message.includes('abc'), err.message);
        return true;
      });
    }
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
      query: { key: 'abc' } }), { code: 'BAD_BASE_URL' });
    assert.equal(srv.requests.length, 0);
    // Harmless query parameters pass and are kept.
    await sidecar.request({ provider: 'gemini', baseUrl: `${srv.url}/v1beta?x=1`, apiKeyRef: REF,
      path: '/models/m:streamGenerateContent', query: { alt: 'sse' } });
    assert.equal(srv.requests[0].url, '/v1beta/models/m:streamGenerateContent?x=1&alt=sse');
  } finally {
    await srv.close();
  }
});

test('a resolved value with a line break is refused (SECRET_MALFORMED) and nothing is sent', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const ref = envRef(`${makeKey('M')}\r\nX-Injected: 1`);
  const missing = `env:KEYREF_TEST_MISSING_${process.pid}`;
  const sidecar = boundSidecar([ref, missing], [srv]);
  try {
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: ref }),
      (err) => {
        assert.equal(err.code, 'SECRET_MALFORMED');
        assertNoTrace(err.message + (err.hint ?? ''), makeKey('M'), 'error');
        return true;
      });
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url,
      apiKeyRef: missing }), { code: 'SECRET_NOT_FOUND' });
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

test('a server that echoes the key back (401 body, header, SSE event) yields no trace of it', async () => {
  const srv = await startServer((req, res) => {
    const sent = req.headers.authorization.slice('Bearer '.length);
    const start = sent.slice(0, 10);
    const end = sent.slice(-9);
    const middle = sent.slice(15, 27);
    if (req.url.startsWith('/stream')) {
      sse(res, [
        `data: {"echo":"${sent}"}\n\n`,
        `event: ${middle}\ndata: part ${start}...${end}\nid: ${middle}\n\n`,
        'data: [DONE]\n\n',
      ]);
      return;
    }
    res.writeHead(401, { 'content-type': 'application/json', 'x-echo': sent, 'x-frag': `${start}*${end}`,
      'www-authenticate': `Bearer realm="${middle}"` });
    res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${start}*****${end}. Full: ${sent}`,
      code: 'invalid_api_key' } }));
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, path: '/v1/chat' });
    assert.equal(res.status, 401);
    // The provider's own mask (10 + 9 characters: the public prefix, 7 of
    // the middle, the last 4) is no countable run and stays; the full echo
    // does not (docs/threat-model.md, "No oracle").
    assert.match(res.body, /Incorrect API key provided: sk-proj-.{2}\*{5}.{9}\. Full: \[REDACTED\]/);
    assert.equal(res.headers['x-echo'], '[REDACTED]');
    assertNoTrace(JSON.stringify(res), KEY, '401 response');

    const events = [];
    const streamed = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
      path: '/stream', onEvent: (e) => events.push(e) });
    assert.equal(streamed.status, 200);
    assert.equal(events.length, 3);
    assert.equal(events[0].data, '{"echo":"[REDACTED]"}');
    assert.equal(events[2].data, '[DONE]');
    assertNoTrace(JSON.stringify({ streamed, events }), KEY, 'events');
  } finally {
    await srv.close();
  }
});

// The native side keeps the scrubber of a key it sent a moment ago
// (KeyScrubberCache, key_scrubber.h) and hands it to later requests with
// the same value. What comes back must hold neither the key nor, after a
// change under the same ref, the old one. This checks that text only: it
// cannot tell which scrubber ran, since a request's key is live in the
// instance's redactor too, which matches it with the same code (it passes
// with the cache keyed on the first 8 bytes of the key).
// key_scrubber_cache.test.js checks which one the cache hands out.
test('the second and later requests still scrub the key, and a changed value under the same ref too', async () => {
  const first = makeKey('R');
  const second = makeKey('T');
  const seen = [];
  const srv = await startServer((req, res) => {
    const sent = req.headers.authorization.slice('Bearer '.length);
    if (!seen.includes(sent)) seen.push(sent);
    const middle = sent.slice(15, 27);
    res.writeHead(401, { 'content-type': 'application/json', 'x-echo': sent });
    // This request's key, a run of its middle, and every key sent before.
    res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${sent}`, run: middle,
      earlier: seen.filter((k) => k !== sent) } }));
  });
  // apiKeyRef: an env: ref to a variable holding a made-up key, changed
  // between the rounds below (as a user rotating the key and restarting:
  // a Sidecar reads the environment as it was when it was made).
  const ref = envRef(first);
  let sidecar = boundSidecar(ref, [srv]);
  try {
    for (let i = 0; i < 4; i++) {
      const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: ref, path: '/v1/x' });
      assert.equal(res.status, 401);
      const body = JSON.parse(res.body);
      assert.equal(body.error.message, 'Incorrect API key provided: [REDACTED]', `request ${i}`);
      assert.equal(body.error.run, '[REDACTED]', `request ${i}`);
      assert.equal(res.headers['x-echo'], '[REDACTED]', `request ${i}`);
      assertNoTrace(JSON.stringify(res), first, `request ${i}`);
    }
    process.env[ref.slice('env:'.length)] = second;
    sidecar.close();
    sidecar = boundSidecar(ref, [srv]);
    for (let i = 0; i < 3; i++) {
      const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: ref, path: '/v1/x' });
      const body = JSON.parse(res.body);
      assert.equal(body.error.message, 'Incorrect API key provided: [REDACTED]', `changed ${i}`);
      assert.equal(body.error.run, '[REDACTED]', `changed ${i}`);
      assertNoTrace(JSON.stringify(res), second, `changed ${i}`);
      // The old value, echoed by the server after the change: not this
      // request's key, so its scrubber does not hold it; the instance's
      // redactor still does (the process remembers the fingerprints of
      // values it resolved, whichever Sidecar resolved them,
      // docs/redaction.md).
      assert.deepEqual(body.error.earlier, ['[REDACTED]'], `changed ${i}`);
      assertNoTrace(JSON.stringify(res), first, `changed ${i}, old value`);
    }
    assert.deepEqual(seen, [first, second]);
  } finally {
    await srv.close();
  }
});

test('every HTTP status resolves; connection refused rejects with CONNECT_FAILED', async () => {
  const srv = await startServer((req, res) => {
    const status = Number(req.url.slice(1));
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    for (const status of [200, 204, 301, 400, 403, 404, 429, 500, 502, 503]) {
      const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
        method: 'GET', path: `/${status}` });
      assert.equal(res.status, status);
      if (status !== 204) assert.equal(res.body, `status ${status}`);
    }
  } finally {
    await srv.close();
  }
  const { closedPort } = require('./helpers/request_helpers');
  const port = await closedPort();
  const bound = boundSidecar(REF, [`http://127.0.0.1:${port}`]);
  await assert.rejects(bound.request({ provider: 'openai', baseUrl: `http://127.0.0.1:${port}`, apiKeyRef: REF }),
    { code: 'CONNECT_FAILED' });
});

test('retries are off by default; when on they honour Retry-After for 429 and 503', async () => {
  let n = 0;
  const srv = await startServer((req, res) => {
    n++;
    if (n % 3 === 1) {
      res.writeHead(429, { 'retry-after': '0' });
      res.end('slow down');
    } else if (n % 3 === 2) {
      res.writeHead(503, { 'retry-after': '1' });
      res.end('busy');
    } else {
      okJson(res);
    }
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const first = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF });
    assert.equal(first.status, 429);
    assert.equal(srv.requests.length, 1);
    n = 0;
    const t0 = Date.now();
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, retries: 2 });
    const took = Date.now() - t0;
    assert.equal(res.status, 200);
    assert.equal(srv.requests.length, 4);
    assert.ok(took >= 900, `waited for Retry-After: 1 (${took} ms)`);
  } finally {
    await srv.close();
  }
});

test('keep-alive: sequential requests to one origin reuse a connection', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  try {
    for (let i = 0; i < 20; i++) {
      await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, body: { i } });
    }
    const sockets = new Set(srv.requests.map((r) => r.socket));
    assert.equal(srv.requests.length, 20);
    assert.ok(sockets.size <= 2, `used ${sockets.size} connections`);
  } finally {
    await srv.close();
  }
});

test('a kept-alive connection the server has since closed is replaced transparently', async () => {
  const srv = await startServer((req, res) => okJson(res));
  const sidecar = boundSidecar(REF, [srv]);
  srv.server.keepAliveTimeout = 100;
  try {
    for (let i = 0; i < 3; i++) {
      const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, body: { i } });
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(srv.requests.length, 3);
  } finally {
    await srv.close();
  }
});

test('200 concurrent requests all complete with their own answers', async () => {
  const srv = await startServer((req, res, body) => {
    setTimeout(() => okJson(res, { echo: JSON.parse(body).n, auth: req.headers.authorization === `Bearer ${KEY}` }), 20);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const n = 200;
    const results = await Promise.all(Array.from({ length: n }, (_, i) =>
      sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, body: { n: i } })));
    assert.equal(results.length, n);
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { echo: i, auth: true });
    });
    assert.equal(srv.requests.length, n);
  } finally {
    await srv.close();
  }
});

test('options are checked precisely before native code runs', async () => {
  const base = { provider: 'openai', baseUrl: 'http://127.0.0.1:1', apiKeyRef: REF };
  const cases = [
    [undefined, 'TypeError'],
    [{ ...base, provider: 'OpenAI' }, 'RangeError'],
    [{ ...base, provider: 42 }, 'TypeError'],
    [{ ...base, baseUrl: 1 }, 'TypeError'],
    [{ ...base, apiKeyRef: undefined }, 'TypeError'],
    [{ ...base, method: 'get' }, 'RangeError'],
    [{ ...base, path: 'v1' }, 'RangeError'],
    [{ ...base, path: '/v1?key=1' }, 'RangeError'],
    [{ ...base, headers: { 'x-a': 'a\nb' } }, 'RangeError'],
    [{ ...base, headers: { 'bad name': 'x' } }, 'RangeError'],
    [{ ...base, headers: { 'x-a': 1 } }, 'TypeError'],
    [{ ...base, body: 42 }, 'TypeError'],
    [{ ...base, method: 'GET', body: 'x' }, 'RangeError'],
    [{ ...base, timeoutMs: 0 }, 'RangeError'],
    [{ ...base, timeoutMs: '5' }, 'TypeError'],
    [{ ...base, signal: {} }, 'TypeError'],
    [{ ...base, onEvent: 'x' }, 'TypeError'],
    [{ ...base, proxy: 1 }, 'TypeError'],
    [{ ...base, retries: 11 }, 'RangeError'],
    [{ ...base, referer: 'x' }, 'RangeError'],
    [{ ...base, apiVersion: '1' }, 'RangeError'],
    [{ ...base, unknownOption: 1 }, 'RangeError'],
  ];
  for (const [opts, name] of cases) {
    await assert.rejects(sidecar.request(opts), { name }, JSON.stringify(opts));
  }
  const literal = makeKey('L');
  await assert.rejects(sidecar.request({ ...base, apiKeyRef: literal }), (err) => {
    assert.equal(err.code, 'REF_LITERAL_SECRET');
    assertNoTrace(err.message, literal, 'error');
    return true;
  });
});

// Response header names are the server's to choose (and come back in lower
// case): `constructor` and `__proto__` are headers like any other. Before, the join
// of repeated names tested `name in h`, so `constructor` came back as
// "function Object() { [native code] }, x" and `__proto__` was dropped.
test('response headers named like Object.prototype members come back as sent', async () => {
  const srv = await startServer((req, res) => {
    res.writeHead(200, ['constructor', 'x', '__proto__', 'y', 'x-dup', '1', 'x-dup', '2',
      'content-type', 'text/plain']);
    res.end('ok');
  });
  try {
    const res = await sidecar.request({ provider: 'ollama', baseUrl: srv.url, method: 'GET', path: '/h' });
    assert.equal(res.status, 200);
    assert.equal(Object.getPrototypeOf(res.headers), Object.prototype);
    assert.equal(Object.hasOwn(res.headers, 'constructor') && res.headers.constructor, 'x');
    assert.equal(Object.hasOwn(res.headers, '__proto__') && Object.getOwnPropertyDescriptor(res.headers, '__proto__').value, 'y');
    assert.deepEqual(Object.keys(res.headers).filter((k) => !/^(content-|date|connection|keep-alive|transfer-)/.test(k))
      .sort(), ['__proto__', 'constructor', 'x-dup']);
    assert.equal(res.headers['x-dup'], '1, 2');
  } finally {
    await srv.close();
  }
});
