'use strict';
// keyref secret set / get / list / rm and keyref check, driving the real
// binary against the real gnome-keyring (run under scripts/with-keyring.sh):
// the echo-off prompt through a pty, the key found by the extension side
// (the addon's check), --reveal refused to a pipe, TTY-less prompts refused.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Sidecar } = require('../..');
const { newUser, run, runJson, runPty, canary, assertShape } = require('./helpers');

test('secret set prompts with echo off on the terminal; the extension finds the key in the keyring', async () => {
  const user = newUser();
  const key = canary('pty');
  const r = runPty(user, ['secret', 'set', 'ptykey', '--origin', 'https://llm.example.com'],
    [['(input hidden): ', `${key}\r`]]);
  assert.equal(r.status, 0, r.output);
  // Echo off: what was typed never appears on the terminal.
  assert.ok(!r.output.includes(key.slice(0, 12)), `the key was echoed:\n${r.output}`);
  assert.match(r.output, /apiKeyRef: +keyring:keyref\/ptykey/);
  assert.match(r.output, /origins: +https:\/\/llm\.example\.com/);
  const fp = /fingerprint: ([0-9a-f-]{14})/.exec(r.output)[1];
  const s = new Sidecar();
  try {
    assert.deepEqual(await s.check('keyring:keyref/ptykey'), { ok: true, scheme: 'keyring' });
    const d = await s.describe('keyring:keyref/ptykey');
    assert.equal(d.fingerprint, fp, 'the CLI and the extension show one fingerprint');
    assert.ok(d.origins.includes('https://llm.example.com'));
  } finally {
    s.close();
  }
});

test('Ctrl-C at the prompt exits 130 and stores nothing', () => {
  const user = newUser();
  const r = runPty(user, ['secret', 'set', 'interrupted'], [['(input hidden): ', 'abc\x03']]);
  assert.equal(r.status, 130, r.output);
  assert.equal(run(user, ['check', 'keyring:keyref/interrupted']).status, 4);
});

test('without a terminal the prompt is refused, and stdin is not read unless --stdin', () => {
  const user = newUser();
  // detached: a new session without a controlling terminal (no /dev/tty).
  const r = runJson(user, 'error', ['secret', 'set', 'notty'], { input: 'sk-should-not-be-read\n', detached: true });
  assert.equal(r.status, 6);
  assert.equal(r.body.error.code, 'CLI_NO_TERMINAL');
  assert.match(r.body.error.hint, /--stdin/);
  assert.equal(run(user, ['check', 'keyring:keyref/notty']).status, 4);
});

