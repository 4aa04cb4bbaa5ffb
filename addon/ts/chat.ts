// chat(): a thin typed client over sidecar.request for a streamed chat turn
// with the OpenAI-compatible family, Anthropic and Gemini. It builds the
// provider's JSON body, streams text deltas and returns the final message.
// The key never passes through here: only its reference (apiKeyRef).
//
// Last mile (docs/threat-model.md, "Responses"): request() scrubs each
// body and event, but chat() decodes them (JSON.parse un-escapes \u
// sequences) and joins deltas, which can rebuild what no single event
// held. So every string chat() hands out is scrubbed again as the final
// step: the text through one stream scrubber per turn (a secret split
// across deltas is caught before its last piece reaches onDelta), error
// messages, the stop reason and the strings of the usage object with
// redact() after they are decoded and built.
import { invalidArgType, invalidArgValue } from './errors';
import type { LLMConfiguration } from './llm_configuration';
import { defaultBaseUrl } from './catalog';
import { Provider, PROVIDERS, RequestOptions, RequestResponse, ServerSentEvent } from './request';
import type { StreamRedactor } from './sidecar';

/** One message of the conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Options of `chat(sidecar, options)`: the model configuration
 * (LLMConfiguration: provider, model, baseUrl, apiKeyRef, never a key) and
 * the turn. For azure-openai, baseUrl is the deployment URL, e.g.
 * `https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT`.
 */
export interface ChatOptions extends LLMConfiguration {
  messages: readonly ChatMessage[];
  /** Called with each piece of text as it streams in. */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
  /** Default true. */
  stream?: boolean;
  maxTokens?: number;
  temperature?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  proxy?: string | false;
  /** @deprecated Refused, as request()'s: use the Sidecar's `policy.caFile`. */
  caFile?: string;
  /** @deprecated Refused, as request()'s: use the Sidecar's `policy.ca`. */
  ca?: string;
  retries?: number;
}

/** The final message of a chat turn. */
export interface ChatResult {
  role: 'assistant';
  content: string;
  /** The provider's stop reason (finish_reason, stop_reason, finishReason). */
  finishReason?: string;
  /** The provider's usage object, when it sent one. */
  usage?: unknown;
}

/** The minimal Sidecar surface chat needs (a Sidecar has all three). */
export interface ChatTransport {
  request(options: RequestOptions): Promise<RequestResponse>;
  /** Scrubs decoded strings (error messages, the stop reason) as the last step. */
  redact(text: string): string;
  /** Scrubs the streamed text across deltas. */
  redactStream(): StreamRedactor;
}

type Family = 'openai' | 'anthropic' | 'gemini';
function familyOf(p: Provider): Family {
  if (p === 'anthropic') return 'anthropic';
  if (p === 'gemini') return 'gemini';
  return 'openai';
}

/** An HTTP error answer from the provider: `.status` and the scrubbed `.body`. */
export interface ChatHttpError extends Error {
  status: number;
  body: string;
}

function httpError(res: RequestResponse, t: ChatTransport): ChatHttpError {
  let detail: unknown = '';
  try {
    const j = JSON.parse(res.body);
    detail = j?.error?.message ?? j?.message ?? '';
  } catch { /* not JSON */ }
  // Built, then scrubbed: JSON.parse has just decoded any \u escapes.
  const text = typeof detail === 'string' && detail !== '' ? `: ${detail}` : '';
  const err = new Error(t.redact(`The provider answered HTTP ${res.status}${text}`)) as ChatHttpError;
  err.status = res.status;
  err.body = t.redact(res.body);
  return err;
}

// Every string of a decoded JSON value (keys too), scrubbed.
function scrubDeep(v: unknown, t: ChatTransport, depth = 0): unknown {
  if (typeof v === 'string') return t.redact(v);
  if (v === null || typeof v !== 'object' || depth > 32) return typeof v === 'object' ? undefined : v;
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, t, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[t.redact(k)] = scrubDeep(x, t, depth + 1);
  return out;
}

