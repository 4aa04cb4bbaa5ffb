'use strict';
// keyref demo: what an extension sees when it checks apiKeyRef values.
// Run it with `scripts/demo.sh` (installs and builds what is missing first).
const keyref = require('..');

function section(title) {
  console.log(`\n== ${title}`);
}

section('apiKeyRef verdicts (policy: the default schemes secret, env, keyring)');
// Example refs: valid ones name where a key lives; the refused ones show what
// keyref will not accept. The "key" below is a made-up string of the right
// shape, built at run time so that no key-shaped literal sits in this file.
const fakeKey = ['sk', 'proj', 'Xq7Rt2Lm9Vb4Nc8Wd1Zf6Hg3Jk5Pa0Se'].join('-');
const examples = [
  'secret:openai/prod',
  'env:OPENAI_API_KEY',
  'keyring:api.openai.com/alice@example.com',
  'op://Private/OpenAI/credential',
  'OPENAI_API_KEY',
  fakeKey,
  'ENV:OPENAI_API_KEY',
  'vault:kv/openai',
  'secret:team/../admin',
  'env:1PASSWORD',
  'secret:openai\u200b',
  '',
];
for (const ref of examples) {
  const r = keyref.parseRef(ref);
  const shown = ref === fakeKey ? '<a pasted sk-proj- key>' : JSON.stringify(ref);
  if (r.ok) {
    console.log(`  ok      ${shown.padEnd(44)} scheme=${r.scheme}`);
  } else {
    console.log(`  refused ${shown.padEnd(44)} ${r.code}: ${r.message}`);
    if (r.hint) console.log(`          ${''.padEnd(44)} hint: ${r.hint}`);
  }
}

// The main job: a streamed chat turn whose key is resolved, sent and wiped
// in native code, then profiles and the webview bridge.
const { demoChat } = require('./demo_chat');
const { demoProfiles } = require('./demo_profiles');

(async () => {
  await demoChat();
  await demoProfiles();
})().catch((err) => {
  console.error(`demo failed: ${err.code || ''} ${err.message}`);
  process.exitCode = 1;
});
