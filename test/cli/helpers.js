'use strict';
// Shared by the keyref CLI tests (test/cli): run the real binary with its
// own config folder, validate every --json document against
// schemas/cli-output.schema.json, drive the terminal prompt through a pty.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const root = path.join(__dirname, '..', '..');
const BIN = process.env.KEYREF_CLI_BIN || path.join(root, 'build-native', 'keyref');
const SCHEMA_ID = 'https://keyref.dev/schemas/cli-output.schema.json';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema(require('../../schemas/cli-output.schema.json'));
ajv.addSchema(require('../../schemas/apikeyref.schema.json'));
ajv.addSchema(require('../../schemas/llm-profile.schema.json'));

/** Validates `doc` against one $defs entry of the CLI schema. */
function assertShape(def, doc) {
  const v = ajv.getSchema(`${SCHEMA_ID}#/$defs/${def}`);
  assert.ok(v, `no schema $defs/${def}`);
  assert.ok(v(doc), `${def}: ${JSON.stringify(v.errors)}\n${JSON.stringify(doc)}`);
}

/** Validates a profile file's JSON against llm-profile.schema.json. */
function assertProfile(doc) {
  const v = ajv.getSchema('https://keyref.dev/schemas/llm-profile.schema.json');
  assert.ok(v(doc), JSON.stringify(v.errors));
}

/** A fresh user: its own XDG_CONFIG_HOME (the CLI's config and profiles). */
function newUser(extraEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyref-cli-'));
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'config'), ...extraEnv };
  return { dir, env, config: path.join(dir, 'config', 'keyref') };
}

/** Runs the binary; `input` goes to stdin (else stdin is empty). */
function run(user, args, { input = '', env = user.env, detached = false } = {}) {
  const r = spawnSync(BIN, args, { env, input, encoding: 'utf8', timeout: 60000, detached });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs with --json and checks the document: $defs/<def> when ok, else
 * $defs/error (or, for commands that report per item, the same def).
 */
function runJson(user, def, args, opts) {
  const r = run(user, ['--json', ...args], opts);
  let body;
  try {
    body = JSON.parse(r.stdout);
  } catch {
    assert.fail(`not one JSON document (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
  if (body.ok === false && body.error) assertShape('error', body);
  else assertShape(def, body);
  return { ...r, body };
}

/** Runs the binary on a pty, answering [expect, send] steps. */
function runPty(user, args, steps) {
  const r = spawnSync('python3', [path.join(__dirname, 'pty_run.py'), JSON.stringify(steps), BIN, ...args],
    { env: user.env, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Every 8-character window of `secret` (the canary scan's needles). */
function windows(secret, n = 8) {
  const out = [];
  for (let i = 0; i + n <= secret.length; i++) out.push(secret.slice(i, i + n));
  return out;
}

/** Files under `dir` (hidden ones too) holding any 8-character run of `secret`. */
function filesLeaking(dir, secret) {
  const needles = windows(secret);
  const hits = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const text = fs.readFileSync(p, 'latin1');
        if (needles.some((w) => text.includes(w))) hits.push(p);
      }
    }
  };
  walk(dir);
  return hits;
}

/** A key-shaped canary that is not any real key. */
function canary(tag) {
  return `sk-canary-${tag}-${Math.random().toString(36).slice(2, 10)}Q7x9Z3k5W2`;
}

module.exports = { BIN, root, assertShape, assertProfile, newUser, run, runJson, runPty, filesLeaking, canary };
