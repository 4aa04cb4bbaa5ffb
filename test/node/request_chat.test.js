'use strict';
// chat(): the typed provider client over sidecar.request, against the
// loopback OpenAI-compatible example server and small Anthropic- and
// Gemini-shaped servers started here.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Sidecar, chat } = require('../..');
const { startOpenAIServer } = require('../../examples/openai_server');
const { demoChat } = require('../../examples/demo_chat');
const { makeKey, envRef, assertNoTrace, startServer, sse, boundSidecar } = require('./helpers/request_helpers');

const KEY = makeKey('C');
// apiKeyRef for these tests: an env: ref to a variable holding KEY (a
// made-up key); never the key itself.
const REF = envRef(KEY);
const sidecar = new Sidecar();
const messages = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'ping' },
];

test('openai-compatible: streams deltas and returns the final message', async () => {
  const srv = await startOpenAIServer({ expectedKey: KEY, delayMs: 1 });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const deltas = [];
    const r = await chat(sidecar, { provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: REF,
      model: 'loopback-mini', messages, onDelta: (t) => deltas.push(t) });
    assert.equal(r.role, 'assistant');
    assert.match(r.content, /You said: "ping"/);
    assert.equal(deltas.join(''), r.content);
    assert.ok(deltas.length > 5);
    assert.equal(r.finishReason, 'stop');
    assert.equal(srv.requests.at(-1).authorized, true);

    const whole = await chat(sidecar, { provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: REF,
      model: 'loopback-mini', messages, stream: false });
    assert.equal(whole.content, r.content);
    assert.equal(whole.usage.total_tokens > 0, true);
  } finally {
    await srv.close();
  }
});

test('a wrong key: chat throws with the status and a scrubbed body', async () => {
  const srv = await startOpenAIServer({ expectedKey: makeKey('X') });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    await assert.rejects(chat(sidecar, { provider: 'openai', baseUrl: srv.url, apiKeyRef: REF, model: 'm', messages }),
      (err) => {
        assert.equal(err.status, 401);
        // The server's mask shows the public prefix and the last 4 only.
        assert.match(err.message, /Incorrect API key provided: sk-proj-\*{10}/);
        assertNoTrace(err.message + err.body, KEY, 'chat error');
        return true;
      });
  } finally {
    await srv.close();
  }
});

