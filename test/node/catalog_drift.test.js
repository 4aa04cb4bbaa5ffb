'use strict';
// Native code owns the lists (native/include/keyref: ref.h kSchemes, error.h
// kErrorCodes, provider.h kProviders, credential_names.h) and the addon
// exports them as `catalog`. Everything else that names them (the generated
// TypeScript names, the typed binding, the schemas, docs/errors.md and the
// scheme table of docs/apikeyref.md) is checked against that here. Each
// failure says exactly what to add where.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const root = path.join(__dirname, '..', '..');
const { render, target } = require(path.join(root, 'scripts', 'gen-catalog.js'));
const binding = require(path.join(root, 'build', 'Release', 'keyref.node'));
const keyref = require(root);
const { catalog } = binding;
const read = (rel) => fs.readFileSync(path.join(root, rel), 'utf8');
const schema = (name) => JSON.parse(read(`schemas/${name}`));

// docs/errors.md has one section per class.
const ERROR_SECTIONS = {
  ref: 'apiKeyRef parsing',
  source: 'Secret resolution',
  request: 'Outbound requests',
  profile: 'Profiles and the webview bridge',
  internal: 'Anything else',
};

function sameList(actual, expected, what, fix) {
  const missing = expected.filter((x) => !actual.includes(x));
  const extra = actual.filter((x) => !expected.includes(x));
  assert.ok(missing.length === 0 && extra.length === 0,
    `${what} disagrees with native code.` +
    (missing.length ? `\n  missing: ${missing.join(', ')}` : '') +
    (extra.length ? `\n  not in native code: ${extra.join(', ')}` : '') + `\n  fix: ${fix}`);
}

test('addon/ts/catalog.generated.ts is what scripts/gen-catalog.js writes from the native tables', () => {
  assert.ok(fs.readFileSync(target, 'utf8') === render(catalog),
    'addon/ts/catalog.generated.ts is out of date: run `node scripts/gen-catalog.js` after ' +
    'building the addon, and commit the file (the TS union types derive from it).');
});

test('the TypeScript surface derives from the catalog', () => {
  sameList([...keyref.PROVIDERS], catalog.providers.map((p) => p.name), 'PROVIDERS (index.ts)',
    'PROVIDERS must come from addon/ts/catalog.ts');
  sameList([...keyref.DEFAULT_ALLOW_SCHEMES], catalog.schemes.filter((s) => s.defaultEnabled).map((s) => s.name),
    'DEFAULT_ALLOW_SCHEMES (index.ts)', 'it must come from addon/ts/catalog.ts');
  for (const p of catalog.providers) {
    if (p.keyRequired) assert.ok(catalog.credentialHeaders.includes(p.authHeader),
      `${p.name}'s auth header ${p.authHeader} is not in kCredentialHeaders: add it to ` +
      'native/include/keyref/credential_names.h so callers cannot set it');
  }
});

