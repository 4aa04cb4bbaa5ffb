'use strict';
// Demo piece: a streamed chat turn through keyref with an env: ref.
// It starts the loopback OpenAI-compatible server (examples/openai_server.js)
// as the embedded default provider, puts a freshly made demo key in an
// environment variable, and sends the turn through keyref's chat client.
// The key is resolved, put in the Authorization header and wiped in native
// code; this script only ever names it by reference.
const crypto = require('node:crypto');
const keyref = require('..');
const { startOpenAIServer } = require('./openai_server');

const KEY_VAR = 'KEYREF_DEMO_OPENAI_KEY';
const WRONG_VAR = 'KEYREF_DEMO_WRONG_KEY';

/**
 * Runs the demo. `write` receives text as it streams (default: stdout).
 * @returns {Promise<{ content: string, finishReason?: string }>}
 */
async function demoChat({ write = (s) => process.stdout.write(s) } = {}) {
  // A throwaway key, made now; the server is told it out of band.
  const demoKey = `sk-demo-${crypto.randomBytes(24).toString('base64url')}`;
  process.env[KEY_VAR] = demoKey;
  const server = await startOpenAIServer({ expectedKey: demoKey });
  // apiKeyRef names WHERE the key lives (an environment variable of this
  // process); it never holds the key itself.
  const apiKeyRef = `env:${KEY_VAR}`;
  const wrongRef = `env:${WRONG_VAR}`;
  // Keys go only to origins they are bound to (docs/origins.md). An env:
  // key is bound by policy.origins, which a host reads from its USER
  // settings; the loopback origin of this demo's server is bound explicitly.
  const origin = keyref.originOf(server.url);
  // A wrong key for the second request, set before the Sidecar is made: a
  // Sidecar reads the environment as it was when it was created (a later
  // change to process.env is not seen; docs/requests.md).
  process.env[WRONG_VAR] = `sk-demo-${crypto.randomBytes(24).toString('base64url')}`;
  const sidecar = new keyref.Sidecar({
    policy: { origins: { [apiKeyRef]: [origin], [wrongRef]: [origin] } },
  });
  try {
    write(`\n== Streamed chat turn via keyref (provider openai-compatible at ${server.url})\n`);
    write(`  apiKeyRef: ${apiKeyRef}, bound to ${origin}\n  assistant: `);
    const result = await keyref.chat(sidecar, {
      provider: 'openai-compatible',
      baseUrl: server.url,
      apiKeyRef,
      model: 'loopback-mini',
      messages: [
        { role: 'system', content: 'You are a terse demo model.' },
        { role: 'user', content: 'Say hello through keyref.' },
      ],
      onDelta: (text) => write(text),
    });
    write(`\n  finish: ${result.finishReason}; the server saw an authorised request: ` +
      `${server.requests.at(-1).authorized}\n`);

    // A wrong key: the server masks it as OpenAI does (its start and last
    // 4). keyref scrubs any run of a key that counts (docs/threat-model.md);
    // a mask this short is not one, so it arrives as the server sent it.
    const res = await sidecar.request({ provider: 'openai-compatible', baseUrl: server.url,
      // A ref to the wrong key's variable, never the key itself.
      apiKeyRef: wrongRef, path: '/chat/completions',
      body: { model: 'loopback-mini', messages: [{ role: 'user', content: 'hi' }] } });
    const message = JSON.parse(res.body).error.message;
    write(`  with a wrong key: HTTP ${res.status}: ${message}\n`);

    // A workspace that points baseUrl elsewhere (another loopback address
    // here) gets nothing: the key is not bound there, so nothing is sent.
    const elsewhere = server.url.replace('127.0.0.1', '127.0.0.2');
    try {
      await sidecar.request({ provider: 'openai-compatible', baseUrl: elsewhere, apiKeyRef,
        path: '/chat/completions', body: { model: 'loopback-mini', messages: [] } });
      write('  sent to another origin?! (this is a bug)\n');
    } catch (err) {
      write(`  baseUrl changed to ${keyref.originOf(elsewhere)}: ${err.code}, nothing sent\n`);
    }
    return result;
  } finally {
    delete process.env[WRONG_VAR];
    sidecar.close();
    await server.close();
  }
}

module.exports = { demoChat };

if (require.main === module) {
  demoChat().catch((err) => {
    console.error(`demo failed: ${err.code ?? ''} ${err.message}`);
    process.exitCode = 1;
  });
}
