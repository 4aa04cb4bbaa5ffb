'use strict';
// The redaction benchmarks' workload (bench/node/redact_bench.js,
// bench/node/ab_addons.js): ordinary log lines (a timestamp, key=value
// pairs, an e-mail address), the same generator as
// bench/native/redactor_bench.cpp, and the 120-byte lines of the per-call
// rows with the batch that times them.

const LEVELS = ['INFO', 'DEBUG', 'WARN'];
const PATHS = ['/v1/chat/completions', '/v1/models', '/v1/embeddings'];
const pad = (n, w) => String(n).padStart(w, '0');

function logLine(i) {
  return `2026-11-28T10:${pad(Math.floor(i / 60) % 60, 2)}:${pad(i % 60, 2)}.${pad(i % 1000, 3)}Z ` +
    `${LEVELS[i % 3]} req_id=r${pad(i, 6)} user=alice.smith@example.com method=POST path=${PATHS[i % 3]} ` +
    `status=200 dur_ms=${10 + (i % 900)} bytes=${100 + ((i * 37) % 5000)}\n`;
}

// Lines up to `bytes` characters in all (ASCII: one byte each).
function logLines(bytes) {
  const parts = [];
  let n = 0;
  for (let i = 0; n < bytes; ++i) {
    const l = logLine(i);
    parts.push(l);
    n += l.length;
  }
  return parts;
}

// 120-byte lines: log lines cut to 119 characters plus '\n' (distinct
// strings, so no side benefits from a cache).
function lines120(parts, count = 4096) {
  return parts.slice(0, count).map((l) => `${l.replace(/\n$/, '').padEnd(119, ' ').slice(0, 119)}\n`);
}

// One batch: every line once through `fn`; µs per call.
function batchPerCall(fn, lines) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let k = 0; k < lines.length; ++k) sink += fn(lines[k]).length;
  const us = Number(process.hrtime.bigint() - start) / 1e3 / lines.length;
  if (sink < 0) console.log(sink);
  return us;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

module.exports = { logLine, logLines, lines120, batchPerCall, median, quantile };
