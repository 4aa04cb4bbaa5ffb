'use strict';
// Streaming and failure paths of sidecar.request against real loopback
// servers: events in order, abort mid-stream, timeouts, dropped connections.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sidecar } = require('../..');
const { makeKey, envRef, startServer, sse, boundSidecar } = require('./helpers/request_helpers');

const KEY = makeKey('S');
// apiKeyRef for these tests: an env: ref to a variable holding KEY (a
// made-up key); never the key itself.
const REF = envRef(KEY);
const sidecar = new Sidecar();

test('server-sent events arrive one at a time, in order, split however the socket splits them', async () => {
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let text = '';
    for (let i = 0; i < 500; i++) text += `event: n\r\ndata: {"i":${i}}\r\ndata: second line\r\n\r\n`;
    // Write in awkward pieces so events straddle chunk boundaries.
    let pos = 0;
    const step = () => {
      if (pos >= text.length) return res.end();
      const n = 1 + (pos % 97);
      res.write(text.slice(pos, pos + n));
      pos += n;
      if (pos % 5 === 0) setImmediate(step); else step();
    };
    step();
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const seen = [];
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
      onEvent: (e) => seen.push(e) });
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(seen.length, 500);
    seen.forEach((e, i) => {
      assert.equal(e.event, 'n');
      assert.equal(e.data, `{"i":${i}}\nsecond line`);
    });
  } finally {
    await srv.close();
  }
});

test('event fields keep their text through batching: UTF-8, ill-formed bytes, event and id', async () => {
  // Native code hands events over in batches, all fields in one string
  // (native/include/keyref/sse_batch.h). Each field must come out as if it
  // had been decoded alone: as Buffer#toString decodes it (one U+FFFD per
  // ill-formed subpart), with no bytes of one field joining the next
  // field's, however many events share a batch.
  const pieces = [Buffer.from('a'), Buffer.from(' '), Buffer.from('é'), Buffer.from('€'), Buffer.from('😀'),
    Buffer.from([0xe2, 0x82]), Buffer.from([0xac]), Buffer.from([0xf0, 0x9f]), Buffer.from([0x80]),
    Buffer.from([0xc0]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff])];
  let seed = 12345;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const field = () => Buffer.concat(Array.from({ length: rand(12) }, () => pieces[rand(pieces.length)]));
  const events = [];
  for (let i = 0; i < 3000; i++) {
    events.push({ data: Buffer.concat([Buffer.from(`${i}:`), field()]), event: i % 3 ? field() : Buffer.alloc(0),
      id: i % 5 ? Buffer.alloc(0) : Buffer.concat([Buffer.from(`${i}`), field()]) });
  }
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of events) {
      const lines = [];
      if (e.event.length) lines.push(Buffer.from('event: '), e.event, Buffer.from('\n'));
      if (e.id.length) lines.push(Buffer.from('id: '), e.id, Buffer.from('\n'));
      lines.push(Buffer.from('data: '), e.data, Buffer.from('\n\n'));
      res.write(Buffer.concat(lines));
    }
    res.end();
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const seen = [];
    await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, onEvent: (e) => seen.push(e) });
    assert.equal(seen.length, events.length);
    let lastId = '';
    events.forEach((e, i) => {
      if (e.id.length) lastId = e.id.toString('utf8');
      assert.deepEqual(seen[i], { data: e.data.toString('utf8'), event: e.event.toString('utf8'), id: lastId },
        `event ${i}`);
    });
  } finally {
    await srv.close();
  }
});

