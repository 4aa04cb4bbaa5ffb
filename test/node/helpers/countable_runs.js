'use strict';
// The no-oracle rule of docs/threat-model.md, restated for the tests: which
// runs of a secret count (and so must never appear in anything keyref hands
// out), and which do not (and so may, since redacting them would be an
// oracle). Kept apart from the native code on purpose: a test that derived
// its expectations from the implementation could not catch it drifting.

const SK_PARTS = ['ant-admin01-', 'ant-api03-', 'ant-', 'proj-', 'svcacct-', 'admin-', 'or-v1-', 'or-'];
const PREFIXES = ['sk-', 'AIza', 'AKIA', 'ASIA', 'github_pat_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_',
  'gsk_', 'hf_', 'xai-', 'pplx-', 'r8_', 'xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxs-', 'xoxr-'];

/** Length of the family's public prefix of `v` ("sk-proj-", "AIza", a JWT header), or 0. */
function publicPrefixLength(v) {
  if (v.startsWith('eyJ')) {
    const dot = v.indexOf('.');
    return dot < 0 ? 0 : dot + 1;
  }
  const p = PREFIXES.find((x) => v.startsWith(x));
  if (!p) return 0;
  if (p === 'sk-') {
    const part = SK_PARTS.find((x) => v.startsWith(x, 3));
    if (part) return 3 + part.length;
  }
  return p.length;
}

/** The middle of `v`: without its public prefix and its last 4 characters. */
function middleOf(v) {
  let p = publicPrefixLength(v);
  if (p + 4 > v.length) p = 0;
  return { begin: p, end: Math.max(p, v.length - 4) };
}

/** How many middle characters a run needs to count: >= 12 and >= 64 bits. */
function runLength(v) {
  const { begin, end } = middleOf(v);
  const mid = v.slice(begin, end);
  const others = new Set([...mid].filter((c) => !/[A-Za-z0-9]/.test(c)));
  const symbols = (/[g-z]/.test(mid) ? 26 : /[a-f]/.test(mid) ? 6 : 0) +
    (/[G-Z]/.test(mid) ? 26 : /[A-F]/.test(mid) ? 6 : 0) + (/[0-9]/.test(mid) ? 10 : 0) + others.size;
  return Math.max(12, Math.min(64, Math.ceil(64 / Math.log2(Math.max(2, symbols)))));
}

/** Every run of `v` that counts, as [offset, text]; [] when only the whole value counts. */
function countableRuns(v) {
  const { begin, end } = middleOf(v);
  const r = runLength(v);
  const out = [];
  for (let i = begin; i + r <= end; i++) out.push([i, v.slice(i, i + r)]);
  return out;
}

module.exports = { publicPrefixLength, runLength, countableRuns };
