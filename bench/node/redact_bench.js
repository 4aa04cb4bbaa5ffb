'use strict';
// sidecar.redact(text) against the strongest simple JavaScript a host would
// write: ONE precompiled alternation regex over the same credential families
// plus the 16 live secrets (raw, base64, base64url), `text.replace(re,
// '[REDACTED]')`. Both sides run in this one process, in the same run,
// interleaved; the ratio is keyref / JS (above 1 = keyref faster).
// The JS regex does less than keyref (no 8-character runs of a secret, no
// fingerprints of wiped values, no entropy rule), so it is the easier job.
//
// Workloads: 8 MB of ordinary log lines (timestamps, key=value pairs, an
// e-mail address) with three planted credentials; the same without any
// credential (both sides return the input unchanged, so no result string is
// built: the scan alone); and one call per 120-byte log line (per-call
// overhead). keyref hands an 8 MB result back as an external string over
// huge pages where the running Node and kernel allow it, else as a plain V8
// string (addon/src/sidecar_redact.cc); the header says which.
// keyref scans a text of a megabyte or more on two threads (the JS thread
// and one helper), so the 8 MB rows compare two threads with the regex's
// one: the header says so, and the CPU rows give CPU time per call (all
// threads of the process) next to the wall-clock rows.
// The C++ redactor alone on the same log lines
// is BM_ScrubLogLines8MB in bench/native/redactor_bench.cpp.
//   node bench/node/redact_bench.js   (figures only, no asserts)
// Environment: KEYREF_BENCH_ROUNDS (default 5: five rounds of the 8 MB rows,
// 300 pairs of per-call batches).
const crypto = require('node:crypto');
const os = require('node:os');
// The test build of the addon: its redaction probe registers the secrets.
const { Sidecar } = require('../../test/node/helpers/test_hooks');
const { logLines, lines120, batchPerCall, median, quantile } = require('./log_lines');

const ROUNDS = Number(process.env.KEYREF_BENCH_ROUNDS || 5);

const secrets = [];
for (let i = 0; i < 16; ++i) secrets.push(`sk-proj-${crypto.randomBytes(36).toString('base64url')}`);