test('--stdin stores one line; more than one line or an empty one is refused', () => {
  const user = newUser();
  const key = canary('stdin');
  const ok = runJson(user, 'secretSet', ['secret', 'set', 'scripted', '--stdin'], { input: `${key}\n` });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.equal(ok.body.ref, 'keyring:keyref/scripted');
  assert.match(ok.body.fingerprint, /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
  assert.ok(!ok.stdout.includes(key.slice(0, 12)));
  const two = runJson(user, 'error', ['secret', 'set', 'two', '--stdin'], { input: `${key}\nsecond line\n` });
  assert.equal(two.status, 6);
  assert.equal(two.body.error.code, 'SECRET_MALFORMED');
  const empty = runJson(user, 'error', ['secret', 'set', 'empty', '--stdin'], { input: '\n' });
  assert.equal(empty.body.error.code, 'SECRET_MALFORMED');
});

test('secret get shows metadata only; --reveal is refused to a pipe, allowed on a terminal', () => {
  const user = newUser();
  const key = canary('reveal');
  run(user, ['secret', 'set', 'revealed', '--stdin'], { input: `${key}\n` });
  const meta = runJson(user, 'secretGet', ['secret', 'get', 'revealed']);
  assert.equal(meta.status, 0);
  assert.equal(meta.body.redacted, '[REDACTED]');
  assert.equal(meta.body.lengthClass, 'medium');
  assert.ok(meta.body.storedAt);
  assert.ok(!meta.stdout.includes(key.slice(0, 10)));
  const text = run(user, ['secret', 'get', 'revealed']);
  assert.ok(!text.stdout.includes(key.slice(0, 10)));
  // stdout is a pipe here: refused, nothing printed.
  const piped = run(user, ['secret', 'get', 'revealed', '--reveal']);
  assert.equal(piped.status, 6);
  assert.equal(piped.stdout, '');
  assert.match(piped.stderr, /CLI_REFUSED/);
  assert.ok(!piped.stderr.includes(key.slice(0, 10)));
  assert.equal(run(user, ['--json', 'secret', 'get', 'revealed', '--reveal', '--force']).status, 2);
  const forced = run(user, ['secret', 'get', 'revealed', '--reveal', '--force']);
  assert.equal(forced.status, 0);
  assert.equal(forced.stdout, `${key}\n`);
  assert.match(forced.stderr, /warning/);
  const tty = runPty(user, ['secret', 'get', 'revealed', '--reveal'], []);
  assert.equal(tty.status, 0);
  assert.ok(tty.output.includes(key));
  assert.match(tty.output, /warning: printing the key/);
});

test('secret list names keys, never values; secret rm asks unless --yes', () => {
  const user = newUser();
  const key = canary('list');
  run(user, ['secret', 'set', 'listed', '--stdin'], { input: `${key}\n` });
  const list = runJson(user, 'secretList', ['secret', 'list']);
  assert.deepEqual(list.body.secrets.map((s) => [s.name, s.state]), [['listed', 'stored']]);
  assert.ok(!list.stdout.includes(key.slice(0, 10)));
  const noTty = runJson(user, 'error', ['secret', 'rm', 'listed'], { detached: true });
  assert.equal(noTty.body.error.code, 'CLI_NO_TERMINAL');
  const no = runPty(user, ['secret', 'rm', 'listed'], [['[y/N] ', 'n\r']]);
  assert.equal(no.status, 6);
  assert.equal(run(user, ['check', 'keyring:keyref/listed']).status, 0);
  const rm = runJson(user, 'secretRm', ['secret', 'rm', 'listed', '--yes']);
  assert.equal(rm.status, 0);
  const gone = runJson(user, 'check', ['check', 'keyring:keyref/listed']);
  assert.equal(gone.status, 4);
  assert.equal(gone.body.results[0].error.code, 'SECRET_NOT_FOUND');
  assert.match(gone.body.results[0].error.hint, /keyref secret set listed/);
  assert.deepEqual(runJson(user, 'secretList', ['secret', 'list']).body.secrets, []);
});

test('check: verdicts per ref, exit 0 only if all resolve; a key given as a ref is never echoed', () => {
  const user = newUser();
  const key = canary('check');
  run(user, ['secret', 'set', 'checked', '--stdin'], { input: `${key}\n` });
  const good = runJson(user, 'check', ['check', 'keyring:keyref/checked', 'env:HOME']);
  assert.equal(good.status, 0);
  assert.equal(good.body.ok, true);
  const literal = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH';
  const r = runJson(user, 'check', ['check', 'keyring:keyref/checked', literal, 'secret:openai', 'file:x']);
  assert.equal(r.status, 3, 'the first failure decides: REF_LITERAL_SECRET');
  assert.ok(!r.stdout.includes(literal.slice(8, 20)));
  assert.equal(r.body.results[1].ref, null);
  assert.equal(r.body.results[1].error.code, 'REF_LITERAL_SECRET');
  assert.equal(r.body.results[2].error.code, 'SOURCE_UNAVAILABLE');
  assert.match(r.body.results[2].error.message, /terminal cannot reach/);
  assert.equal(r.body.results[3].error.code, 'REF_SCHEME_DISABLED');
  assert.match(r.body.results[3].error.hint, /keyref backend set file/);
  const text = run(user, ['check', literal]);
  assert.ok(!(text.stdout + text.stderr).includes(literal.slice(8, 20)));
});

test('--help for every command, --version, unknown commands and options', () => {
  const user = newUser();
  const help = run(user, ['--help']);
  assert.equal(help.status, 0);
  const usages = [...help.stdout.matchAll(/^ {2}keyref ([a-z]+(?: [a-z]+)?)/gm)].map((m) => m[1].split(' '));
  assert.ok(usages.length >= 12, help.stdout);
  for (const words of usages) {
    const cmd = words.filter((w) => /^[a-z]+$/.test(w) && !['keyring'].includes(w)).slice(0, 2);
    const h = run(user, [...cmd, '--help']);
    assert.equal(h.status, 0, cmd.join(' '));
    assert.match(h.stdout, /^Usage: keyref /, cmd.join(' '));
  }
  assertShape('version', JSON.parse(run(user, ['--json', '--version']).stdout));
  assert.equal(runJson(user, 'error', ['frobnicate']).status, 2);
  const bad = runJson(user, 'error', ['secret', 'get', 'x', '--sk-proj-AbCdEfGhIjKlMnOpQrStUvWx']);
  assert.equal(bad.status, 2);
  assert.ok(!bad.stdout.includes('AbCdEfGh'));
});

// A binding record names the key it binds (docs/origins.md, "Which key a
// binding belongs to"). When something else (keytar, secret-tool, another
// program) replaces the key but not its record, the old origins no longer
// bind it; secret get and check say so in replacedOrigins (--json) and a
// "not applied" line, and binding them again on purpose clears it.
test('secret get and check show origins recorded for a replaced key as not applied', () => {
  const user = newUser();
  const name = `rot${Math.random().toString(36).slice(2, 8)}`;
  const set = runJson(user, 'secretSet', ['secret', 'set', name, '--stdin', '--origin', 'https://old.example.com'],
    { input: `${canary('old')}\n` });
  assert.equal(set.status, 0, set.stdout + set.stderr);
  assert.deepEqual(runJson(user, 'secretGet', ['secret', 'get', name]).body.replacedOrigins, undefined);

  // Another program replaces the key in the keyring, not the record.
  const newKey = canary('new');
  execFileSync('secret-tool', ['clear', 'service', 'keyref', 'account', name]);
  execFileSync('secret-tool', ['store', '--label=replaced by another program', 'service', 'keyref', 'account', name],
    { input: newKey });

  const got = runJson(user, 'secretGet', ['secret', 'get', name]);
  assert.equal(got.status, 0, got.stdout + got.stderr);
  assert.ok(!got.body.origins.includes('https://old.example.com'), JSON.stringify(got.body));
  assert.deepEqual(got.body.replacedOrigins, ['https://old.example.com']);
  assert.notEqual(got.body.fingerprint, set.body.fingerprint);
  const checked = runJson(user, 'check', ['check', `keyring:keyref/${name}`]);
  assert.deepEqual(checked.body.results[0].replacedOrigins, ['https://old.example.com']);
  const text = run(user, ['secret', 'get', name]);
  assert.match(text.stdout, /not applied: +https:\/\/old\.example\.com \(recorded for a key this one replaced/);
  assert.ok(!(text.stdout + got.stdout + checked.stdout).includes(newKey.slice(10, 22)));

  // Bound again on purpose: the record now names the key stored now.
  assert.equal(runJson(user, 'secretBind', ['secret', 'bind', name, '--origin', 'https://old.example.com']).status, 0);
  const after = runJson(user, 'secretGet', ['secret', 'get', name]);
  assert.ok(after.body.origins.includes('https://old.example.com'));
  assert.equal(after.body.replacedOrigins, undefined);
  assert.doesNotMatch(run(user, ['secret', 'get', name]).stdout, /not applied/);
  run(user, ['secret', 'rm', name, '--yes']);
});

// A binding record holding an origin that no longer parses binds nothing
// (none of its origins: fail closed), and check / secret get say so with
// BAD_ORIGIN and a hint, never the record's text. Before, the key simply
// showed no stored origins, and nothing said why.
test('check and secret get say when the binding record holds an origin that no longer parses', () => {
  const user = newUser();
  assert.equal(runJson(user, 'backendSet', ['backend', 'set', 'file']).status, 0);
  const key = canary('bound');
  const set = runJson(user, 'secretSet',
    ['secret', 'set', 'bound', '--backend', 'file', '--stdin', '--origin', 'https://api.bound.example'],
    { input: `${key}\n` });
  assert.equal(set.status, 0, set.stdout + set.stderr);
  const file = path.join(user.config, 'secrets.json');
  const entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  const record = JSON.parse(entries['keyref:origins:bound']);
  record.origins.push('ftp://hand-edited.example');
  entries['keyref:origins:bound'] = JSON.stringify(record);
  fs.writeFileSync(file, JSON.stringify(entries), { mode: 0o600 });

  const checked = runJson(user, 'check', ['check', 'file:bound']);
  assert.equal(checked.status, 0, 'the key itself resolves');
  const r = checked.body.results[0];
  assert.equal(r.ok, true);
  assert.ok(!r.origins.includes('https://api.bound.example'), 'the record binds nothing');
  assert.equal(r.bindingProblem.code, 'BAD_ORIGIN');
  assert.match(r.bindingProblem.message, /file:bound.*no longer parses \(origin 2 of 2\)/);
  assert.match(r.bindingProblem.hint, /keyref secret bind NAME --origin URL/);
  const text = run(user, ['check', 'file:bound']);
  assert.match(text.stdout, /ok {4}file:bound.*\n {6}warning: BAD_ORIGIN: .*no longer parses.*\n {6}hint: Bind the key again/);
  const got = runJson(user, 'secretGet', ['secret', 'get', 'bound']);
  assert.equal(got.body.bindingProblem.code, 'BAD_ORIGIN');
  const gotText = run(user, ['secret', 'get', 'bound']).stdout;
  assert.match(gotText, /warning: +BAD_ORIGIN: .*\n +hint: +Bind it again: keyref secret bind bound --origin URL/);
  for (const out of [checked.stdout, text.stdout, text.stderr, got.stdout, gotText]) {
    assert.ok(!out.includes('hand-edited'), 'the record\'s text is not repeated');
    assert.ok(!out.includes(key.slice(10, 22)), 'nor the key');
  }

  // Bound again: the record reads, and the warning is gone.
  assert.equal(runJson(user, 'secretBind', ['secret', 'bind', 'bound', '--origin', 'https://api.bound.example']).status, 0);
  const after = runJson(user, 'check', ['check', 'file:bound']).body.results[0];
  assert.equal(after.bindingProblem, undefined);
  assert.ok(after.origins.includes('https://api.bound.example'));
});