test('a slow onEvent never stalls the native reader', async () => {
  // The server runs in its own process (an in-process server would be
  // stalled by the busy JS thread too) and sends ~20 MB, far more than the
  // socket buffers hold: it can only finish if keyref keeps reading while
  // the JS thread is blocked in the first onEvent call.
  const { fork } = require('node:child_process');
  const path = require('node:path');
  const child = fork(path.join(__dirname, 'helpers', 'request_flood_server.js'), [], { stdio: 'ignore' });
  try {
    const messages = [];
    child.on('message', (m) => messages.push(m));
    const deadline = Date.now() + 5000;
    while (!messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const { port } = messages[0];
    const sidecar = boundSidecar(REF, [`http://127.0.0.1:${port}`]);
    let count = 0;
    let unblockedAt = 0;
    const res = await sidecar.request({ provider: 'openai', baseUrl: `http://127.0.0.1:${port}`, apiKeyRef: REF,
      method: 'GET', timeoutMs: 60000, onEvent: () => {
        if (count++ === 0) {
          // Long enough for the reader to take the whole flood even on a loaded
          // 2-core CI machine (per-event scrubbing is the reader's main cost).
          const until = Date.now() + 10000;
          while (Date.now() < until) { /* a JS callback that is far too slow */ }
          unblockedAt = Date.now();
        }
      } });
    assert.equal(res.status, 200);
    assert.equal(count, 200000);
    while (!messages.some((m) => m.finishedAt) && Date.now() < deadline + 20000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const { finishedAt } = messages.find((m) => m.finishedAt);
    assert.ok(finishedAt < unblockedAt,
      `the server finished sending ${unblockedAt - finishedAt} ms before the JS thread was free again`);
  } finally {
    child.kill();
  }
});

test('memory stays bounded: a blocked onEvent stops the reader once 64 MiB of events wait', async () => {
  // ~165 MB of events while the JS thread is blocked: the reader keeps
  // reading (well past the socket buffers) until 64 MiB wait for JS, then
  // waits, so the server stalls; once JS is free everything arrives.
  const { fork } = require('node:child_process');
  const path = require('node:path');
  const child = fork(path.join(__dirname, 'helpers', 'request_flood_server.js'), [], {
    stdio: 'ignore', env: { ...process.env, FLOOD_EVENTS: '1800000' } });
  try {
    const messages = [];
    child.on('message', (m) => messages.push(m));
    const deadline = Date.now() + 5000;
    while (!messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const { port } = messages[0];
    const sidecar = boundSidecar(REF, [`http://127.0.0.1:${port}`]);
    let count = 0;
    let unblockedAt = 0;
    const res = await sidecar.request({ provider: 'openai', baseUrl: `http://127.0.0.1:${port}`, apiKeyRef: REF,
      method: 'GET', timeoutMs: 120000, onEvent: () => {
        if (count++ === 0) {
          // Long enough to reach the 64 MiB bound even on a loaded 2-core machine.
          const until = Date.now() + 15000;
          while (Date.now() < until) { /* blocked */ }
          unblockedAt = Date.now();
        }
      } });
    assert.equal(res.status, 200);
    assert.equal(count, 1800000);
    while (!messages.some((m) => m.finishedAt) && Date.now() < deadline + 60000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const before = messages.filter((m) => m.bytes && m.at < unblockedAt).map((m) => m.bytes);
    const sentWhileBlocked = before.length ? Math.max(...before) : 0;
    const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
    assert.ok(sentWhileBlocked >= 60e6, `the reader kept reading while JS was blocked (${mb(sentWhileBlocked)})`);
    assert.ok(sentWhileBlocked < 110e6, `the reader stopped near the bound (${mb(sentWhileBlocked)} sent)`);
    assert.ok(messages.find((m) => m.finishedAt).finishedAt > unblockedAt);
  } finally {
    child.kill();
  }
});

test('with onEvent, a non-stream answer (e.g. a 401 JSON body) comes back as the body', async () => {
  const srv = await startServer((req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"error":"nope"}');
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const seen = [];
    const res = await sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
      onEvent: (e) => seen.push(e) });
    assert.equal(res.status, 401);
    assert.equal(res.body, '{"error":"nope"}');
    assert.equal(seen.length, 0);
  } finally {
    await srv.close();
  }
});

test('abort mid-stream rejects with REQUEST_ABORTED promptly and closes the connection', async () => {
  let timer;
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    timer = setInterval(() => res.write(`data: tick ${i++}\n\n`), 10);
    res.on('close', () => clearInterval(timer));
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const ac = new AbortController();
    let abortedAt = 0;
    const seen = [];
    const p = sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, signal: ac.signal,
      onEvent: (e) => {
        seen.push(e.data);
        if (seen.length === 3) {
          abortedAt = performance.now();
          ac.abort();
        }
      } });
    await assert.rejects(p, { code: 'REQUEST_ABORTED' });
    const rejectMs = performance.now() - abortedAt;
    assert.ok(rejectMs < 100, `rejected ${rejectMs.toFixed(1)} ms after abort`);
    // The server sees its socket close.
    const deadline = Date.now() + 2000;
    while (srv.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(srv.sockets.size, 0, 'the server socket is still open');
    const closeMs = srv.closed[0] - (Date.now() - (performance.now() - abortedAt));
    assert.ok(closeMs < 100, `the server saw the close ${closeMs.toFixed(1)} ms after abort`);
    assert.deepEqual(seen.slice(0, 3), ['tick 0', 'tick 1', 'tick 2']);
  } finally {
    clearInterval(timer);
    await srv.close();
  }
});

