'use strict';
// keyref `request` against Node's built-in fetch doing the same call (the
// key in an Authorization header), side by side in one run, against the
// same loopback server in its own process (request_server.js). Prints:
// median latency of sequential small requests, requests/s at 16 in flight,
// and server-sent events/s for one long stream. Figures only, no asserts.
//   node bench/node/request_bench.js [--quick]
const { fork } = require('node:child_process');
const path = require('node:path');
const crypto = require('node:crypto');
const { Sidecar } = require('../..');

const quick = process.argv.includes('--quick');
const SEQ = quick ? 500 : 3000;
const PAR_TOTAL = quick ? 2000 : 10000;
const INFLIGHT = 16;
const SSE_EVENTS = quick ? 20000 : 200000;
const ROUNDS = 3;

const key = `sk-bench-${crypto.randomBytes(24).toString('base64url')}`;
process.env.KEYREF_BENCH_KEY = key;

// The same parsing work keyref does before onEvent, in JavaScript: lines
// split on CRLF, LF or CR; `data:` lines joined with '\n'; `event:` and
// `id:` kept; one { event, data, id } object per event handed to onEvent
// (as keyref's TypeScript wrapper builds from the native batch).
async function parseSse(body, onEvent) {
  const decoder = new TextDecoder();
  let buf = '';
  let data = null;
  let event = '';
  let id = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const lf = buf.indexOf('\n', start);
      const cr = buf.indexOf('\r', start);
      let end = lf;
      if (cr !== -1 && (lf === -1 || cr < lf)) end = cr;
      if (end === -1 || (end === cr && end + 1 === buf.length)) break;  // a CR at the end may start a CRLF
      const line = buf.slice(start, end);
      start = end + (buf[end] === '\r' && buf[end + 1] === '\n' ? 2 : 1);
      if (line === '') {
        if (data !== null) onEvent({ event, data, id });
        data = null;
        event = '';
        continue;
      }
      const colon = line.indexOf(':');
      if (colon === 0) continue;  // a comment
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data = data === null ? value : `${data}\n${value}`;
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
    }
    buf = buf.slice(start);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

