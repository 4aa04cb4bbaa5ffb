'use strict';
// Fuzzes the JavaScript-side validators: profile validation (the profile
// store's secret rules, then schemas/llm-profile.schema.json) and the
// webview bridge (fromWebview, toWebview). They are TypeScript over ajv and
// have no native twin, so libFuzzer cannot drive them; this is a
// jsfuzz-style loop instead: structure-aware mutations of the seeds in
// test/fuzz/corpus/js_validators/seeds.json, a fixed PRNG seed (printed, so
// a failure reproduces with --seed), and a bound on count and time.
//
// Properties, beyond "no unexpected exception":
//  - validateProfile returns null or {code: PROFILE_INVALID |
//    PROFILE_CONTAINS_SECRET, message, hint}; a profile it accepts holds no
//    live secret and no credential shape anywhere (names included);
//  - fromWebview throws only ERR_INVALID_ARG_TYPE / _VALUE;
//  - toWebview throws only WEBVIEW_LEAK_BLOCKED / ERR_INVALID_ARG_*; what
//    it returns never holds a live secret or a credential shape;
//  - no message or hint of toWebview or validateProfile quotes a planted
//    canary; fromWebview's quotes no value (names: see below).
//
//   node test/fuzz/js_validators_fuzz.js [--runs N] [--seconds S] [--seed X]
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const root = path.join(__dirname, '..', '..');
const { Sidecar, containsCredential } = require(root);
const { validateProfile } = require(path.join(root, 'addon/dist/profiles.js'));
const { fromWebview, toWebview } = require(path.join(root, 'addon/dist/webview.js'));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const runs = arg('runs', 1e9);
const seconds = arg('seconds', 30);
const seed = arg('seed', Date.now() % 1e9);

// xorshift32: reproducible from the printed seed.
let state = (seed >>> 0) || 1;
function rnd(n) {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
}
const pick = (a) => a[rnd(a.length)];

// Canaries built at run time (never literals in the repo): a live plain
// secret (only the live-secret rule can catch it) and a key-shaped one.
const live = `canary${crypto.randomBytes(8).toString('hex')}zz`;
const shaped = ['sk', 'proj', crypto.randomBytes(24).toString('base64url').replace(/[-_]/g, 'Q')].join('-');
const canaries = [live, shaped];

const strings = ['', 'a', 'secret:x', 'env:A', 'op://v/i/f', 'http://127.0.0.1', 'https://u:p@h', 'https://h?key=1',
  'x'.repeat(600), '\u0000', '\ud800', 'é', '__proto__', 'constructor', 'apiKey', 'token', 'Authorization',
  'llmProfiles.save', 'llmProfiles.state', 'stored', 'openai', '-1', '1e999', live, shaped, `Bearer ${live}`,
  `secret:${live}`, `x-${shaped}-y`];
function randomValue(depth) {
  switch (rnd(depth > 2 ? 5 : 8)) {
    case 0: return pick(strings);
    case 1: return pick([0, -1, 1.5, 1e308, NaN, Number.MAX_SAFE_INTEGER + 2]);
    case 2: return pick([true, false, null]);
    case 3: return pick(strings) + pick(strings);
    case 4: return pick(strings).slice(rnd(4));
    case 5: return [randomValue(depth + 1), randomValue(depth + 1)];
    default: {
      const o = {};
      for (let i = rnd(4); i > 0; i--) put(o, pick(strings), randomValue(depth + 1));
      return o;
    }
  }
}
// Every (container, key) reachable in v.
function slots(v, out = []) {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push([v, k]);
      slots(v[k], out);
    }
  }
  return out;
}
// Sets an own property, as JSON.parse would: a "__proto__" name stays a
// name instead of replacing the prototype.
function put(obj, key, value) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
function mutate(seedValue) {
  const v = JSON.parse(JSON.stringify(seedValue));
  for (let n = 1 + rnd(3); n > 0; n--) {
    const all = slots(v);
    const [obj, key] = all.length ? pick(all) : [v, 'x'];
    switch (rnd(5)) {
      case 0: put(obj, key, randomValue(0)); break;
      case 1: delete obj[key]; break;
      case 2: if (!Array.isArray(obj)) { const v2 = obj[key]; delete obj[key]; put(obj, pick(strings), v2); } break;
      case 3: if (typeof obj[key] === 'string') put(obj, key, obj[key].slice(0, rnd(obj[key].length + 1)) + pick(strings)); break;
      default: if (!Array.isArray(obj)) put(obj, pick(strings), randomValue(0));
    }
  }
  return v;
}

