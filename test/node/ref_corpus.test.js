'use strict';
// One corpus (test/fixtures/ref-corpus.json), three judges: the C++ tests
// (test/native/ref_test.cpp), parseRef through the addon, and the JSON
// schema through ajv. parseRef must give every case its code; the schema
// must accept exactly the valid cases, except the two kinds of case it
// cannot judge, listed here by hand so that any drift fails the test.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { parseRef } = require('../..');

const root = path.join(__dirname, '..', '..');
const corpus = require(path.join(root, 'test/fixtures/ref-corpus.json'));
const refSchema = require(path.join(root, 'schemas/apikeyref.schema.json'));
const profileSchema = require(path.join(root, 'schemas/llm-profile.schema.json'));

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addSchema(refSchema);
const validateRef = ajv.getSchema(refSchema.$id);
const validateProfile = ajv.compile(profileSchema);

const key = (c) => JSON.stringify([c.ref, c.policy ?? null]);
const policyOf = (c) => (c.policy ? { allowSchemes: c.policy } : undefined);

// Refs the schema accepts but parseRef refuses as REF_LITERAL_SECRET: their
// grammar is valid, and only the native credential-shape check sees a key.
const LITERAL_ONLY = [
  'secret:sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00',
  'secret:sk-proj-FAKE_example-0123456789abcdefNOTAKEY0000',
  'secret:sk-ant-api03-FAKE0123456789abcdefEXAMPLE-notakey_AA',
  'env:AKIAIOSFODNN7EXAMPLE',
  'env:ASIAFAKE0EXAMPLE0000',
  'env:ghp_FAKE0123456789abcdefEXAMPLEnotakey00',
  'keyring:openai/sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00',
  'keyring:hf_FAKE0123456789abcdefEXAMPLEnotak',
  'secret:AIzaFAKE0123456789abcdefEXAMPLEnotakey0',
  'secret:gsk_FAKE0123456789abcdefEXAMPLE',
  'secret:xai-FAKE0123456789abcdefEXAMPLE',
  'secret:pplx-FAKE0123456789abcdefEXAMPLE',
  'secret:r8_FAKE0123456789abcdefEXAMPLE',
  'secret:xoxb-0000000000-FAKEexample',
  'secret:github_pat_FAKE0123456789_abcdefEXAMPLEnotakey00',
  'secret:eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlIn0.',
  'secret:bm90IGEgcmVhbCBrZXksIGtleXJlZiB0ZXN0IDQyIGZpeHR1cmU',
  'env:fa4e0c1d9b8a7f6e5d4c3b2a1908f7e6d5c4b3a2',
  'pass:llm/sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00',
  'pass:gho_FAKE0123456789abcdefEXAMPLEnotakey00',
  'file:ghu_FAKE0123456789abcdefEXAMPLEnotakey00',
  'op://Private/OpenAI/sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00',
  'secret:a/RkFLRSBrZXkgZm9yIGtleXJlZiB0ZXN0cyAwMTIzNDU2Nzg5IG9ubHk',
];

// Refs the schema accepts but parseRef refuses as REF_SCHEME_DISABLED: the
// schema checks all six schemes and cannot know the policy. [ref, policy].
const POLICY_ONLY = [
  ['op://Private/OpenAI/credential', null],
  ['op://Private/Open AI/credential', null],
  ['pass:llm/openai', null],
  ['file:openai', null],
  ['secret:openai', ['env']],
  ['keyring:alice', ['secret']],
  ['env:OPENAI_API_KEY', []],
  ['op://Private/OpenAI/credential', ['pass', 'file']],
];

test('the corpus is large and well formed', () => {
  assert.ok(corpus.length >= 170, `only ${corpus.length} cases`);
  const seen = new Set();
  for (const c of corpus) {
    assert.equal(typeof c.ref, 'string');
    assert.match(c.code, /^(OK|REF_[A-Z_]+)$/);
    assert.ok(!seen.has(key(c)), `duplicate case ${key(c)}`);
    seen.add(key(c));
  }
});

