// LLMConfiguration: the model configuration provider clients take. chat()
// accepts it (ChatOptions extends it) and request() takes the same
// provider, baseUrl, apiKeyRef and apiVersion fields (RequestOptions).
import type { ApiKeyRef } from './ref';
import type { Provider } from './request';

/**
 * The model configuration of one provider call: who to call, which model,
 * and WHERE the key lives. It is what an extension builds from a profile
 * and passes to `chat()` (and, with a `path`, to `sidecar.request()`).
 *
 * Invariants (docs/invariants.md, docs/threat-model.md, docs/python-parity.md):
 *
 * - **No raw secret value, only `apiKeyRef`.** A configuration is a plain
 *   object that extensions log, copy into telemetry, send to a webview and
 *   store with the profile it came from; a key in it would go everywhere it
 *   goes. There is therefore no `apiKey` field: `apiKey?: never` makes
 *   `{ apiKey: '…' }` a compile error, and `request()` refuses at run time
 *   an `apiKeyRef` that looks like a key (`REF_LITERAL_SECRET`).
 * - **Resolution happens late, in native code, per request.** Building a
 *   configuration resolves nothing. When `chat()`/`request()` runs, the
 *   Sidecar parses `apiKeyRef` against its policy, resolves it on a worker
 *   thread (the host's SecretStorage, the environment, the keyring, …),
 *   writes the key into the provider's header for an origin it is bound to,
 *   and wipes it after the socket write. Nothing resolved comes back to
 *   JavaScript; a response echoing the key arrives scrubbed.
 * - **What must never be added here:** a key or any part, mask, length,
 *   hash or prefix of one; a field that carries credentials in another
 *   form (an `Authorization`/`x-api-key` header, a `baseUrl` with
 *   `user:pass@` or a `?key=` parameter: request() refuses those); a
 *   callback that returns a key. A Python or other client of the same
 *   profiles keeps the same rule (docs/python-parity.md).
 */
export interface LLMConfiguration {
  /** The API dialect; it decides which header carries the key (docs/requests.md). */
  provider: Provider;
  /** The model name sent to the provider. */
  model: string;
  /**
   * The endpoint, e.g. `https://api.openai.com/v1`. Default: the provider's
   * public endpoint (required for openai-compatible, litellm, azure-openai).
   * No credentials in it.
   */
  baseUrl?: string;
  /**
   * WHERE the key lives, never the key: `secret:NAME`, `env:NAME`,
   * `keyring:…`, and `op://…`, `pass:…`, `file:…` when the policy enables
   * them (docs/apikeyref.md). It may be shown, logged and synced: a ref
   * reveals where a key is kept, not the key. Omit it for ollama.
   */
  apiKeyRef?: ApiKeyRef;
  /** azure-openai `api-version`, anthropic `anthropic-version`. */
  apiVersion?: string;
  /**
   * Never present: keys are named by `apiKeyRef` and resolved in native
   * code. Declared so that passing a literal key is a type error.
   */
  apiKey?: never;
}
