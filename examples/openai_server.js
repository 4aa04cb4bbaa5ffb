'use strict';
// A small OpenAI-compatible server on 127.0.0.1 for the demo and tests:
// POST /v1/chat/completions (with `stream: true` it answers with
// server-sent `chat.completion.chunk` deltas, then `data: [DONE]`) and
// GET /v1/models. It checks `Authorization: Bearer …` against an expected
// key it is given out of band (an option, or KEYREF_DEMO_EXPECTED_KEY when
// run by itself); a wrong key gets OpenAI's 401 answer, which echoes the
// start and end of the key it got, as the real API does.
const http = require('node:http');

function reply(messages) {
  const last = [...messages].reverse().find((m) => m && m.role === 'user');
  const said = last && typeof last.content === 'string' ? last.content : '';
  return `Hello from the loopback model. You said: "${said}". ` +
    'The key that authorised this reply never left keyref\'s native code.';
}

function words(text) {
  return text.match(/\S+\s*/g) || [];
}

/**
 * Starts the server. Resolves to { url, port, requests, close() }; `url` is
 * the base URL to use (`http://127.0.0.1:PORT/v1`).
 * @param {{ expectedKey: string, port?: number, delayMs?: number }} options
 */
async function startOpenAIServer({ expectedKey, port = 0, delayMs = 15 } = {}) {
  if (typeof expectedKey !== 'string' || expectedKey === '') {
    throw new TypeError('startOpenAIServer: expectedKey (string) is required');
  }
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const auth = req.headers.authorization || '';
      requests.push({ method: req.method, url: req.url, authorized: auth === `Bearer ${expectedKey}` });
      const json = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (auth !== `Bearer ${expectedKey}`) {
        const got = auth.replace(/^Bearer /, '');
        const shown = got.length > 12 ? `${got.slice(0, 8)}${'*'.repeat(10)}${got.slice(-4)}` : got;
        json(401, { error: { message: `Incorrect API key provided: ${shown}. You can find your API key at ` +
          'https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', code: 'invalid_api_key' } });
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        json(200, { object: 'list', data: [{ id: 'loopback-mini', object: 'model', owned_by: 'keyref-demo' }] });
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        json(404, { error: { message: 'Not found', type: 'invalid_request_error' } });
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        json(400, { error: { message: 'The body is not JSON.', type: 'invalid_request_error' } });
        return;
      }
      const model = typeof body.model === 'string' ? body.model : 'loopback-mini';
      const text = reply(Array.isArray(body.messages) ? body.messages : []);
      const id = `chatcmpl-${Date.now().toString(36)}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = { prompt_tokens: 12, completion_tokens: words(text).length, total_tokens: 12 + words(text).length };
      if (!body.stream) {
        json(200, { id, object: 'chat.completion', created, model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta, finish = null) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created,
        model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const parts = words(text);
      let i = -1;
      const timer = setInterval(() => {
        if (i === -1) res.write(chunk({ role: 'assistant', content: '' }));
        else if (i < parts.length) res.write(chunk({ content: parts[i] }));
        else {
          clearInterval(timer);
          res.write(chunk({}, 'stop'));
          if (body.stream_options && body.stream_options.include_usage) {
            res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
          }
          res.end('data: [DONE]\n\n');
        }
        i++;
      }, delayMs);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}/v1`,
    port: actual,
    requests,
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startOpenAIServer };

if (require.main === module) {
  const expectedKey = process.env.KEYREF_DEMO_EXPECTED_KEY;
  if (!expectedKey) {
    console.error('Set KEYREF_DEMO_EXPECTED_KEY to the key the server should accept.');
    process.exit(2);
  }
  startOpenAIServer({ expectedKey, port: Number(process.env.PORT || 0) }).then((s) => {
    console.log(`OpenAI-compatible server listening on ${s.url}`);
  });
}
