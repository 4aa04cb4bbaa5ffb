'use strict';
// The worst case of a resolved value's size: a host store (secretStorage)
// returning 1 KiB, 64 KiB (the cap) and 2 MiB values. Prints, per size, the
// time of sidecar.check() (resolution, validation and, for values keyref
// accepts, registration with the redactor) and the growth of RSS, measured
// after close(). Since values over 64 KiB are refused with SECRET_MALFORMED
// before they are copied or fingerprinted, the 2 MiB row shows the cost of a
// refusal. Usage: node bench/node/secret_cap_bench.js (no asserts).
const { Sidecar } = require('../..');

const KIB = 1024;

function hexValue(bytes, seed) {
  let out = '';
  let x = seed;
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, bytes);
}

const rssMiB = () => process.memoryUsage().rss / (1024 * 1024);

async function row(label, bytes) {
  const rounds = Number(process.env.KEYREF_BENCH_ROUNDS ?? 3);
  const values = Array.from({ length: rounds }, (_, i) => hexValue(bytes, 17 + i));
  const store = { get: async (k) => values[Number(k.slice(1))], store: async () => {}, delete: async () => {} };
  const s = new Sidecar({ secretStorage: store });
  await s.check('secret:warmup');  // first use starts the worker threads
  const rss0 = rssMiB();
  const times = [];
  let code = '';
  for (let i = 0; i < rounds; ++i) {
    const t0 = process.hrtime.bigint();
    const r = await s.check(`secret:v${i}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    code = r.ok ? 'ok' : r.code;
  }
  s.close();
  const rss1 = rssMiB();
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(8)} ${code.padEnd(17)} median ${times[times.length >> 1].toFixed(1).padStart(8)} ms/check` +
    `   max ${times[times.length - 1].toFixed(1).padStart(8)} ms   RSS +${(rss1 - rss0).toFixed(1)} MiB over ${rounds} values, after close()`);
}

(async () => {
  console.log(`secretStorage values resolved with check() (rounds: ${process.env.KEYREF_BENCH_ROUNDS ?? 3})`);
  await row('1 KiB', KIB);
  await row('64 KiB', 64 * KIB);
  await row('2 MiB', 2 * 1024 * KIB);
})();