async function main() {
  const child = fork(path.join(__dirname, 'request_server.js'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  const base = `http://127.0.0.1:${port}`;
  // apiKeyRef: the env: ref naming the variable that holds the benchmark's
  // throwaway key; never the key itself. Its loopback server's origin is
  // bound explicitly (docs/origins.md).
  const ref = 'env:KEYREF_BENCH_KEY';
  const sidecar = new Sidecar({ policy: { origins: { [ref]: [base] } } });

  const clients = {
    keyref: {
      small: async () => {
        const r = await sidecar.request({ provider: 'openai', baseUrl: base, apiKeyRef: ref, method: 'GET', path: '/small' });
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        return r.body.length;
      },
      sse: async (n) => {
        let count = 0;
        await sidecar.request({ provider: 'openai', baseUrl: base, apiKeyRef: ref, method: 'GET', path: '/sse',
          query: { n }, onEvent: () => { count++; } });
        return count;
      },
    },
    fetch: {
      small: async () => {
        const r = await fetch(`${base}/small`, { headers: { authorization: `Bearer ${process.env.KEYREF_BENCH_KEY}` } });
        const body = await r.text();
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        return body.length;
      },
      sse: async (n) => {
        const r = await fetch(`${base}/sse?n=${n}`, { headers: { authorization: `Bearer ${process.env.KEYREF_BENCH_KEY}`,
          accept: 'text/event-stream' } });
        let count = 0;
        await parseSse(r.body, () => { count++; });
        return count;
      },
    },
  };

  const results = { keyref: { lat: [], rps: [], eps: [], p99: [], cpu: [], reqCpu: [] },
    fetch: { lat: [], rps: [], eps: [], p99: [], cpu: [], reqCpu: [] } };
  for (const c of Object.values(clients)) for (let i = 0; i < 200; i++) await c.small();  // warm up

  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, c] of Object.entries(clients)) {
      const times = [];
      const seqCpu = process.cpuUsage();
      for (let i = 0; i < SEQ; i++) {
        const t = process.hrtime.bigint();
        await c.small();
        times.push(Number(process.hrtime.bigint() - t) / 1e3);
      }
      // CPU of this process (every thread) per sequential request: what
      // the request path costs, steadier than its latency, which on an idle
      // VM is mostly the wake-ups of sleeping threads.
      const sc = process.cpuUsage(seqCpu);
      results[name].reqCpu.push((sc.user + sc.system) / SEQ);
      results[name].lat.push(median(times));
      results[name].p99.push(pct(times, 0.99));

      let next = 0;
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: INFLIGHT }, async () => {
        while (next < PAR_TOTAL) {
          next++;
          await c.small();
        }
      }));
      results[name].rps.push(PAR_TOTAL / (Number(process.hrtime.bigint() - t0) / 1e9));

      const t1 = process.hrtime.bigint();
      const cpu1 = process.cpuUsage();
      const got = await c.sse(SSE_EVENTS);
      if (got < SSE_EVENTS) throw new Error(`${name}: ${got} events`);
      results[name].eps.push(got / (Number(process.hrtime.bigint() - t1) / 1e9));
      // CPU of this process (every thread: JS, keyref's reader, V8's GC
      // helpers; the server is another process) per event: steadier than
      // events/s on a loaded machine, where wall time is mostly waiting.
      const cpu = process.cpuUsage(cpu1);
      results[name].cpu.push((cpu.user + cpu.system) / got);
    }
  }

  // A slow onEvent must not stall the reader: the first event blocks the JS
  // thread for BLOCK_MS; meanwhile the native reader keeps reading into its
  // bounded queue, so the server (which waits on TCP back-pressure once the
  // socket buffers are full: SLOW_EVENTS is far more than they hold) writes
  // its last byte before onEvent is back. With a stalled reader it could
  // only finish after.
  const BLOCK_MS = 2000;
  const SLOW_EVENTS = quick ? 100000 : 300000;
  const msFrom = (a, b) => Number(a - b) / 1e6;
  async function slowStream(name, tag, run) {
    const finished = new Promise((resolve) => child.on('message', (m) => m.tag === tag && resolve(BigInt(m.sseFinished))));
    let unblocked = 0n;
    let count = 0;
    const onEvent = () => {
      if (count++ === 0) {
        const until = Date.now() + BLOCK_MS;
        while (Date.now() < until) { /* a handler doing heavy synchronous work */ }
        unblocked = process.hrtime.bigint();
      }
    };
    const tStart = process.hrtime.bigint();
    await run(tag, onEvent);
    const tEnd = process.hrtime.bigint();
    const serverDone = await finished;
    return { name, count, serverDoneMs: msFrom(serverDone, tStart), unblockedMs: msFrom(unblocked, tStart),
      endMs: msFrom(tEnd, tStart) };
  }
  const slow = [
    await slowStream('keyref', 'slow-keyref', (tag, onEvent) => sidecar.request({ provider: 'openai', baseUrl: base,
      apiKeyRef: ref, method: 'GET', path: '/sse', query: { n: SLOW_EVENTS, tag }, onEvent })),
    // The contrast: fetch reads on the JS thread, so a blocked handler stops
    // the reading too (this is what the check must be able to see).
    await slowStream('fetch', 'slow-fetch', async (tag, onEvent) => {
      const r = await fetch(`${base}/sse?n=${SLOW_EVENTS}&tag=${tag}`, { headers: {
        authorization: `Bearer ${process.env.KEYREF_BENCH_KEY}`, accept: 'text/event-stream' } });
      await parseSse(r.body, onEvent);
    }),
  ];
  sidecar.close();
  child.kill();

  const k = results.keyref;
  const f = results.fetch;
  const row = (label, kv, fv, unit, digits = 0) =>
    console.log(`${label.padEnd(40)} ${kv.toFixed(digits).padStart(12)} ${fv.toFixed(digits).padStart(12)}  ${unit}  ratio ${(kv / fv).toFixed(2)}`);
  console.log(`node ${process.version}, ${ROUNDS} rounds (median of rounds), loopback server in a child process`);
  console.log(`${''.padEnd(40)} ${'keyref'.padStart(12)} ${'fetch'.padStart(12)}`);
  row(`median latency, ${SEQ} sequential GETs`, median(k.lat), median(f.lat), 'us', 1);
  row('p99 latency, sequential', median(k.p99), median(f.p99), 'us', 1);
  row('CPU per sequential GET, this process', median(k.reqCpu), median(f.reqCpu), 'us', 1);
  row(`requests/s, ${INFLIGHT} in flight (${PAR_TOTAL} total)`, median(k.rps), median(f.rps), 'req/s');
  row(`SSE events/s, one stream of ${SSE_EVENTS}`, median(k.eps), median(f.eps), 'ev/s');
  const eps = k.eps.map((x, i) => (x / f.eps[i]).toFixed(2));
  console.log(`SSE events/s ratio per round (both sides parse into { event, data, id } objects): ${eps.join(', ')} (aim ≥ 1.0)`);
  row('SSE CPU per event, this process', median(k.cpu), median(f.cpu), 'us', 2);
  for (const x of slow) {
    console.log(`slow onEvent, ${x.name} (first call blocks ${BLOCK_MS} ms; ${x.count} events of ${SLOW_EVENTS + 1}): server ` +
      `wrote its last byte at ${x.serverDoneMs.toFixed(0)} ms, onEvent returned at ${x.unblockedMs.toFixed(0)} ms, ` +
      `stream done at ${x.endMs.toFixed(0)} ms: reader ${x.serverDoneMs < x.unblockedMs ? 'kept reading (not stalled)' : 'STALLED'}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