function fail(what, input, extra) {
  console.error(`property violated: ${what} (seed ${seed})`);
  // The input holds canaries only: synthetic, safe to print.
  console.error(JSON.stringify(input).slice(0, 2000), extra ?? '');
  process.exit(1);
}
function quotes(text) {
  return typeof text === 'string' && canaries.some((c) => text.includes(c) || text.includes(c.slice(0, 16)));
}
function namesOf(v, out = []) {
  // for…in: a "__proto__" key made by a mutation is a prototype, whose
  // names the validators see too.
  if (v && typeof v === 'object') for (const k in v) { out.push(k); namesOf(v[k], out); }
  return out;
}

// What may never be persisted or sent: the live canary anywhere, and any
// credential shape in a string or a property name. (The shaped canary glued
// to other text, e.g. "ask-proj-…", is no longer a shape: the detector
// works on whole tokens, docs/apikeyref.md.)
function holdsCanary(v) {
  if (JSON.stringify(v).includes(live)) return true;
  const strings = [];
  const walk = (x) => {
    if (typeof x === 'string') strings.push(x);
    else if (x && typeof x === 'object') for (const [k, c] of Object.entries(x)) { strings.push(k); walk(c); }
  };
  walk(v);
  return strings.some((t) => containsCredential(t) !== null);
}

async function main() {
  const seeds = JSON.parse(fs.readFileSync(path.join(__dirname, 'corpus/js_validators/seeds.json'), 'utf8'));
  const store = new Map();
  const sidecar = new Sidecar({ secretStorage: {
    async get(k) { return store.get(k); }, async store(k, v) { store.set(k, v); }, async delete(k) { store.delete(k); },
  } });
  await sidecar.storeSecret('secret:fuzz/live', live);
  const held = await sidecar.check('secret:fuzz/live');  // makes `live` live for the redactor
  if (!held.ok) fail('could not make the canary live', {});

  const deadline = Date.now() + seconds * 1000;
  const counts = { profile: 0, fromWebview: 0, toWebview: 0, accepted: 0 };
  let i = 0;
  for (; i < runs && Date.now() < deadline; i++) {
    const which = rnd(3);
    if (which === 0) {
      const input = mutate(pick(seeds.profiles));
      counts.profile++;
      let r;
      try { r = validateProfile(input, sidecar); } catch (e) { fail(`validateProfile threw ${e && e.code}`, input, e); }
      if (r === null) {
        counts.accepted++;
        if (holdsCanary(input)) fail('validateProfile accepted a profile holding a canary', input);
      } else {
        if (!['PROFILE_INVALID', 'PROFILE_CONTAINS_SECRET'].includes(r.code)) fail(`unexpected code ${r.code}`, input);
        if (quotes(r.message) || quotes(r.hint)) fail('a profile problem quotes a canary', input, r);
      }
    } else if (which === 1) {
      const input = mutate(pick(seeds.fromWebview));
      counts.fromWebview++;
      try { fromWebview(input); counts.accepted++; } catch (e) {
        if (!['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE'].includes(e.code)) fail(`fromWebview threw ${e.code}`, input, e);
        // Not checked for canaries: the message may name what the page
        // itself sent, to the host only, and making it depend on whether a
        // name is a live secret would answer the page's guesses (invariant
        // 5, docs/threat-model.md). Checked: it quotes no value.
        if (quotes(e.message) && !namesOf(input).some((k) => e.message.includes(k) && quotes(k))) {
          fail('fromWebview error quotes a value', input, e.message);
        }
      }
    } else {
      const input = mutate(pick(seeds.toWebview));
      counts.toWebview++;
      let out;
      try { out = toWebview(sidecar, input); } catch (e) {
        if (!['WEBVIEW_LEAK_BLOCKED', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE'].includes(e.code)) {
          fail(`toWebview threw ${e.code}`, input, e);
        }
        if (quotes(e.message) || quotes(e.hint)) fail('toWebview error quotes a canary', input, e.message);
        continue;
      }
      counts.accepted++;
      if (holdsCanary(out)) fail('toWebview let a canary through', input);
    }
  }
  console.log(`stat::number_of_executed_units: ${i}`);
  console.log(`stat::accepted: ${counts.accepted} profile: ${counts.profile} fromWebview: ${counts.fromWebview} ` +
    `toWebview: ${counts.toWebview} seed: ${seed}`);
  sidecar.close?.();
}
main().catch((e) => { console.error(e); process.exit(1); });
