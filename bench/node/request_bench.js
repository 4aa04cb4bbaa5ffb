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
        // A minimal SSE split (events end with a blank line), as a JS
        // client would do.
        const decoder = new TextDecoder();
        let buf = '';
        let count = 0;
        for await (const chunk of r.body) {
          buf += decoder.decode(chunk, { stream: true });
          let idx;
          while ((idx = buf.indexOf('\n\n')) !== -1) {
            const ev = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            let data = '';
            for (const line of ev.split('\n')) if (line.startsWith('data:')) data += line.slice(5).trimStart();
            if (data !== undefined) count++;
          }
        }
        return count;
      },
    },
  };

  const results = { keyref: { lat: [], rps: [], eps: [], p99: [] }, fetch: { lat: [], rps: [], eps: [], p99: [] } };
  for (const c of Object.values(clients)) for (let i = 0; i < 200; i++) await c.small();  // warm up

  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, c] of Object.entries(clients)) {
      const times = [];
      for (let i = 0; i < SEQ; i++) {
        const t = process.hrtime.bigint();
        await c.small();
        times.push(Number(process.hrtime.bigint() - t) / 1e3);
      }
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
      const got = await c.sse(SSE_EVENTS);
      if (got < SSE_EVENTS) throw new Error(`${name}: ${got} events`);
      results[name].eps.push(got / (Number(process.hrtime.bigint() - t1) / 1e9));
    }
  }
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
  row(`requests/s, ${INFLIGHT} in flight (${PAR_TOTAL} total)`, median(k.rps), median(f.rps), 'req/s');
  row(`SSE events/s, one stream of ${SSE_EVENTS}`, median(k.eps), median(f.eps), 'ev/s');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
