'use strict';
// Refs per second through the addon: parseRef(ref) from JavaScript, for a
// valid-only mix and a mixed (valid + refused) mix. Prints the median of
// several rounds. Figures only, never a pass/fail (aim: >= 2M refs/s).
const { parseRef } = require('../..');

const VALID = [
  'secret:openai/prod',
  'env:OPENAI_API_KEY',
  'keyring:openai/alice',
  'secret:team-alpha/openai-production/key-2024-primary-east',
  'env:AZURE_OPENAI_API_KEY_PRODUCTION_EASTUS2',
  'keyring:com.example.app/alice@example.com',
  'secret:anthropic',
  'env:GROQ_API_KEY',
];
// Synthetic keys only.
const MIXED = [
  'secret:openai/prod',
  'env:OPENAI_API_KEY',
  'keyring:openai/alice',
  'secret:team-alpha/openai-production/key-2024-primary-east',
  'sk-proj-FAKE_example-0123456789abcdefNOTAKEY0000',
  'secret:ghp_FAKE0123456789abcdefEXAMPLEnotakey00',
  'env:OPENAI_API_KEY ',
  'OPENAI_API_KEY',
  'ENV:OPENAI_API_KEY',
  'file:openai',
  'secret:a/../b',
  'op://Private/OpenAI/credential?attribute=otp',
];

const ROUNDS = Number(process.env.KEYREF_BENCH_ROUNDS || 7);
const CALLS = Number(process.env.KEYREF_BENCH_CALLS || 1_000_000);

function round(refs, policy) {
  let ok = 0;
  const n = refs.length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    if (parseRef(refs[i % n], policy).ok) ok++;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { rate: CALLS / (ns / 1e9), ok };
}

function run(name, refs, policy) {
  round(refs, policy);  // warm up (JIT, describe cache)
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(round(refs, policy).rate);
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  const fmt = (x) => (x / 1e6).toFixed(2) + 'M';
  console.log(`parseRef ${name.padEnd(28)} median ${fmt(median)} refs/s ` +
    `(min ${fmt(rates[0])}, max ${fmt(rates[rates.length - 1])}, ${ROUNDS} rounds x ${CALLS})`);
}

run('valid refs', VALID);
run('mixed valid + refused', MIXED);
run('valid refs, explicit policy', VALID, { allowSchemes: ['secret', 'env', 'keyring'] });