test('addon/ts/native.ts types exactly what the addon exports', () => {
  const text = read('addon/ts/native.ts');
  const members = (iface) => {
    const body = text.slice(text.indexOf(`export interface ${iface} {`));
    const block = body.slice(0, body.indexOf('\n}\n'));
    // Optional members (`name?(`) may be absent (test-build hooks).
    return [...block.matchAll(/^ {2}(?:readonly )?([A-Za-z_]\w*)[(:]/gm)].map((m) => m[1]);
  };
  sameList(members('NativeBinding'), Object.keys(binding), 'NativeBinding in addon/ts/native.ts',
    'type the new export in NativeBinding (addon/ts/native.ts)');
  // Methods live on the prototype, except redact, an own property of each
  // object (bound to its instance: addon/src/sidecar_redact.cc).
  const sample = new binding.NativeSidecar({});
  const own = Object.getOwnPropertyNames(sample);
  sample.close();
  sameList(members('NativeSidecar'),
    [...Object.getOwnPropertyNames(binding.NativeSidecar.prototype).filter((n) => n !== 'constructor'), ...own],
    'NativeSidecar in addon/ts/native.ts', 'type the new method in NativeSidecar (addon/ts/native.ts)');
  sameList(members('NativeCatalog'), Object.keys(catalog), 'NativeCatalog in addon/ts/native.ts',
    'type the new list in NativeCatalog (addon/ts/native.ts)');
  assert.ok(!/\[key: string\]/.test(text), 'addon/ts/native.ts must not have an index signature');
});

test('docs/errors.md lists every native error code in the section of its class, and nothing else', () => {
  const sectionOf = new Map();
  let section = '';
  for (const line of read('docs/errors.md').split('\n')) {
    const h = /^## (.+)$/.exec(line);
    if (h) section = h[1].trim();
    const row = /^\| `([A-Z_]+)` \|/.exec(line);
    if (row && row[1] !== 'OK') sectionOf.set(row[1], section);
  }
  for (const { code, class: cls } of catalog.errorCodes) {
    const want = ERROR_SECTIONS[cls];
    assert.ok(want, `error class ${cls} (of ${code}) has no section in docs/errors.md: add "## …" and map it in ` +
      'ERROR_SECTIONS of test/node/catalog_drift.test.js');
    assert.ok(sectionOf.has(code), `docs/errors.md has no row for ${code}: add "| \`${code}\` | <when it happens> |" ` +
      `to the table under "## ${want}" (class ${cls} in native/include/keyref/error.h kErrorCodes)`);
    assert.equal(sectionOf.get(code), want, `docs/errors.md lists ${code} under "## ${sectionOf.get(code)}"; ` +
      `move its row under "## ${want}" (its class is ${cls})`);
  }
  sameList([...sectionOf.keys()], catalog.errorCodes.map((e) => e.code), 'the codes of docs/errors.md',
    'a code documented there must have a row in kErrorCodes (native/include/keyref/error.h)');
});

test('the scheme table of docs/apikeyref.md matches native kSchemes (names, order, forms, default policy)', () => {
  const text = read('docs/apikeyref.md');
  const table = text.slice(text.indexOf('## Schemes'), text.indexOf('\n## ', text.indexOf('## Schemes') + 1));
  const rows = [...table.matchAll(/^\| `([a-z]+)` \|(.*)\| (enabled|disabled) \|$/gm)]
    .map((m) => ({ name: m[1], rest: m[2], enabled: m[3] === 'enabled' }));
  assert.deepEqual(rows.map((r) => r.name), catalog.schemes.map((s) => s.name),
    'docs/apikeyref.md "## Schemes": one row per native scheme, in kSchemes order ' +
    '("| `NAME` | `FORM` | source | name rules | enabled or disabled |")');
  for (const s of catalog.schemes) {
    const row = rows.find((r) => r.name === s.name);
    assert.equal(row.enabled, s.defaultEnabled, `docs/apikeyref.md says ${s.name} is ` +
      `${row.enabled ? 'enabled' : 'disabled'} by default; native kSchemes says the opposite`);
  }
});

test('the schemas name exactly the native schemes, providers and webview codes', () => {
  const ref = schema('apikeyref.schema.json');
  const messages = schema('webview-messages.schema.json');
  const profile = schema('llm-profile.schema.json');
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(ref);
  const validate = ajv.getSchema(ref.$id);
  const all = catalog.schemes.map((s) => s.name);
  const exampleScheme = ref.examples.map((e) => /^([a-z]+):/.exec(e)[1]);
  sameList(exampleScheme, all, 'the examples of schemas/apikeyref.schema.json',
    'give one example per scheme, and extend its pattern for a new one');
  for (const ex of ref.examples) {
    const parsed = keyref.parseRef(ex, { allowSchemes: all });
    assert.ok(parsed.ok, `${ex} (an example of apikeyref.schema.json) is refused by parseRef: ${parsed.code}`);
    assert.ok(validate(ex), `${ex}: schemas/apikeyref.schema.json's pattern does not accept its own example ` +
      `for scheme ${parsed.scheme}: extend the pattern`);
  }
  for (const s of catalog.schemes) {
    for (const [file, text] of [['apikeyref.schema.json', ref.description],
      ['webview-messages.schema.json', messages.$defs.apiKeyRef.description]]) {
      assert.ok(text.includes(s.form), `schemas/${file}: the apiKeyRef description does not name ${s.form}`);
    }
  }
  const prefixes = messages.$defs.apiKeyRef.pattern.replace(/^\^\(\?:|\)$/g, '').split('|');
  sameList(prefixes, catalog.schemes.map((s) => /^[a-z]+:(?:\/\/)?/.exec(s.form)[0]),
    'the apiKeyRef pattern of schemas/webview-messages.schema.json', 'list every scheme prefix in it');
  sameList(profile.properties.provider.enum, catalog.providers.map((p) => p.name),
    'the provider enum of schemas/llm-profile.schema.json', 'list every provider of kProviders (provider.h)');
  const webviewCodes = [...catalog.errorCodes.filter((e) => e.class !== 'request').map((e) => e.code),
    'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE'];
  for (const [where, list] of [['$defs.profileView.properties.secretCode', messages.$defs.profileView.properties.secretCode.enum],
    ['the llmProfiles.error code', messages.$defs.hostToWebview.oneOf.find((m) => m.properties?.code)?.properties.code.enum]]) {
    sameList(list, webviewCodes, `schemas/webview-messages.schema.json ${where}`,
      'list every error code whose class is not "request" (kErrorCodes in error.h), plus ERR_INVALID_ARG_*');
  }
});

test('defaultBaseUrl is the native row: origin + path for public providers, none for the rest', () => {
  const want = {
    openai: 'https://api.openai.com/v1',
    openrouter: 'https://openrouter.ai/api/v1',
    anthropic: 'https://api.anthropic.com',
    gemini: 'https://generativelanguage.googleapis.com/v1beta',
    ollama: 'http://127.0.0.1:11434/v1',
  };
  for (const p of keyref.PROVIDERS) {
    assert.equal(keyref.defaultBaseUrl(p), want[p], p);
  }
  assert.equal(keyref.defaultBaseUrl('no-such-provider'), undefined);
});