test('anthropic: messages body and content_block_delta events', async () => {
  const srv = await startServer((req, res, body) => {
    const b = JSON.parse(body);
    assert.equal(req.url, '/v1/messages');
    assert.equal(req.headers['x-api-key'], KEY);
    assert.equal(b.system, 'Be brief.');
    assert.deepEqual(b.messages, [{ role: 'user', content: 'ping' }]);
    assert.equal(b.max_tokens, 64);
    const ev = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    sse(res, [
      ev('message_start', { message: { id: 'msg_1', role: 'assistant', content: [] } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('ping', {}),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }),
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
      ev('message_stop', {}),
    ]);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const deltas = [];
    const r = await chat(sidecar, { provider: 'anthropic', baseUrl: srv.url, apiKeyRef: REF, model: 'claude-x',
      messages, maxTokens: 64, onDelta: (t) => deltas.push(t) });
    // One token, held until it is complete (it could have been a key).
    assert.equal(deltas.join(''), 'Hello');
    assert.equal(r.content, 'Hello');
    assert.equal(r.finishReason, 'end_turn');
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

test('gemini: streamGenerateContent with alt=sse and the key in x-goog-api-key', async () => {
  const srv = await startServer((req, res, body) => {
    const b = JSON.parse(body);
    assert.deepEqual(b.contents, [{ role: 'user', parts: [{ text: 'ping' }] }]);
    assert.deepEqual(b.systemInstruction, { parts: [{ text: 'Be brief.' }] });
    const chunk = (text, finishReason) => `data: ${JSON.stringify({ candidates: [{ content: { role: 'model',
      parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) }] })}\r\n\r\n`;
    sse(res, [chunk('Hi '), chunk('there', 'STOP')]);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const r = await chat(sidecar, { provider: 'gemini', baseUrl: `${srv.url}/v1beta`, apiKeyRef: REF,
      model: 'gemini-2.0-flash', messages });
    assert.equal(r.content, 'Hi there');
    assert.equal(r.finishReason, 'STOP');
    const got = srv.requests[0];
    assert.equal(got.url, '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    assert.equal(got.headers['x-goog-api-key'], KEY);
    assertNoTrace(got.url, KEY, 'URL');
  } finally {
    await srv.close();
  }
});

test('chat checks its options', async () => {
  await assert.rejects(chat(sidecar, { provider: 'nope', model: 'm', messages }), { name: 'RangeError' });
  await assert.rejects(chat(sidecar, { provider: 'openai', apiKeyRef: REF, model: '', messages }), { name: 'TypeError' });
  await assert.rejects(chat(sidecar, { provider: 'openai', apiKeyRef: REF, model: 'm', messages: [] }), { name: 'TypeError' });
  await assert.rejects(chat(sidecar, { provider: 'openai', apiKeyRef: REF, model: 'm', messages: [{ role: 'x', content: 'y' }] }),
    { name: 'RangeError' });
  await assert.rejects(chat(sidecar, { provider: 'litellm', apiKeyRef: REF, model: 'm', messages }), { name: 'TypeError' });
});

test('the demo piece runs a streamed turn end to end', async () => {
  let out = '';
  const r = await demoChat({ write: (s) => { out += s; } });
  assert.match(r.content, /Hello from the loopback model/);
  assert.match(out, /apiKeyRef: env:KEYREF_DEMO_OPENAI_KEY/);
  assert.match(out, /the server saw an authorised request: true/);
  // The server's own mask (as OpenAI's: the start and the last 4) is no
  // countable run, so it arrives as sent (docs/threat-model.md, "No oracle").
  assert.match(out, /HTTP 401: Incorrect API key provided: sk-demo-\*{10}[A-Za-z0-9_-]{4}\./);
});

// Last mile (docs/threat-model.md, "Responses"): what chat() decodes and
// joins is scrubbed after it did so.
const u = (s) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

test('a key echoed in 4-character deltas is caught before its last piece is shown', async () => {
  const pieces = [];
  const text = `Sure, your key is ${KEY} as asked. Bye now`;
  for (let i = 0; i < text.length; i += 4) pieces.push(text.slice(i, i + 4));
  const srv = await startServer((req, res) => {
    sse(res, [...pieces.map((p) => `data: ${JSON.stringify({ choices: [{ delta: { content: p } }] })}\n\n`),
      `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n']);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    let shown = '';
    const r = await chat(sidecar, { provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: REF, model: 'm',
      messages, onDelta: (t) => {
        shown += t;
        assertNoTrace(shown, KEY, 'the deltas shown so far');
      } });
    assert.equal(r.content, shown);
    assert.equal(r.content, 'Sure, your key is [REDACTED] as asked. Bye now');
  } finally {
    await srv.close();
  }
});

test('a \\u-escaped key in a JSON error body or an SSE error event is scrubbed after decoding', async () => {
  const srv = await startServer((req, res) => {
    if (req.url.endsWith('/v1/messages')) {
      sse(res, [`event: error\ndata: {"type":"error","error":{"type":"x","message":"bad key ${u(KEY)}"}}\n\n`]);
      return;
    }
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(`{"error":{"message":"Incorrect API key provided: ${u(KEY)}"}}`);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    await assert.rejects(chat(sidecar, { provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: REF,
      model: 'm', messages }), (err) => {
      assert.equal(err.status, 401);
      assert.match(err.message, /Incorrect API key provided: \[REDACTED\]/);
      assertNoTrace(err.message, KEY, 'the error message');
      assertNoTrace(JSON.stringify(JSON.parse(err.body)), KEY, 'the decoded body');
      return true;
    });
    await assert.rejects(chat(sidecar, { provider: 'anthropic', baseUrl: srv.url, apiKeyRef: REF,
      model: 'claude-x', messages }), (err) => {
      assert.match(err.message, /bad key \[REDACTED\]/);
      assertNoTrace(err.message, KEY, 'the error event message');
      assertNoTrace(JSON.stringify(JSON.parse(err.body)), KEY, 'the decoded event');
      return true;
    });
  } finally {
    await srv.close();
  }
});

test('request(): a key with every byte percent-encoded is scrubbed', async () => {
  const pct = [...KEY].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
  const srv = await startServer((req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain', 'x-echo': pct });
    res.end(`bad key=${pct}&retry=no`);
  });
  const sidecar = boundSidecar(REF, [srv]);
  try {
    const res = await sidecar.request({ provider: 'openai-compatible', baseUrl: srv.url, apiKeyRef: REF,
      method: 'GET', path: '/x' });
    assert.equal(res.body, 'bad key=[REDACTED]&retry=no');
    assertNoTrace(decodeURIComponent(JSON.stringify(res.headers)), KEY, 'the decoded headers');
  } finally {
    await srv.close();
  }
});
