'use strict';
// No oracle (docs/threat-model.md, "No oracle"): the extension attack. A
// party that may submit text and see whether keyref treats it as holding a
// secret starts from a key's public prefix and extends it one character at
// a time (then two, then three, as a patient attacker would). Through
// redact() (100,000 probes), through the webview bridge (fromWebview ->
// ProfileStore.save -> webviewErrorMessage / toWebview, 5,000 probes) and
// through save() alone (5,000 probes) it must recover nothing beyond what it
// started with. Before the no-oracle rule, each of the three rebuilt the key
// (an 8-character window was enough to answer).
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProfileStore, webviewErrorMessage } = require('../..');
const { makeOps } = require('./helpers/sidecar_ops');

const ABC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Runs the attack with `ask(text) -> boolean` ("keyref treats text as
 * holding a secret") and at most `budget` probes. Returns what it knows.
 */
async function extensionAttack(ask, prefix, budget) {
  let known = prefix;
  let probes = 0;
  for (;;) {
    let learnt = false;
    // One character after the whole known part, and after its last 7 and
    // 11 characters (the windows an 8- or 12-character rule answers on).
    for (const tail of [0, 7, 11]) {
      const base = tail && known.length > tail ? known.slice(-tail) : known;
      const hits = [];
      for (const c of ABC) {
        if (probes >= budget) break;
        probes++;
        if (await ask(base + c)) hits.push(c);
      }
      if (hits.length === 1) {
        known += hits[0];
        learnt = true;
        break;
      }
    }
    // Nothing answered: two- and three-character extensions.
    for (const width of [2, 3]) {
      if (learnt) break;
      for (let i = 0; i < ABC.length ** width && probes < budget; i++, probes++) {
        let guess = known;
        for (let k = 0, v = i; k < width; k++, v = Math.floor(v / ABC.length)) guess += ABC[v % ABC.length];
        if (await ask(guess)) {
          known = guess;
          learnt = true;
          break;
        }
      }
    }
    if (!learnt || probes >= budget) return { known, probes };
  }
}

function freshKey(prefix) {
  return `${prefix}${crypto.randomBytes(36).toString('base64url')}`;
}

// The store's folder: tmpfs where there is one, so 5,000 saves cost no disk.
function tmpDir(t) {
  const root = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(root, 'keyref-oracle-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'profiles');
}

test('redact(): 100,000 probes recover nothing beyond the public prefix', async (t) => {
  const { sidecar, makeLive } = makeOps();
  t.after(() => sidecar.close());
  const proj = freshKey('sk-proj-');
  const ant = freshKey('sk-ant-api03-');
  await makeLive(proj);  // resolved once, wiped: remembered by fingerprints
  await makeLive(ant);
  const ask = (s) => {
    const text = `q ${s} q`;
    return sidecar.redact(text) !== text;
  };
  const a = await extensionAttack(ask, 'sk-proj-', 50000);
  const b = await extensionAttack(ask, 'sk-ant-api03-', 50000);
  assert.equal(a.probes + b.probes, 100000);
  assert.equal(a.known, 'sk-proj-');
  assert.equal(b.known, 'sk-ant-api03-');
  // Positive control: handed 11 characters of the middle, the same attack
  // answers on the 12th (the rule's bound), so it would notice an oracle.
  const start = proj.slice(0, 8 + 11);
  const c = await extensionAttack(ask, start, 500);
  assert.equal(c.known.slice(0, 8 + 12), proj.slice(0, 8 + 12));
  // The whole key and a run of 12 middle characters are still redacted.
  assert.equal(sidecar.redact(`key ${proj}`), 'key [REDACTED]');
  assert.equal(sidecar.redact(`<${proj.slice(20, 32)}>`), '<[REDACTED]>');
});

test('the webview bridge: 5,000 save probes answered through toWebview recover nothing', async (t) => {
  const { sidecar, makeLive } = makeOps();
  t.after(() => sidecar.close());
  const key = freshKey('sk-proj-');
  await makeLive(key);
  const store = new ProfileStore(tmpDir(t), sidecar);
  const seen = new Set();
  // What the page can do: post a save with a label of its choosing, read the
  // reply, and have its label shown back in a state message.
  const ask = async (label) => {
    const msg = sidecar.fromWebview({ type: 'llmProfiles.save', requestId: 'r1',
      profile: { id: 'probe', label, provider: 'openai', model: 'gpt-4o-mini' } });
    let reply;
    try {
      await store.save(msg.profile);
      reply = { type: 'llmProfiles.saved', requestId: msg.requestId, profileId: msg.profile.id };
    } catch (err) {
      reply = webviewErrorMessage(err, { requestId: msg.requestId, profileId: msg.profile.id }, sidecar);
    }
    let posted;
    try {
      posted = sidecar.toWebview(reply);
    } catch (err) {
      posted = { blocked: err.code };
    }
    let shown;
    try {
      shown = sidecar.toWebview({ type: 'llmProfiles.state',
        profiles: [{ ...msg.profile, secretState: 'missing' }] }).type;
    } catch (err) {
      shown = err.code;
    }
    const answer = `${posted.type ?? posted.blocked}/${posted.code ?? ''}/${shown}`;
    seen.add(answer);
    return answer !== 'llmProfiles.saved//llmProfiles.state';
  };
  const r = await extensionAttack(ask, 'sk-proj-', 5000);
  assert.equal(r.probes, 5000);
  assert.equal(r.known, 'sk-proj-');
  assert.deepEqual([...seen], ['llmProfiles.saved//llmProfiles.state']);
  // The whole key is refused, still.
  await assert.rejects(store.save({ id: 'k', label: key, provider: 'openai', model: 'm' }),
    { code: 'PROFILE_CONTAINS_SECRET' });
});

test('ProfileStore.save(): 5,000 probes of a hex key recover nothing', async (t) => {
  // OpenRouter's keys are hex after "sk-or-v1-": a run must hold 16 of
  // them (64 bits), not 12.
  const { sidecar, makeLive } = makeOps();
  t.after(() => sidecar.close());
  const key = `sk-or-v1-${crypto.randomBytes(32).toString('hex')}`;
  await makeLive(key);
  const store = new ProfileStore(tmpDir(t), sidecar);
  const ask = async (model) => {
    try {
      await store.save({ id: 'probe', label: 'probe', provider: 'openai', model });
      return false;
    } catch (err) {
      return err.code === 'PROFILE_CONTAINS_SECRET';
    }
  };
  const r = await extensionAttack(ask, 'sk-or-v1-', 5000);
  assert.equal(r.probes, 5000);
  assert.equal(r.known, 'sk-or-v1-');
  await assert.rejects(store.save({ id: 'k', label: 'x', provider: 'openai', model: key }),
    { code: 'PROFILE_CONTAINS_SECRET' });
});
