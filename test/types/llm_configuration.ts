// Compile-time checks of LLMConfiguration (test/node/llm_configuration.test.js
// compiles this file with tsc). Each @ts-expect-error must be an error: if
// one compiles, tsc fails with "Unused '@ts-expect-error' directive".
import { chat, LLMConfiguration, Sidecar } from '../../addon/ts/index';

const ok: LLMConfiguration = {
  provider: 'openai', model: 'gpt-4o-mini',
  // apiKeyRef: a reference (where the key lives), never a key.
  apiKeyRef: 'secret:openai/prod',
};

// @ts-expect-error there is no literal key field: keys are named by apiKeyRef
const withKey: LLMConfiguration = { provider: 'openai', model: 'm', apiKey: 'not-a-real-key' };

// An object built elsewhere (a profile read from JSON, a config merged from
// settings) is not checked for excess properties; apiKey?: never still
// refuses it.
const loaded = { provider: 'openai' as const, model: 'm', apiKey: 'not-a-real-key' };
// @ts-expect-error a configuration that carries a key is not an LLMConfiguration
const fromLoaded: LLMConfiguration = loaded;

// @ts-expect-error the model is part of the configuration
const noModel: LLMConfiguration = { provider: 'openai' };

declare const sidecar: Sidecar;
// chat() takes an LLMConfiguration plus the turn.
void chat(sidecar, { ...ok, messages: [{ role: 'user', content: 'hi' }] });
// @ts-expect-error nor does chat() take a key
void chat(sidecar, { ...ok, apiKey: 'not-a-real-key', messages: [] });
// request() takes the same fields, with baseUrl required.
void sidecar.request({ provider: ok.provider, baseUrl: 'https://api.openai.com/v1', apiKeyRef: ok.apiKeyRef, path: '/models' });
// @ts-expect-error nor does request()
void sidecar.request({ provider: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'not-a-real-key' });

// @ts-expect-error nor through a spread
void chat(sidecar, { ...loaded, messages: [{ role: 'user', content: 'hi' }] });

export { withKey, noModel, fromLoaded };