test('parseRef gives every corpus case its code', () => {
  const wrong = [];
  for (const c of corpus) {
    const r = parseRef(c.ref, policyOf(c));
    const got = r.ok ? 'OK' : r.code;
    if (got !== c.code) wrong.push(`${JSON.stringify(c.ref).slice(0, 60)}: want ${c.code}, got ${got}`);
    if (!r.ok) {
      assert.equal(typeof r.message, 'string');
      assert.ok(r.message.length > 0);
      // Never the input itself in what goes back to JavaScript.
      if (c.ref.length > 8) {
        assert.ok(!r.message.includes(c.ref) && !(r.hint ?? '').includes(c.ref), c.ref);
      }
    } else {
      assert.equal(r.ref, c.ref);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the corpus marks exactly the literal-only cases', () => {
  const marked = corpus.filter((c) => c.literalOnly).map((c) => c.ref);
  assert.deepEqual(marked, LITERAL_ONLY);
});

test('the schema agrees with parseRef except for the listed cases', () => {
  const literalOnly = [];
  const policyOnly = [];
  const other = [];
  for (const c of corpus) {
    const accepted = validateRef(c.ref);
    if (accepted === (c.code === 'OK')) continue;
    if (accepted && c.code === 'REF_LITERAL_SECRET') literalOnly.push(c.ref);
    else if (accepted && c.code === 'REF_SCHEME_DISABLED') policyOnly.push([c.ref, c.policy ?? null]);
    else other.push(`${JSON.stringify(c.ref).slice(0, 60)} ${c.code} schema=${accepted}`);
  }
  assert.deepEqual(other, [], 'the schema and parseRef disagree');
  assert.deepEqual(literalOnly, LITERAL_ONLY);
  assert.deepEqual(policyOnly, POLICY_ONLY);
});

test('the schema refuses every ref over 256 characters and the empty string', () => {
  assert.equal(validateRef(''), false);
  assert.equal(validateRef('secret:' + 'a'.repeat(249)), false);
  assert.equal(validateRef('op://' + ['a', 'a', 'a', 'a'].map(() => 'a'.repeat(62)).join('/')), true);
  assert.equal(validateRef('op://' + ['a'.repeat(62), 'a'.repeat(62), 'a'.repeat(62), 'a'.repeat(63)].join('/')), false);
});

const profile = {
  id: 'openai-prod',
  label: 'OpenAI (production)',
  provider: 'openai',
  model: 'gpt-4o-mini',
  baseUrl: 'https://api.openai.com/v1',
  // A reference to where the key lives, never the key (docs/invariants.md, "References, never keys").
  apiKeyRef: 'secret:openai/prod',
  headers: { 'OpenAI-Organization': 'org-example', 'X-Title': 'keyref test' },
  options: { temperature: 0.2 },
};

test('llm-profile: a valid profile passes', () => {
  assert.equal(validateProfile(profile), true, JSON.stringify(validateProfile.errors));
  for (const provider of profileSchema.properties.provider.enum) {
    assert.equal(validateProfile({ ...profile, provider }), true, provider);
  }
});

test('llm-profile: an apiKey property is refused', () => {
  const bad = { ...profile, apiKey: 'sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00' };
  assert.equal(validateProfile(bad), false);
  const keywords = validateProfile.errors.map((e) => e.keyword);
  assert.ok(keywords.includes('not'), JSON.stringify(validateProfile.errors));
  assert.ok(keywords.includes('additionalProperties'));
  // Even with no apiKeyRef next to it.
  const { apiKeyRef, ...noRef } = bad;
  assert.equal(validateProfile(noRef), false);
});

test('llm-profile: credential headers are refused in any case', () => {
  for (const name of ['Authorization', 'authorization', 'AUTHORIZATION', 'x-api-key', 'X-API-Key',
    'api-key', 'Api-Key', 'x-goog-api-key', 'X-Goog-Api-Key', 'Cookie', 'cookie',
    'Proxy-Authorization', 'proxy-authorization']) {
    const bad = { ...profile, headers: { [name]: 'Bearer FAKE' } };
    assert.equal(validateProfile(bad), false, name);
  }
  // So is any name that carries a credential by its words (auth, token,
  // secret, cookie, session, …, or ending in "key").
  for (const name of ['X-Auth-Token', 'Ocp-Apim-Subscription-Key', 'X-Session-Id', 'Set-Cookie']) {
    assert.equal(validateProfile({ ...profile, headers: { [name]: 'x' } }), false, name);
  }
  // Ordinary headers are fine, including ones that merely mention a key.
  for (const name of ['OpenAI-Organization', 'X-Title', 'HTTP-Referer', 'X-Api-Key-Id']) {
    assert.equal(validateProfile({ ...profile, headers: { [name]: 'x' } }), true, name);
  }
});

test('llm-profile: the apiKeyRef goes through the apikeyref schema', () => {
  assert.equal(validateProfile({ ...profile, apiKeyRef: 'OPENAI_API_KEY' }), false);
  assert.equal(validateProfile({ ...profile, apiKeyRef: 'ENV:OPENAI_API_KEY' }), false);
  assert.equal(validateProfile({ ...profile, apiKeyRef: 'env:OPENAI_API_KEY' }), true);
  // apiKeyRef is optional: a profile being set up has no key yet (its
  // secret state is then 'missing'), and ollama needs none.
  const { apiKeyRef, ...noRef } = profile;
  assert.equal(validateProfile(noRef), true);
  assert.equal(validateProfile({ ...profile, id: 'has space' }), false);
  assert.equal(validateProfile({ ...profile, provider: 'acme' }), false);
  assert.equal(validateProfile({ ...profile, baseUrl: 'not a url' }), false);
});

test('every place that defines apiKeyRef says what it may contain', () => {
  assert.match(refSchema.description, /never the key/);
  assert.match(refSchema.description, /cannot know the scheme\s+policy|cannot know the scheme policy/);
  const prop = profileSchema.properties.apiKeyRef;
  assert.match(prop.description, /never the key/);
  assert.match(prop.$comment, /docs\/invariants\.md, "References, never keys"/);
});

test('huge inputs through the addon: too long, or a literal when a key leads', () => {
  // The addon copies at most 4 KiB of the string; the verdict cannot change.
  const huge = 'a'.repeat(1 << 20);
  assert.equal(parseRef(huge).code, 'REF_TOO_LONG');
  assert.equal(parseRef('env:' + huge + ' ').code, 'REF_TOO_LONG');
  assert.equal(parseRef('sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00' + huge).code, 'REF_LITERAL_SECRET');
  // 4096 bytes exactly, and multi-byte characters straddling the copy limit.
  assert.equal(parseRef('b'.repeat(4096)).code, 'REF_TOO_LONG');
  assert.equal(parseRef('\u00e9'.repeat(3000)).code, 'REF_TOO_LONG');
});