// The credential families keyref's rules cover, as one developer would
// write them; then every live secret and its base64 forms, escaped.
const families = [
  String.raw`\bsk-[A-Za-z0-9_-]{20,}`, String.raw`\bAIza[A-Za-z0-9_-]{30,}`, String.raw`\bA[KS]IA[A-Z0-9]{16,}`,
  String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`, String.raw`\bgithub_pat_[A-Za-z0-9_]{30,}`, String.raw`\bgsk_[A-Za-z0-9]{20,}`,
  String.raw`\bhf_[A-Za-z0-9]{30,}`, String.raw`\bxai-[A-Za-z0-9]{20,}`, String.raw`\bpplx-[A-Za-z0-9]{20,}`,
  String.raw`\br8_[A-Za-z0-9]{20,}`, String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
  String.raw`\beyJ[A-Za-z0-9_-]{7,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
  String.raw`\b[Bb]earer +[A-Za-z0-9+/=._~-]{8,}`,
  String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
  String.raw`(?:(?:proxy-)?authorization|x-api-key|api-key|x-goog-api-key|(?:set-)?cookie)["']?\s*[:=][^\r\n]*`,
];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const literals = secrets.flatMap((s) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')]);
const re = new RegExp([...literals.map(escape), ...families].join('|'), 'gi');
const jsRedact = (text) => text.replace(re, '[REDACTED]');

// MB/s of wall-clock time; `cpu`, when given, gets the CPU time per call in
// ms of the whole process (process.cpuUsage: every thread, keyref's helper
// and V8's collector threads included).
function measureBulk(fn, text, minMs = 1500, cpu = null) {
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    sink += fn(text).length;
    n += 1;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const used = process.cpuUsage(cpu0);
  if (cpu) cpu.push((used.user + used.system) / 1000 / n);
  if (sink < 0) console.log(sink);
  return (text.length * n) / (elapsed / 1000) / 1e6;  // MB/s (ASCII: 1 char = 1 byte)
}
async function main() {
  // The variables are set before the Sidecar is made: it reads the
  // environment as it was then (docs/requests.md, "The environment").
  for (let i = 0; i < secrets.length; ++i) process.env[`KEYREF_BENCH_${i}`] = secrets[i];
  const sidecar = new Sidecar({ logLevel: 'off', policy: { allowSchemes: ['env'] } });
  // Register the 16 secrets the way keyref does: resolved from refs in
  // native code (the probe wipes them again; their fingerprints stay).
  for (let i = 0; i < secrets.length; ++i) {
    await sidecar.native._redactionProbe(`env:KEYREF_BENCH_${i}`).catch(() => {});
  }
  // A 16-character piece of a secret's random part matches no shape rule:
  // only the fingerprints catch it, so this says the 16 are registered (a
  // bench that silently ran without them measured less work).
  const piece = `2026-11-28T10:00:00.000Z WARN got ${secrets[3].slice(12, 28)} back\n`;
  if (sidecar.redact(piece).includes(secrets[3].slice(12, 28))) {
    throw new Error('the live secrets were not registered');
  }

  const parts = logLines(8 << 20);
  const plant = [
    `2026-11-28T10:00:00.000Z WARN key=${secrets[3]}\n`,
    `2026-11-28T10:00:00.000Z DEBUG Authorization: Bearer ${secrets[7]}\n`,
    `2026-11-28T10:00:00.000Z DEBUG body={"x-api-key": "${secrets[11]}"}\n`,
  ];
  parts.splice(Math.floor((parts.length * 3) / 4), 0, plant[2]);
  parts.splice(Math.floor(parts.length / 2), 0, plant[1]);
  parts.splice(Math.floor(parts.length / 4), 0, plant[0]);
  const big = parts.join('');
  // 120-byte lines (distinct strings, so no side benefits from a cache).
  const lines = lines120(parts);

  // Both sides must remove the planted credentials and keep the e-mail.
  for (const [name, fn] of [['keyref', (t) => sidecar.redact(t)], ['JS regex', jsRedact]]) {
    const out = fn(big);
    for (const s of [secrets[3], secrets[7], secrets[11]]) if (out.includes(s)) throw new Error(`${name} left a secret`);
    if (!out.includes('alice.smith@example.com')) throw new Error(`${name} removed the e-mail`);
  }

  // The same log lines with no credential: both sides return the input
  // (no result string to build), so this row is the scan alone.
  const clean = logLines(8 << 20).join('');
  for (const [name, fn] of [['keyref', (t) => sidecar.redact(t)], ['JS regex', jsRedact]]) {
    if (fn(clean) !== clean) throw new Error(`${name} changed a text without credentials`);
  }

  // Which kind of result the bulk row builds: an external string shows up in
  // V8's external memory (napi_adjust_external_memory), a plain one does not.
  const external0 = process.memoryUsage().external;
  const probe = sidecar.redact(big);
  const externalResults = process.memoryUsage().external - external0 >= probe.length;

  const r = { kBulk: [], jBulk: [], kClean: [], jClean: [], kCall: [], jCall: [], call: [] };
  const cpu = { kBulk: [], jBulk: [], kClean: [], jClean: [] };
  for (let round = 0; round < ROUNDS; ++round) {
    r.kBulk.push(measureBulk((t) => sidecar.redact(t), big, 1500, cpu.kBulk));
    r.jBulk.push(measureBulk(jsRedact, big, 1500, cpu.jBulk));
    r.kClean.push(measureBulk((t) => sidecar.redact(t), clean, 1500, cpu.kClean));
    r.jClean.push(measureBulk(jsRedact, clean, 1500, cpu.jClean));
  }
  // Per call: the two sides alternate batch by batch (4 096 lines each, a
  // few ms), and each pair gives one ratio. This VM's speed moves by tens of
  // percent within seconds (the same build: 143 and 231 ns per line in two
  // runs in a row), so sides measured seconds apart would compare two
  // machines; the median of the pairs' ratios compares one.
  for (let w = 0; w < 20; ++w) {
    batchPerCall((t) => sidecar.redact(t), lines);
    batchPerCall(jsRedact, lines);
  }
  // Which side goes first alternates too: a CPU that lowers its clock for a
  // while after wide vector instructions (keyref's AVX-512 classifier on
  // some Xeons) would otherwise slow every JS batch that follows one of
  // keyref's, and favour keyref.
  for (let pair = 0; pair < ROUNDS * 60; ++pair) {
    let k;
    let j;
    if (pair % 2 === 0) {
      k = batchPerCall((t) => sidecar.redact(t), lines);
      j = batchPerCall(jsRedact, lines);
    } else {
      j = batchPerCall(jsRedact, lines);
      k = batchPerCall((t) => sidecar.redact(t), lines);
    }
    r.kCall.push(k);
    r.jCall.push(j);
    r.call.push(j / k);
  }
  const ratios = (a, b, inv) => a.map((x, i) => (inv ? b[i] / x : x / b[i]));
  const range = (xs, d) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
  console.log(`redaction, 16 live secrets; peer: one precompiled JS alternation regex (${literals.length} literals + ` +
    `${families.length} families); ${ROUNDS} interleaved rounds; ratio = keyref speed / JS speed (aim ≥ 3×)`);
  console.log(`keyref's block classifier: ${sidecar.native._shapeScanPath()}; ` +
    `large results: ${externalResults ? 'external strings over huge pages' : 'plain V8 strings'}; ` +
    `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`);
  // Texts of a megabyte or more are scanned by the JS thread and one helper
  // thread of keyref's (Redactor::FindSpansOnTwoThreads); the regex runs on
  // the JS thread alone. The CPU rows count every thread of the process.
  console.log(`the 8 MB rows: keyref used 2 threads (the JS thread and one helper), the JS regex 1; ` +
    `${os.cpus().length} CPUs; CPU ms per call = all threads of the process`);
  console.log(`${''.padEnd(34)}${'keyref'.padStart(14)}${'JS regex'.padStart(14)}   ratio (median, range)`);
  const bulkR = ratios(r.kBulk, r.jBulk);
  console.log(`${`${(big.length / 1048576).toFixed(1)} MB log lines, MB/s`.padEnd(34)}${median(r.kBulk).toFixed(0).padStart(14)}` +
    `${median(r.jBulk).toFixed(0).padStart(14)}   ${median(bulkR).toFixed(2)}× (${range(bulkR, 2)})`);
  const cleanR = ratios(r.kClean, r.jClean);
  console.log(`${`${(clean.length / 1048576).toFixed(1)} MB, no credential, MB/s`.padEnd(34)}` +
    `${median(r.kClean).toFixed(0).padStart(14)}${median(r.jClean).toFixed(0).padStart(14)}   ` +
    `${median(cleanR).toFixed(2)}× (${range(cleanR, 2)})`);
  for (const [label, k, j] of [['8 MB log lines, CPU ms per call', cpu.kBulk, cpu.jBulk],
    ['8 MB, no credential, CPU ms/call', cpu.kClean, cpu.jClean]]) {
    const cpuR = ratios(k, j, true);
    console.log(`${label.padEnd(34)}${median(k).toFixed(2).padStart(14)}${median(j).toFixed(2).padStart(14)}   ` +
      `${median(cpuR).toFixed(2)}× (${range(cpuR, 2)})`);
  }
  console.log(`${'120-byte line, µs per call'.padEnd(34)}${median(r.kCall).toFixed(3).padStart(14)}` +
    `${median(r.jCall).toFixed(3).padStart(14)}   ${median(r.call).toFixed(2)}× (middle 80%: ` +
    `${quantile(r.call, 0.1).toFixed(2)}–${quantile(r.call, 0.9).toFixed(2)}; median of ${r.call.length} ` +
    'alternating pairs of 4 096-line batches)');
  sidecar.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
