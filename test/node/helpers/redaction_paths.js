'use strict';
// The paths the canary test (redaction.test.js) drives, one entry each. A
// path runs in the child process, where the canary is only in the
// environment (CANARY_VAR), and returns every string keyref handed back to
// it; the log lines emitted meanwhile are added by the runner. `expect`
// runs in the parent on what came back and proves the path really carried
// the value (so the test can fail). To cover a new surface (check, request,
// events…), add an entry here.
//
// This file only exports data: node --test may load it as a test file.

/** @typedef {{ sidecar: (extra?: object) => any, describeError: (e: unknown) => string[],
 *   settle: () => Promise<void>, hostTexts: () => string[], lines: string[],
 *   server: (handler: (req: any, res: any, key: string) => void, carriedEnv?: string) =>
 *     Promise<{ url: string, seen: { requests: number, carried: number, closed: number } }>,
 *   waitFor: (cond: () => boolean, ms?: number) => Promise<boolean> }} Ctx */

const paths = [
  {
    name: 'resolve, then log the value at every level, LogRequest with bodies, provider error echoing it',
    async run(ctx) {
      const s = ctx.sidecar();
      try {
        await s.native._redactionProbe('env:CANARY_VAR');
        return ['probe resolved: expected a rejection'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect(emitted, lines) {
      if (!emitted.includes('SOURCE_DENIED')) return 'the probe did not fail with SOURCE_DENIED';
      if (!lines.some((l) => l.includes('request POST https://provider.invalid'))) return 'no request line';
      if (!lines.some((l) => l.startsWith('trace') && l.includes('response-body'))) return 'no body line';
      if (lines.filter((l) => l.includes('[REDACTED]')).length < 10) return 'too few redacted lines';
      return null;
    },
  },
  {
    name: 'redact() of host strings after the value was resolved and wiped, on a second instance too',
    async run(ctx) {
      const a = ctx.sidecar();
      await a.native._redactionProbe('env:CANARY_VAR').catch(() => {});
      a.close();  // wipes what a holds; the fingerprints stay
      const b = ctx.sidecar();
      const out = [];
      for (const text of ctx.hostTexts()) out.push(a.redact(text), b.redact(text));
      await ctx.settle();
      return out;
    },
    expect(emitted) {
      if (emitted.length < 10) return 'no host strings were scrubbed';
      const bad = emitted.filter((s) => !s.includes('[REDACTED]'));
      return bad.length ? `${bad.length} outputs without a marker` : null;
    },
  },
  {
    name: 'missing secret',
    async run(ctx) {
      try {
        await ctx.sidecar().native._redactionProbe('env:CANARY_MISSING_VAR');
        return ['resolved: expected SECRET_NOT_FOUND'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('SECRET_NOT_FOUND') ? null : 'expected SECRET_NOT_FOUND'),
  },
  {
    name: 'malformed value (a line break), never registered',
    async run(ctx) {
      try {
        await ctx.sidecar().native._redactionProbe('env:CANARY_MALFORMED');
        return ['resolved: expected SECRET_MALFORMED'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('SECRET_MALFORMED') ? null : 'expected SECRET_MALFORMED'),
  },
  {
    name: 'a literal key given where a ref belongs',
    async run(ctx) {
      const literal = ctx.literal();
      const out = [];
      try {
        await ctx.sidecar().native._redactionProbe(literal);
        out.push('resolved: expected REF_LITERAL_SECRET');
      } catch (e) {
        out.push(...ctx.describeError(e));
      }
      const { parseRef } = require('../../..');
      out.push(JSON.stringify(parseRef(literal)));
      await ctx.settle();
      return out;
    },
    expect: (emitted) => (emitted.includes('REF_LITERAL_SECRET') ? null : 'expected REF_LITERAL_SECRET'),
  },
  {
    name: 'closed sidecar',
    async run(ctx) {
      const s = ctx.sidecar();
      s.close();
      try {
        await s.native._redactionProbe('env:CANARY_VAR');
        return ['resolved after close'];
      } catch (e) {
        await ctx.settle();
        return ctx.describeError(e);
      }
    },
    expect: (emitted) => (emitted.includes('INTERNAL') ? null : 'expected INTERNAL'),
  },
  {
    name: 'a throwing log callback does not crash and leaks nothing',
    async run(ctx) {
      const s = ctx.sidecar({ log: () => { throw new Error('host log failed'); } });
      const out = [];
      await s.native._redactionProbe('env:CANARY_VAR').catch((e) => out.push(...ctx.describeError(e)));
      await ctx.settle();
      out.push('still alive');
      return out;
    },
    expect: (emitted) => (emitted.includes('still alive') ? null : 'the process did not survive'),
  },
  // --- The public surface, path by path (docs/redaction.md's list). A path returns
  // everything keyref handed back (results, responses, events, errors) plus
  // proof lines ("carried N/M": of M requests the server saw, N had exactly
  // the canary in their key header), which `expect` requires.
  {
    name: 'check() and status(): the canary ref, a malformed and a missing one',
    async run(ctx) {
      const s = ctx.sidecar();
      const out = [];
      for (const ref of ['env:CANARY_VAR', 'env:CANARY_MALFORMED', 'env:CANARY_MISSING_VAR']) {
        out.push(JSON.stringify(await s.check(ref)));
      }
      out.push(JSON.stringify(await s.status()));
      return out;
    },
    expect(emitted) {
      if (emitted[0] !== '{"ok":true,"scheme":"env"}') return 'check of the canary ref did not succeed';
      if (!emitted[1].includes('"SECRET_MALFORMED"')) return 'malformed ref: expected SECRET_MALFORMED';
      if (!emitted[2].includes('"SECRET_NOT_FOUND"')) return 'missing ref: expected SECRET_NOT_FOUND';
      if (!emitted[3].includes('"scheme":"keyring"')) return 'status() listed no keyring';
      return null;
    },
  },
  {
    name: 'request with success: a JSON answer, an SSE stream and chat()',
    async run(ctx) {
      const srv = await ctx.server((req, res) => {
        if (req.url.startsWith('/v1/stream')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"choices":[{"delta":{"content":"hel"}}]}\n\n');
          res.write('data: {"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n');
          res.end('data: [DONE]\n\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req-1' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'hello' },
          finish_reason: 'stop' }] }));
      });
      const s = ctx.sidecar();
      const out = [];
      const base = { provider: 'openai', baseUrl: `${srv.url}/v1`, apiKeyRef: 'env:CANARY_VAR' };
      out.push(JSON.stringify(await s.request({ ...base, path: '/chat/completions', body: { q: 1 },
        headers: { 'x-client': 'canary-test' } })));
      const events = [];
      out.push(JSON.stringify(await s.request({ ...base, path: '/stream', onEvent: (e) => events.push(e) })));
      out.push(...events.map((e) => JSON.stringify(e)));
      const { chat } = require('../../..');
      out.push(JSON.stringify(await chat(s, { ...base, model: 'm', stream: false,
        messages: [{ role: 'user', content: 'hi' }] })));
      out.push(`events ${events.length}`, `carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted, lines) {
      if (!emitted.includes('carried 3/3')) return `the server did not get the canary 3 times: ${emitted.at(-1)}`;
      if (!emitted.includes('events 3')) return 'expected 3 events';
      if (!emitted[0].includes('"status":200') || !emitted[0].includes('hello')) return 'no 200 JSON answer';
      if (!emitted.some((e) => e.includes('"content":"hello"'))) return 'chat() returned no message';
      if (lines.filter((l) => /request POST http:\/\/127\.0\.0\.1:\d+\/v1\/.* status=200/.test(l)).length < 3) {
        return 'fewer than 3 trace request lines with status=200';
      }
      // The caller's request headers are logged with logBodies; the key
      // header is added at send time and never described, so the log
      // proves the ref, not the value.
      if (!lines.includes('trace request-header x-client: canary-test')) return 'no request-header line';
      if (!lines.some((l) => l.includes(' ref=env:CANARY_VAR scheme=env status=200'))) return 'no ref in the trace line';
      if (!lines.some((l) => l.startsWith('trace response-body ') && l.includes('hello'))) return 'no body line';
      return null;
    },
  },
  {
    name: 'request answered 401 that echoes the key in the body, a header and SSE events',
    async run(ctx) {
      // A provider that quotes the key back in every form the redactor
      // must know: raw, base64, base64url, percent-encoded, JSON-escaped,
      // and cut into runs of 8 to 12 characters.
      const echoes = (key) => {
        const json = JSON.stringify(key).slice(1, -1);
        return [`Incorrect API key provided: ${key.slice(0, 10)}*****${key.slice(-9)}`, `full=${key}`,
          `b64=${Buffer.from(key).toString('base64')}`, `b64url=${Buffer.from(key).toString('base64url')}`,
          `pct=${encodeURIComponent(key)}`, `json=${json}`, `mid=${key.slice(8, 20)}`,
          `basic=${Buffer.from(`user:${key}`).toString('base64')}`].join(' ');
      };
      const srv = await ctx.server((req, res, key) => {
        const headers = { 'x-echo': key, 'x-echo-b64': Buffer.from(key).toString('base64'),
          'www-authenticate': `Bearer realm="${key.slice(4, 16)}"`, 'set-cookie': `k=${key}` };
        if (req.url.includes('stream')) {
          const status = req.url.includes('stream401') ? 401 : 200;
          res.writeHead(status, { ...headers, 'content-type': 'text/event-stream' });
          res.write(`data: {"error":{"message":${JSON.stringify(echoes(key))}}}\n\n`);
          res.write(`event: ${key.slice(2, 14)}\nid: ${key}\ndata: ${key}\n\n`);
          res.end('data: [DONE]\n\n');
          return;
        }
        res.writeHead(401, { ...headers, 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: echoes(key), code: 'invalid_api_key' } }));
      });
      const s = ctx.sidecar();
      const out = [];
      const base = { provider: 'openai', baseUrl: `${srv.url}/v1`, apiKeyRef: 'env:CANARY_VAR' };
      out.push(JSON.stringify(await s.request({ ...base, path: '/chat/completions', body: { q: 1 } })));
      let events = 0;
      for (const p of ['/stream401', '/stream200']) {
        out.push(JSON.stringify(await s.request({ ...base, path: p,
          onEvent: (e) => { events += 1; out.push(JSON.stringify(e)); } })));
      }
      const { chat } = require('../../..');
      try {
        await chat(s, { ...base, model: 'm', messages: [{ role: 'user', content: 'hi' }] });
        out.push('chat resolved: expected a 401');
      } catch (e) {
        out.push(...ctx.describeError(e), `chat status ${e.status}`, String(e.body));
      }
      out.push(`events ${events}`, `carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted, lines) {
      if (!emitted.includes('carried 4/4')) return `the server did not get the canary 4 times: ${emitted.at(-1)}`;
      if (!emitted[0].includes('"status":401')) return 'no 401';
      if (!emitted[0].includes('"x-echo":"[REDACTED]"')) return 'the echoed header was not scrubbed to the marker';
      if (!emitted[0].includes('full=[REDACTED]')) return 'the echoed body was not scrubbed to the marker';
      if (!emitted.includes('chat status 401')) return 'chat() did not fail with status 401';
      const n = Number(emitted.at(-2).split(' ')[1]);
      if (n < 3) return `expected at least 3 echoing events, got ${n}`;
      if (!emitted.some((e) => e.startsWith('{"event":') && e.includes('"data":"[REDACTED]"'))) {
        return 'no scrubbed echoing event';
      }
      if (!lines.some((l) => l.includes('status=401'))) return 'no trace line with status=401';
      if (!lines.some((l) => l.startsWith('trace response-header x-echo: [REDACTED]'))) {
        return 'no scrubbed response-header line';
      }
      return null;
    },
  },
  {
    name: 'request timeout: a server that never answers, and one that stalls mid-stream',
    async run(ctx) {
      const srv = await ctx.server((req, res, key) => {
        if (req.url.includes('stall')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: {"echo":"${key}"}\n\n`);
        }
        // Never ends: the sockets are destroyed when the path is over.
      });
      const s = ctx.sidecar();
      const out = [];
      const base = { provider: 'openai', baseUrl: `${srv.url}/v1`, apiKeyRef: 'env:CANARY_VAR', timeoutMs: 300 };
      const t0 = Date.now();
      for (const p of ['/never', '/stall']) {
        try {
          await s.request({ ...base, path: p, onEvent: (e) => out.push(JSON.stringify(e)) });
          out.push('resolved: expected REQUEST_TIMEOUT');
        } catch (e) {
          out.push(...ctx.describeError(e));
        }
      }
      out.push(`fast ${Date.now() - t0 < 10000}`, `carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted, lines) {
      if (!emitted.includes('carried 2/2')) return `the server did not get the canary twice: ${emitted.at(-1)}`;
      if (emitted.filter((e) => e === 'REQUEST_TIMEOUT').length !== 2) return 'expected two REQUEST_TIMEOUT';
      if (!emitted.includes('{"event":"","data":"{\\"echo\\":\\"[REDACTED]\\"}","id":""}')) {
        return 'the stalled stream delivered no scrubbed event';
      }
      if (!emitted.includes('fast true')) return 'timeouts took more than 10 s';
      if (!lines.some((l) => l.includes('error=REQUEST_TIMEOUT'))) return 'no trace line with error=REQUEST_TIMEOUT';
      return null;
    },
  },
  {
    name: 'request aborted (AbortController) after the first event of an endless SSE stream',
    async run(ctx) {
      let ticks = 0;
      const srv = await ctx.server((req, res, key) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Bounded: at most 500 events (5 s), each echoing the key.
        const timer = setInterval(() => {
          if (++ticks > 500) { clearInterval(timer); res.end(); return; }
          res.write(`id: ${ticks}\ndata: tick ${ticks} ${key}\n\n`);
        }, 10);
        res.on('close', () => clearInterval(timer));
      });
      const s = ctx.sidecar();
      const out = [];
      const ac = new AbortController();
      let events = 0;
      try {
        await s.request({ provider: 'openai', baseUrl: `${srv.url}/v1`, apiKeyRef: 'env:CANARY_VAR',
          path: '/stream', signal: ac.signal, onEvent: (e) => {
            events += 1;
            out.push(JSON.stringify(e));
            ac.abort();
          } });
        out.push('resolved: expected REQUEST_ABORTED');
      } catch (e) {
        out.push(...ctx.describeError(e));
      }
      const closed = await ctx.waitFor(() => srv.seen.closed >= 1);
      out.push(`events ${events}`, `server saw the close ${closed}`, `bounded ${ticks < 500}`,
        `carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      if (!emitted.includes('carried 1/1')) return `the server did not get the canary: ${emitted.at(-1)}`;
      if (!emitted.includes('REQUEST_ABORTED')) return 'expected REQUEST_ABORTED';
      if (!emitted.includes('events 1')) return 'expected exactly one event before the abort';
      if (!emitted[0].includes('tick 1 [REDACTED]')) return 'the first event was not scrubbed to the marker';
      if (!emitted.includes('server saw the close true')) return 'the connection was not closed';
      if (!emitted.includes('bounded true')) return 'the stream ran to its end: no abort';
      return null;
    },
  },
  {
    name: 'request with a malformed value (canary + line break): refused before sending',
    async run(ctx) {
      const srv = await ctx.server((req, res) => res.end('{}'), 'CANARY_MALFORMED');
      const s = ctx.sidecar();
      const out = [JSON.stringify(await s.check('env:CANARY_MALFORMED'))];
      try {
        await s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: 'env:CANARY_MALFORMED' });
        out.push('resolved: expected SECRET_MALFORMED');
      } catch (e) {
        out.push(...ctx.describeError(e));
      }
      out.push(`requests ${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      if (!emitted[0].includes('"SECRET_MALFORMED"')) return 'check: expected SECRET_MALFORMED';
      if (emitted[1] !== 'SECRET_MALFORMED') return 'request: expected SECRET_MALFORMED';
      return emitted.includes('requests 0') ? null : 'a malformed value was sent';
    },
  },
  {
    name: 'request with a missing secret (env and keyring): refused before sending',
    async run(ctx) {
      const srv = await ctx.server((req, res) => res.end('{}'));
      const s = ctx.sidecar();
      const out = [];
      for (const ref of ['env:CANARY_MISSING_VAR', `keyring:keyref-canary-${process.pid}/nobody`]) {
        out.push(JSON.stringify(await s.check(ref)));
        try {
          await s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: ref });
          out.push('resolved: expected SECRET_NOT_FOUND');
        } catch (e) {
          out.push(...ctx.describeError(e));
        }
      }
      out.push(`requests ${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      if (emitted.filter((e) => e.includes('"code":"SECRET_NOT_FOUND"')).length < 2) return 'check: expected SECRET_NOT_FOUND';
      if (emitted.filter((e) => e === 'SECRET_NOT_FOUND').length !== 2) return 'request: expected SECRET_NOT_FOUND twice';
      return emitted.includes('requests 0') ? null : 'something was sent';
    },
  },
  {
    // secret:, the host's store (VS Code's context.secrets): a JS object,
    // so the value is in this process's JS heap by design; keyref must
    // still hand none of it back. storeSecret takes the value from the
    // environment here; the host store's get() rejects with the key in its
    // message (a careless backend), and one never answers.
    name: 'host secretStorage: storeSecret, check, request, refusals, a get() that rejects quoting the key, a hung get()',
    async run(ctx) {
      const map = new Map();
      const store = {
        get: async (k) => {
          if (k === 'rejects') throw new Error(`backend failed for key ${map.get('openai')}`);
          if (k === 'hangs') return new Promise(() => {});
          return map.get(k);
        },
        store: async (k, v) => { map.set(k, v); },
        delete: async (k) => { map.delete(k); },
      };
      const srv = await ctx.server((req, res, key) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
      });
      const s = ctx.sidecar({ secretStorage: store, policy: { logBodies: true, resolveTimeoutMs: 200,
        allowSchemes: ['env', 'secret', 'keyring'] } });
      const out = [];
      const attempt = async (what, f) => {
        try {
          out.push(`${what} resolved ${JSON.stringify(await f())}`);
        } catch (e) {
          out.push(`${what} rejected`, ...ctx.describeError(e));
        }
      };
      await attempt('store', () => s.storeSecret('secret:openai', process.env.CANARY_VAR));
      out.push(`stored ${map.get('openai') === process.env.CANARY_VAR}`);
      out.push(JSON.stringify(await s.check('secret:openai')));
      await attempt('request', () => s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: 'secret:openai' }));
      await attempt('store malformed', () => s.storeSecret('secret:bad', process.env.CANARY_MALFORMED));
      await attempt('store to env', () => s.storeSecret('env:CANARY_VAR', process.env.CANARY_VAR));
      out.push(JSON.stringify(await s.check('secret:rejects')));
      await attempt('request rejects', () => s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: 'secret:rejects' }));
      out.push(JSON.stringify(await s.check('secret:hangs')));
      await attempt('delete', () => s.deleteSecret('secret:openai'));
      out.push(`deleted ${!map.has('openai')}`, `carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      const want = ['store resolved undefined', 'stored true', '{"ok":true,"scheme":"secret"}',
        'store malformed rejected', 'SECRET_MALFORMED', 'store to env rejected', 'SOURCE_DENIED',
        'request rejects rejected', 'SOURCE_UNAVAILABLE', 'delete resolved undefined', 'deleted true', 'carried 1/1'];
      for (const w of want) if (!emitted.includes(w)) return `missing "${w}"`;
      const request = emitted.find((e) => e.startsWith('request resolved '));
      if (!request || !request.includes('"status":401') || !request.includes('provided: [REDACTED]')) {
        return 'the host-store request did not come back as a scrubbed 401';
      }
      if (!emitted.some((e) => e.includes('"code":"SOURCE_UNAVAILABLE"'))) return 'check of a rejecting get(): expected SOURCE_UNAVAILABLE';
      if (!emitted.some((e) => e.includes('"code":"SOURCE_TIMEOUT"'))) return 'check of a hung get(): expected SOURCE_TIMEOUT';
      return null;
    },
  },
  {
    // The webview bridge: the one message that carries a key in, every
    // message out. The key comes from the environment, as if typed in the
    // page; nothing that goes back to the page (or to the host) may hold it.
    name: 'webview bridge: the key sent in, states, a malformed key, a message quoting the key blocked',
    async run(ctx) {
      const { webviewErrorMessage } = require('../../..');
      const map = new Map();
      const store = { get: async (k) => map.get(k), store: async (k, v) => { map.set(k, v); },
        delete: async (k) => { map.delete(k); } };
      const srv = await ctx.server((req, res, key) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
      });
      const s = ctx.sidecar({ secretStorage: store });
      const out = [];
      // The host binds the key to the origin the person entered with it.
      const reply = await s.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', requestId: 'r1',
        profileId: 'work', value: process.env.CANARY_VAR }, { origins: [srv.url] });
      out.push(JSON.stringify(reply));
      try {
        await s.acceptSecretFromWebview({ type: 'llmProfiles.storeSecret', profileId: 'bad',
          value: process.env.CANARY_MALFORMED });
        out.push('malformed key accepted');
      } catch (e) {
        out.push(...ctx.describeError(e), JSON.stringify(s.toWebview(webviewErrorMessage(e, { profileId: 'bad' }, s))));
      }
      const profile = (id, apiKeyRef) => ({ id, label: id, provider: 'openai', model: 'm', baseUrl: srv.url, apiKeyRef });
      out.push(JSON.stringify(await s.webviewState([profile('work', reply.apiKeyRef), profile('env', 'env:CANARY_VAR'),
        profile('bad', 'env:CANARY_MALFORMED'), profile('none', 'env:CANARY_MISSING_VAR')], { selectedId: 'work' })));
      out.push(JSON.stringify(await s.request({ provider: 'openai', baseUrl: srv.url, apiKeyRef: reply.apiKeyRef })));
      // A host that puts the key into a message by mistake: blocked.
      const quoting = [
        { type: 'llmProfiles.error', code: 'INTERNAL', message: `failed: ${process.env.CANARY_VAR}` },
        { type: 'llmProfiles.error', code: 'INTERNAL', message: `b64 ${Buffer.from(process.env.CANARY_VAR).toString('base64')}` },
      ];
      for (const m of quoting) {
        try {
          out.push(`posted ${JSON.stringify(s.toWebview(m))}`);
        } catch (e) {
          out.push(...ctx.describeError(e));
        }
      }
      out.push(JSON.stringify(webviewErrorMessage(new Error(`boom ${process.env.CANARY_VAR}`), {}, s)));
      out.push(`carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      const reply = JSON.parse(emitted[0]);
      if (reply.secretState !== 'stored' || reply.apiKeyRef !== 'secret:keyref/profiles/work') return `bad reply ${emitted[0]}`;
      if (emitted[1] !== 'SECRET_MALFORMED') return 'a malformed key: expected SECRET_MALFORMED';
      const state = JSON.parse(emitted.find((e) => e.startsWith('{"type":"llmProfiles.state"')) ?? '{"profiles":[]}');
      const states = state.profiles.map((p) => `${p.id}=${p.secretState}`).join(' ');
      if (states !== 'work=stored env=stored bad=unavailable none=missing') return `states: ${states}`;
      if (!emitted.includes('carried 1/1')) return `the server did not get the canary: ${emitted.at(-1)}`;
      if (emitted.some((e) => e.startsWith('posted '))) return 'a message quoting the key was posted';
      if (emitted.filter((e) => e === 'WEBVIEW_LEAK_BLOCKED').length !== 2) return 'expected WEBVIEW_LEAK_BLOCKED twice';
      if (!emitted.includes('{"type":"llmProfiles.error","code":"INTERNAL","message":"The request failed (INTERNAL)."}')) {
        return 'a foreign error was not replaced by the generic text';
      }
      return null;
    },
  },
  {
    // The child runs in a private D-Bus session and gnome-keyring (the
    // parent starts it through scripts/with-keyring.sh), so locking the
    // default collection disturbs no other test. The canary goes into the
    // keyring from this process's environment through a shell, never
    // through JavaScript; it is sent once while the keyring is open (the
    // proof it was there), then the collection is locked with the Secret
    // Service Lock method, as test/native/keyring_source_test.cpp does.
    name: 'locked keyring: the canary stored and sent, then the collection locked',
    async run(ctx) {
      const { execFileSync } = require('node:child_process');
      const service = `keyref-canary-${process.pid}`;
      const ref = `keyring:${service}/alice`;
      execFileSync('sh', ['-c', 'printf %s "$CANARY_KEYRING" | secret-tool store --label=canary service "$1" account alice',
        'sh', service], { stdio: ['ignore', 'ignore', 'pipe'] });
      const srv = await ctx.server((req, res, key) => {
        res.writeHead(401, { 'content-type': 'application/json', 'x-echo': key });
        res.end(JSON.stringify({ error: { message: `bad key ${key}` } }));
      }, 'CANARY_KEYRING');
      const s = ctx.sidecar();
      const out = [JSON.stringify(await s.check(ref))];
      const req = { provider: 'openai', baseUrl: srv.url, apiKeyRef: ref };
      out.push(JSON.stringify(await s.request(req)));
      const gdbus = (...args) => execFileSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets',
        '--object-path', '/org/freedesktop/secrets', '--method', ...args], { encoding: 'utf8' });
      const coll = /'([^']+)'/.exec(gdbus('org.freedesktop.Secret.Service.ReadAlias', 'default'))[1];
      gdbus('org.freedesktop.Secret.Service.Lock', `['${coll}']`);
      out.push(JSON.stringify(await s.check(ref)));
      try {
        await s.request(req);
        out.push('resolved: expected SOURCE_LOCKED');
      } catch (e) {
        out.push(...ctx.describeError(e));
      }
      out.push(JSON.stringify(await s.status()));
      out.push(`carried ${srv.seen.carried}/${srv.seen.requests}`);
      return out;
    },
    expect(emitted) {
      if (emitted[0] !== '{"ok":true,"scheme":"keyring"}') return 'the canary was not in the keyring';
      if (!emitted[1].includes('"status":401') || !emitted[1].includes('bad key [REDACTED]')) {
        return 'the open-keyring request did not come back scrubbed';
      }
      if (!emitted[2].includes('"code":"SOURCE_LOCKED"')) return 'check after lock: expected SOURCE_LOCKED';
      if (emitted[3] !== 'SOURCE_LOCKED') return 'request after lock: expected SOURCE_LOCKED';
      if (!emitted.includes('carried 1/1')) return `the server did not get the keyring canary once: ${emitted.at(-1)}`;
      if (!emitted.some((e) => e.includes('"scheme":"keyring","enabled":true,"available":false,"reason":"the default keyring collection is locked"'))) {
        return 'status() did not report the keyring locked';
      }
      return null;
    },
  },
];

module.exports = { paths };
