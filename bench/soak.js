'use strict';
// Soak: many requests (mixed providers, JSON and server-sent events, a share
// of injected failures) and many check() calls through ONE Sidecar, against
// a server on 127.0.0.1 started here. Prints RSS, open fds and threads
// before, after a warm-up and at the end, as figures (docs/reliability.md);
// exits non-zero when a growth bound is passed or an outcome is wrong.
//
//   node --expose-gc bench/soak.js [--requests N] [--checks N] [--concurrency C]
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { Sidecar } = require(path.join(__dirname, '..'));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const REQUESTS = arg('requests', 100000);
const CHECKS = arg('checks', 100000);
const CONCURRENCY = arg('concurrency', 32);
// Bounds (documented in docs/reliability.md): growth from the end of the
// warm-up to the end of the run.
const MAX_RSS_GROWTH_MB = 64;
const MAX_FD_GROWTH = 8;
// Request workers start on demand (HttpClientOptions::max_concurrent) and
// stay for reuse, so threads may grow up to the number of requests in
// flight, never past it.
const MAX_THREAD_GROWTH = CONCURRENCY;

function figures() {
  if (global.gc) global.gc();
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return {
    rssMb: Math.round(process.memoryUsage().rss / 1048576 * 10) / 10,
    fds: fs.readdirSync('/proc/self/fd').length,
    threads: Number(/Threads:\s+(\d+)/.exec(status)[1]),
  };
}

// The failure injected for request i (5%: every 20th), in turn: a 500, a
// reset connection, a body cut short, a malformed chunk, a 429.
const FAILURES = ['500', 'reset', 'short', 'badchunk', '429'];
function failureOf(i) { return i % 20 === 7 ? FAILURES[Math.floor(i / 20) % FAILURES.length] : null; }

function startServer() {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const fail = u.searchParams.get('fail');
    req.resume();
    req.on('end', () => {
      if (fail === 'reset') { req.socket.resetAndDestroy(); return; }
      if (fail === 'short') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"partial":');
        setImmediate(() => req.socket.destroy());
        return;
      }
      if (fail === 'badchunk') {
        req.socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
        return;
      }
      if (fail === '500' || fail === '429') {
        res.writeHead(Number(fail), { 'Content-Type': 'application/json' });
        res.end('{"error":{"message":"injected"}}');
        return;
      }
      if (u.pathname.endsWith('/stream')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', Trailer: 'X-Done' });
        for (let k = 0; k < 5; k++) res.write(`data: {"delta":"part ${k}"}\n\n`);
        res.addTrailers({ 'X-Done': '1' });
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: 'ok'.repeat(50) } }] }));
    });
  });
  server.keepAliveTimeout = 30000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const PROVIDERS = ['openai', 'anthropic', 'azure-openai', 'gemini', 'openrouter', 'openai-compatible', 'ollama'];

async function main() {
  const server = await startServer();
  const base = `http://127.0.0.1:${server.address().port}`;
  process.env.KEYREF_SOAK_KEY = `soak${'k'.repeat(28)}x`;  // a made-up key
  const store = new Map();
  // The loopback server is the only origin the keys may go to (docs/origins.md).
  const origins = { 'env:KEYREF_SOAK_KEY': [base], 'secret:soak/key': [base] };
  const sidecar = new Sidecar({ policy: { origins }, secretStorage: {
    async get(k) { return store.get(k); }, async store(k, v) { store.set(k, v); }, async delete(k) { store.delete(k); },
  } });
  await sidecar.storeSecret('secret:soak/key', `soak${'s'.repeat(28)}y`);
  const start = figures();
  const counts = {};
  const bump = (k) => { counts[k] = (counts[k] ?? 0) + 1; };

  async function one(i) {
    const provider = PROVIDERS[i % PROVIDERS.length];
    const stream = i % 3 === 0;
    const fail = failureOf(i);
    const opts = {
      provider, baseUrl: `${base}/v1`, path: stream ? '/stream' : '/json',
      query: fail ? { fail } : undefined, body: { i }, timeoutMs: 10000, readTimeoutMs: 5000,
    };
    if (provider !== 'ollama') opts.apiKeyRef = i % 2 ? 'env:KEYREF_SOAK_KEY' : 'secret:soak/key';
    let events = 0;
    if (stream) opts.onEvent = () => { events++; };
    try {
      const r = await sidecar.request(opts);
      const expect = fail === '500' || fail === '429' ? Number(fail) : 200;
      if (fail && expect === 200) throw new Error(`failure ${fail} resolved with ${r.status}`);
      if (r.status !== expect) throw new Error(`status ${r.status} for ${fail ?? 'ok'}`);
      if (stream && !fail && events !== 6) throw new Error(`stream gave ${events} events`);
      bump(fail ? `http${r.status}` : 'ok');
    } catch (e) {
      if (!fail || !['reset', 'short', 'badchunk'].includes(fail) || e.code !== 'CONNECT_FAILED') {
        console.error(`request ${i} (${provider}, ${fail ?? 'no failure'}):`, e.code, e.message);
        process.exitCode = 1;
      }
      bump(e.code ?? 'thrown');
    }
  }

  async function pool(n, fn) {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }));
  }

  const warm = Math.min(2000, Math.floor(REQUESTS / 10));
  let t = Date.now();
  await pool(warm, one);
  const warmed = figures();
  await pool(REQUESTS - warm, (i) => one(i + warm));
  const reqSeconds = (Date.now() - t) / 1000;
  const afterRequests = figures();

  t = Date.now();
  let badChecks = 0;
  await pool(CHECKS, async (i) => {
    const ref = ['env:KEYREF_SOAK_KEY', 'secret:soak/key', 'env:KEYREF_SOAK_MISSING', 'secret:soak/missing'][i % 4];
    const r = await sidecar.check(ref);
    if (r.ok !== (i % 4 < 2)) badChecks++;
  });
  const checkSeconds = (Date.now() - t) / 1000;
  const end = figures();
  sidecar.close();
  server.close();

  const report = {
    requests: REQUESTS, checks: CHECKS, concurrency: CONCURRENCY, outcomes: counts, badChecks,
    requestsPerSecond: Math.round(REQUESTS / reqSeconds), checksPerSecond: Math.round(CHECKS / checkSeconds),
    start, afterWarmup: warmed, afterRequests, end,
  };
  console.log(JSON.stringify(report, null, 2));
  const growth = {
    rssMb: end.rssMb - warmed.rssMb, fds: end.fds - warmed.fds, threads: end.threads - warmed.threads,
  };
  console.log(`growth after warm-up: rss ${growth.rssMb.toFixed(1)} MB, fds ${growth.fds}, threads ${growth.threads}`);
  if (badChecks) { console.error(`${badChecks} check() results were wrong`); process.exitCode = 1; }
  if (growth.rssMb > MAX_RSS_GROWTH_MB || growth.fds > MAX_FD_GROWTH || growth.threads > MAX_THREAD_GROWTH) {
    console.error('growth beyond the documented bound');
    process.exitCode = 1;
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