function parseJson(data: string): any {  // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Sends one chat turn and returns the assistant's message. With streaming
 * (the default) `onDelta` receives the text as it arrives.
 */
export async function chat(sidecar: ChatTransport, options: ChatOptions): Promise<ChatResult> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const o = options;
  if (typeof o.provider !== 'string' || !(PROVIDERS as readonly string[]).includes(o.provider)) {
    throw invalidArgValue('options.provider', `must be one of ${PROVIDERS.join(', ')}`);
  }
  if (typeof o.model !== 'string' || o.model === '') throw invalidArgType('options.model', 'a non-empty string', o.model);
  if (!Array.isArray(o.messages) || o.messages.length === 0) {
    throw invalidArgType('options.messages', 'a non-empty array of { role, content }', o.messages);
  }
  for (const [i, m] of o.messages.entries()) {
    if (m === null || typeof m !== 'object' || typeof m.content !== 'string' ||
      !['system', 'user', 'assistant'].includes(m.role)) {
      throw invalidArgValue(`options.messages[${i}]`, 'must be { role: "system" | "user" | "assistant", content: string }');
    }
  }
  if (o.onDelta !== undefined && typeof o.onDelta !== 'function') throw invalidArgType('options.onDelta', 'a function', o.onDelta);
  const baseUrl = o.baseUrl ?? defaultBaseUrl(o.provider);
  if (baseUrl === undefined) throw invalidArgType('options.baseUrl', `a string (required for provider ${o.provider})`, o.baseUrl);
  const stream = o.stream ?? true;
  const family = familyOf(o.provider);

  const req: RequestOptions = { provider: o.provider, baseUrl, method: 'POST' };
  // Passed on as given: a ref (where the key lives), never a key; request()
  // refuses anything shaped like a key (REF_LITERAL_SECRET).
  if (o.apiKeyRef !== undefined) req.apiKeyRef = o.apiKeyRef;
  for (const k of ['signal', 'timeoutMs', 'headers', 'apiVersion', 'proxy', 'caFile', 'ca', 'retries'] as const) {
    if (o[k] !== undefined) (req as unknown as Record<string, unknown>)[k] = o[k];
  }

  const system = o.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const turns = o.messages.filter((m) => m.role !== 'system');
  let content = '';
  let finishReason: string | undefined;
  let usage: unknown;
  // One stream scrubber for the turn's text: it holds back only what could
  // still complete a match with the next delta.
  const text = sidecar.redactStream();
  const emit = (t: string): void => {
    if (t === '') return;
    content += t;
    o.onDelta?.(t);
  };
  const delta = (t: unknown): void => {
    if (typeof t !== 'string' || t === '') return;
    emit(text.write(t));
  };

  if (family === 'openai') {
    req.path = '/chat/completions';
    const body: Record<string, unknown> = { model: o.model, messages: o.messages, stream };
    if (o.maxTokens !== undefined) body.max_tokens = o.maxTokens;
    if (o.temperature !== undefined) body.temperature = o.temperature;
    if (stream && o.provider === 'openai') body.stream_options = { include_usage: true };
    req.body = body;
    if (stream) {
      req.onEvent = (ev: ServerSentEvent) => {
        if (ev.data === '[DONE]') return;
        const j = parseJson(ev.data);
        const choice = j?.choices?.[0];
        delta(choice?.delta?.content);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (j?.usage) usage = j.usage;
      };
    }
  } else if (family === 'anthropic') {
    req.path = '/v1/messages';
    const body: Record<string, unknown> = {
      model: o.model, max_tokens: o.maxTokens ?? 1024, stream,
      messages: turns.map((m) => ({ role: m.role, content: m.content })),
    };
    if (system) body.system = system;
    if (o.temperature !== undefined) body.temperature = o.temperature;
    req.body = body;
    if (stream) {
      req.onEvent = (ev: ServerSentEvent) => {
        const j = parseJson(ev.data);
        if (j?.type === 'content_block_delta' && j.delta?.type === 'text_delta') delta(j.delta.text);
        if (j?.type === 'message_delta' && j.delta?.stop_reason) finishReason = j.delta.stop_reason;
        if (j?.type === 'message_delta' && j.usage) usage = j.usage;
        if (j?.type === 'error') {
          const detail = typeof j.error?.message === 'string' ? j.error.message : '';
          throw Object.assign(new Error(sidecar.redact(`The provider sent an error event: ${detail}`)),
            { body: sidecar.redact(ev.data) });
        }
      };
    }
  } else {
    req.path = `/models/${encodeURIComponent(o.model)}:${stream ? 'streamGenerateContent' : 'generateContent'}`;
    if (stream) req.query = { alt: 'sse' };
    const body: Record<string, unknown> = {
      contents: turns.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
    };
    if (system) body.systemInstruction = { parts: [{ text: system }] };
    const gen: Record<string, unknown> = {};
    if (o.maxTokens !== undefined) gen.maxOutputTokens = o.maxTokens;
    if (o.temperature !== undefined) gen.temperature = o.temperature;
    if (Object.keys(gen).length) body.generationConfig = gen;
    req.body = body;
    if (stream) {
      req.onEvent = (ev: ServerSentEvent) => {
        const j = parseJson(ev.data);
        const cand = j?.candidates?.[0];
        for (const part of cand?.content?.parts ?? []) delta(part?.text);
        if (cand?.finishReason) finishReason = cand.finishReason;
        if (j?.usageMetadata) usage = j.usageMetadata;
      };
    }
  }

  const res = await sidecar.request(req);
  if (res.status < 200 || res.status >= 300) throw httpError(res, sidecar);
  if (!stream || res.body !== '') {
    // Not streamed (or the server ignored stream): read the whole answer.
    const j = parseJson(res.body);
    if (family === 'openai') {
      const choice = j?.choices?.[0];
      delta(choice?.message?.content);
      finishReason = choice?.finish_reason ?? finishReason;
      usage = j?.usage ?? usage;
    } else if (family === 'anthropic') {
      for (const block of j?.content ?? []) if (block?.type === 'text') delta(block.text);
      finishReason = j?.stop_reason ?? finishReason;
      usage = j?.usage ?? usage;
    } else {
      const cand = j?.candidates?.[0];
      for (const part of cand?.content?.parts ?? []) delta(part?.text);
      finishReason = cand?.finishReason ?? finishReason;
      usage = j?.usageMetadata ?? usage;
    }
  }
  emit(text.end());
  const result: ChatResult = { role: 'assistant', content };
  if (typeof finishReason === 'string') result.finishReason = sidecar.redact(finishReason);
  if (usage !== undefined) result.usage = scrubDeep(usage, sidecar);
  return result;
}
