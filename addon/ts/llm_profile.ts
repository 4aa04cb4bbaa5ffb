// The LlmProfile type, on its own: sidecar.ts and webview.ts need the type,
// and importing it from profiles.ts (which imports the Sidecar) would close
// an import cycle.
import type { ApiKeyRef } from './ref';

/**
 * One LLM profile (schemas/llm-profile.schema.json). It never holds a key:
 * `apiKeyRef` names where the key lives.
 */
export interface LlmProfile {
  /** `^[A-Za-z0-9._-]{1,64}$`; also the file name. */
  id: string;
  label: string;
  /** openai, anthropic, azure-openai, google, openrouter, ollama, … */
  provider: string;
  model: string;
  /** No user:password@ and no key-like query parameter. */
  baseUrl?: string;
  /**
   * Where the key lives (secret:, env:, keyring:, op://, pass:, file:),
   * never the key: profiles are synced, shared and shown in the webview.
   */
  apiKeyRef?: ApiKeyRef;
  /** Non-secret headers; credential header names are refused. */
  headers?: Record<string, string>;
  /** Provider options (temperature, maxTokens, apiVersion, …). */
  options?: Record<string, string | number | boolean>;
}