test('an already aborted signal rejects without sending', async () => {
  const srv = await startServer((req, res) => res.end('x'));
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, signal: ac.signal }),
      { code: 'REQUEST_ABORTED' });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

test('a throwing onEvent rejects with what it threw and stops the stream', async () => {
  let timer;
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    timer = setInterval(() => res.write('data: x\n\n'), 10);
    res.on('close', () => clearInterval(timer));
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const boom = new Error('boom');
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF,
      onEvent: () => { throw boom; } }), (err) => err === boom);
    const deadline = Date.now() + 2000;
    while (srv.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(srv.sockets.size, 0);
  } finally {
    clearInterval(timer);
    await srv.close();
  }
});

test('a server that never answers: timeoutMs and readTimeoutMs give REQUEST_TIMEOUT', async () => {
  const srv = await startServer(() => { /* never answers */ });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    let t0 = Date.now();
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, timeoutMs: 300 }),
      { code: 'REQUEST_TIMEOUT' });
    let took = Date.now() - t0;
    assert.ok(took >= 250 && took < 2000, `total timeout after ${took} ms`);
    t0 = Date.now();
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, readTimeoutMs: 300 }),
      { code: 'REQUEST_TIMEOUT' });
    took = Date.now() - t0;
    assert.ok(took >= 250 && took < 2000, `read timeout after ${took} ms`);
  } finally {
    await srv.close();
  }
});

test('a stream that goes silent hits the total timeout, after the events it sent', async () => {
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const seen = [];
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, timeoutMs: 300,
      onEvent: (e) => seen.push(e.data) }), { code: 'REQUEST_TIMEOUT' });
    assert.deepEqual(seen, ['one']);
  } finally {
    await srv.close();
  }
});

test('a connection dropped mid-body rejects with CONNECT_FAILED', async () => {
  const srv = await startServer((req, res) => {
    if (req.url === '/length') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket.destroy(), 20);
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: a\n\ndata: b\n\n');
      setTimeout(() => res.socket.destroy(), 20);
    }
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, path: '/length' }),
      (err) => {
        assert.equal(err.code, 'CONNECT_FAILED');
        assert.match(err.message, /closed before the response was complete/);
        return true;
      });
    const seen = [];
    await assert.rejects(sidecar.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, path: '/sse',
      onEvent: (e) => seen.push(e.data) }), { code: 'CONNECT_FAILED' });
    assert.deepEqual(seen, ['a', 'b']);
  } finally {
    await srv.close();
  }
});

test('closing the Sidecar stops its running requests', async () => {
  const srv = await startServer(() => { /* never answers */ });
  const own = boundSidecar(REF, [srv]);
  try {
    const p = own.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF });
    await new Promise((r) => setTimeout(r, 50));
    own.close();
    await assert.rejects(p, { code: 'REQUEST_ABORTED' });
  } finally {
    await srv.close();
  }
});

test('a request outlives a dropped Sidecar (garbage collection does not stop it)', async () => {
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const srv = await startServer((req, res) => setTimeout(() => res.end('late but fine'), 300));
  try {
    // Control: a dropped Sidecar with no request is collected here, so the
    // request below would be stopped if nothing kept its Sidecar alive.
    let collected = 0;
    const registry = new FinalizationRegistry(() => { collected++; });
    // (The native object is what matters: its finalizer closes the instance.)
    (() => { registry.register(new Sidecar().native, 'idle'); })();
    const p = (() => {
      const s = boundSidecar(REF, [srv]);
      registry.register(s.native, 'busy');
      return s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: REF });
    })();
    for (let i = 0; i < 10 && collected === 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(collected, 1, 'the idle Sidecar was collected, the busy one was not');
    const res = await p;
    assert.equal(res.body, 'late but fine');
  } finally {
    await srv.close();
  }
});
