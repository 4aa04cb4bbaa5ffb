// sidecar.request(): every option is checked here, with precise errors,
// before native code runs (native/include/keyref/http_client.h does the
// sending). The key is resolved, put on the wire and wiped in native code;
// nothing here ever sees it, and every string that comes back (body,
// headers, events, error messages) has already been scrubbed of it.
import { invalidArgType, invalidArgValue, keyrefError, KeyrefError } from './errors';
import type { LLMConfiguration } from './llm_configuration';
import { ApiKeyRef, parseRefBits } from './ref';

/** The providers `request` knows; each decides where the key goes. */
export type Provider =
  | 'openai' | 'openai-compatible' | 'litellm' | 'openrouter'
  | 'anthropic' | 'azure-openai' | 'gemini' | 'ollama';

/** Every provider name, in table order. */
export const PROVIDERS: readonly Provider[] = Object.freeze([
  'openai', 'openai-compatible', 'litellm', 'openrouter',
  'anthropic', 'azure-openai', 'gemini', 'ollama',
] as const);

/** HTTP methods `request` sends. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** One server-sent event, scrubbed. */
export interface ServerSentEvent {
  /** The event type; '' for the default ("message"). */
  event: string;
  /** The data lines, joined with "\n". */
  data: string;
  /** The last event id seen; '' if none. */
  id: string;
}

/**
 * Options of `sidecar.request(options)`. The provider, apiKeyRef and
 * apiVersion fields are those of LLMConfiguration (never a key: see its
 * invariants); baseUrl is required here.
 */
export interface RequestOptions extends Omit<LLMConfiguration, 'model' | 'baseUrl'> {
  /**
   * Who the request goes to. It decides where the key is put:
   * openai, openai-compatible, litellm, openrouter: `Authorization: Bearer`;
   * anthropic: `x-api-key` (+ `anthropic-version`); azure-openai: `api-key`;
   * gemini: `x-goog-api-key` (never `?key=`); ollama: no key.
   */
  provider: Provider;
  /** `https://…` or `http://…`, with an optional path prefix (e.g. `https://api.openai.com/v1`). No credentials, no key-like query parameters. */
  baseUrl: string;
  /**
   * WHERE the key lives, never the key: `secret:NAME`, `env:NAME`,
   * `keyring:…` (and `op://…`, `pass:…`, `file:…` when the policy enables
   * them). It is resolved only in native code, for this request. Required
   * for every provider except `ollama`, for which it is refused.
   */
  apiKeyRef?: ApiKeyRef;
  /** Default `POST`. */
  method?: HttpMethod;
  /** Appended to the base URL's path, e.g. `/chat/completions`. Starts with `/`; no `?` or `#` (use `query`). */
  path?: string;
  /** Extra request headers. Headers that carry or replace the key (authorization, x-api-key, api-key, x-goog-api-key, proxy-authorization) are refused with HEADER_FORBIDDEN. */
  headers?: Record<string, string>;
  /** Query parameters added to the URL. Key-like names (key, api_key, token, …) are refused. */
  query?: Record<string, string | number | boolean>;
  /** A string sent as is, or a plain object or array sent as JSON. */
  body?: string | object;
  /** Total time for the request, in ms, retries and their waits included. Default 600000. */
  timeoutMs?: number;
  /** Time to connect (TCP and TLS), in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Longest silence while waiting for bytes, in ms. Default 120000. */
  readTimeoutMs?: number;
  /** Aborts the request: the promise rejects with REQUEST_ABORTED at once and the connection is closed. */
  signal?: AbortSignal;
  /** Receives server-sent events one at a time, in order, when the response is `text/event-stream`; the response body is then ''. A throw aborts the request and rejects with what was thrown. */
  onEvent?: (event: ServerSentEvent) => void;
  /** An `http://[user:pass@]host:port` proxy (VS Code's `http.proxy`), or `false` for none. Default: HTTPS_PROXY / HTTP_PROXY with NO_PROXY from the environment. */
  proxy?: string | false;
  /** A PEM file of extra CA certificates, trusted in addition to the system store. */
  caFile?: string;
  /** Extra CA certificates as PEM text, trusted in addition to the system store. */
  ca?: string;
  /** Extra attempts when the server answers 429 or 503, honouring Retry-After. Default 0. */
  retries?: number;
  /** openrouter only: the `HTTP-Referer` header (your app's URL). */
  referer?: string;
  /** openrouter only: the `X-Title` header (your app's name). */
  title?: string;
  /** azure-openai: the `api-version` query parameter; anthropic: the `anthropic-version` header (default 2023-06-01). */
  apiVersion?: string;
}

/** What a request resolves to, for every HTTP status. Everything is scrubbed. */
export interface RequestResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as text ('' when events went to onEvent). */
  body: string;
}

/** @internal What the native request() receives. */
export interface NativeRequestOptions {
  provider: Provider;
  baseUrl: string;
  /** A ref already checked by parseRef (where the key lives), never a key; native code parses it again. */
  apiKeyRef?: string;
  method: string;
  path: string;
  headers: string[];
  query: string[];
  body: string;
  contentType: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  proxy?: string;
  proxyDisabled: boolean;
  envHttpsProxy: string;
  envHttpProxy: string;
  envNoProxy: string;
  caFile: string;
  ca: string;
  retries: number;
  referer: string;
  title: string;
  apiVersion: string;
}

/** @internal The native half of request. */
export interface NativeRequester {
  request(options: NativeRequestOptions,
    onEvent: ((flat: string[]) => void) | null,
    onDone: (err: Error | null, status?: number, headers?: string[], body?: string) => void): unknown;
  abortRequest(handle: unknown): void;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['provider', 'baseUrl', 'apiKeyRef', 'method', 'path',
  'headers', 'query', 'body', 'timeoutMs', 'connectTimeoutMs', 'readTimeoutMs', 'signal', 'onEvent', 'proxy',
  'caFile', 'ca', 'retries', 'referer', 'title', 'apiVersion']);
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key',
  'proxy-authorization']);
const FRAMING_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidArgType(`options.${key}`, 'of type string', v);
  if (v.includes('\0')) throw invalidArgValue(`options.${key}`, 'contains a NUL character');
  return v;
}

function optHeaderText(o: Record<string, unknown>, key: string): string {
  const v = optString(o, key) ?? '';
  if (CONTROL.test(v)) throw invalidArgValue(`options.${key}`, 'contains a line break or control character');
  return v;
}

function optMs(o: Record<string, unknown>, key: string, fallback: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw invalidArgType(`options.${key}`, 'of type number', v);
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
    throw invalidArgValue(`options.${key}`, 'must be an integer from 1 to 2147483647 (milliseconds)');
  }
  return v;
}

function envOf(...names: string[]): string {
  for (const n of names) {
    const v = process.env[n];
    if (v) return v;
  }
  return '';
}

/** @internal Validates and normalises request options. Throws TypeError/RangeError or a KeyrefError. */
export function normaliseRequest(options: unknown, schemeBits: number): {
  native: NativeRequestOptions; signal?: AbortSignal; onEvent?: (event: ServerSentEvent) => void;
} {
  if (!isPlainObject(options)) throw invalidArgType('options', 'an object', options);
  const o = options;
  for (const k of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(k)) throw invalidArgValue('options', `unknown option ${JSON.stringify(k.slice(0, 32))}`);
  }

  const provider = o.provider;
  if (typeof provider !== 'string') throw invalidArgType('options.provider', 'of type string', provider);
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw invalidArgValue('options.provider', `unknown provider ${JSON.stringify(provider.slice(0, 32))}; ` +
      `known providers are ${PROVIDERS.join(', ')}`);
  }

  const baseUrl = o.baseUrl;
  if (typeof baseUrl !== 'string') throw invalidArgType('options.baseUrl', 'of type string', baseUrl);
  // The URL's own rules (credentials, key-like query, schemes) are checked in
  // native code and refused with BAD_BASE_URL.

  let apiKeyRef: string | undefined;
  if (provider === 'ollama') {
    if (o.apiKeyRef !== undefined) {
      throw invalidArgValue('options.apiKeyRef', 'the ollama provider takes no key; remove apiKeyRef');
    }
  } else {
    if (typeof o.apiKeyRef !== 'string') {
      throw invalidArgType('options.apiKeyRef', `of type string (required for provider ${provider})`, o.apiKeyRef);
    }
    const parsed = parseRefBits(o.apiKeyRef, schemeBits);
    if (!parsed.ok) throw keyrefError(parsed.code, parsed.message, parsed.hint);
    // Only a ref that parsed (no literal, no guessing) is passed on; the key
    // it names is resolved in native code for this request alone.
    apiKeyRef = o.apiKeyRef;
  }

  let method = 'POST';
  if (o.method !== undefined) {
    if (typeof o.method !== 'string') throw invalidArgType('options.method', 'of type string', o.method);
    if (!METHODS.includes(o.method)) {
      throw invalidArgValue('options.method', `must be one of ${METHODS.join(', ')} (upper case)`);
    }
    method = o.method;
  }

  const path = optString(o, 'path') ?? '';
  if (path !== '' && !path.startsWith('/')) throw invalidArgValue('options.path', 'must start with "/"');
  if (/[\s?#\\]/.test(path) || CONTROL.test(path)) {
    throw invalidArgValue('options.path', 'must not contain whitespace, "?", "#" or "\\" (use options.query)');
  }

  const headers: string[] = [];
  let contentType = '';
  if (o.headers !== undefined) {
    if (!isPlainObject(o.headers)) throw invalidArgType('options.headers', 'a plain object', o.headers);
    for (const [name, value] of Object.entries(o.headers)) {
      // The name is not quoted: it is not a valid name, so it may be anything.
      if (!TOKEN.test(name)) throw invalidArgValue('options.headers', 'a header name is empty or has a character not allowed in HTTP header names');
      const lower = name.toLowerCase();
      if (CREDENTIAL_HEADERS.has(lower)) {
        throw keyrefError('HEADER_FORBIDDEN', `The header ${lower} would carry or replace the API key, which keyref sets itself.`,
          'Remove it; give the key by reference in apiKeyRef.');
      }
      if (FRAMING_HEADERS.has(lower)) {
        throw keyrefError('HEADER_FORBIDDEN', `The header ${lower} is set by keyref itself.`, 'Remove it from headers.');
      }
      if (typeof value !== 'string') throw invalidArgType(`options.headers[${JSON.stringify(name)}]`, 'of type string', value);
      if (CONTROL.test(value)) {
        throw invalidArgValue(`options.headers[${JSON.stringify(name)}]`, 'contains a line break or control character');
      }
      if (lower === 'content-type') contentType = value;
      headers.push(name, value);
    }
  }

  const query: string[] = [];
  if (o.query !== undefined) {
    if (!isPlainObject(o.query)) throw invalidArgType('options.query', 'a plain object', o.query);
    for (const [name, value] of Object.entries(o.query)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw invalidArgType(`options.query[${JSON.stringify(name.slice(0, 64))}]`, 'a string, number or boolean', value);
      }
      query.push(name, String(value));
    }
  }

  let body = '';
  if (o.body !== undefined) {
    if (typeof o.body === 'string') {
      body = o.body;
    } else if (isPlainObject(o.body) || Array.isArray(o.body)) {
      body = JSON.stringify(o.body);
      if (!contentType) contentType = 'application/json';
    } else {
      throw invalidArgType('options.body', 'a string, a plain object or an array', o.body);
    }
    if ((method === 'GET' || method === 'HEAD') && body !== '') {
      throw invalidArgValue('options.body', `a ${method} request has no body`);
    }
  }

  let signal: AbortSignal | undefined;
  if (o.signal !== undefined) {
    if (!(o.signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an AbortSignal', o.signal);
    signal = o.signal;
  }
  let onEvent: ((event: ServerSentEvent) => void) | undefined;
  if (o.onEvent !== undefined) {
    if (typeof o.onEvent !== 'function') throw invalidArgType('options.onEvent', 'a function', o.onEvent);
    onEvent = o.onEvent as (event: ServerSentEvent) => void;
  }

  let proxy: string | undefined;
  let proxyDisabled = false;
  if (o.proxy === false) {
    proxyDisabled = true;
  } else if (o.proxy !== undefined) {
    if (typeof o.proxy !== 'string') throw invalidArgType('options.proxy', 'a string or false', o.proxy);
    if (o.proxy === '') throw invalidArgValue('options.proxy', 'is empty; pass false for no proxy');
    proxy = o.proxy;
  }

  let retries = 0;
  if (o.retries !== undefined) {
    if (typeof o.retries !== 'number') throw invalidArgType('options.retries', 'of type number', o.retries);
    if (!Number.isInteger(o.retries) || o.retries < 0 || o.retries > 10) {
      throw invalidArgValue('options.retries', 'must be an integer from 0 to 10');
    }
    retries = o.retries;
  }

  for (const key of ['referer', 'title']) {
    if (o[key] !== undefined && provider !== 'openrouter') {
      throw invalidArgValue(`options.${key}`, 'is only for the openrouter provider');
    }
  }
  if (o.apiVersion !== undefined && provider !== 'azure-openai' && provider !== 'anthropic') {
    throw invalidArgValue('options.apiVersion', 'is only for the azure-openai and anthropic providers');
  }

  const native: NativeRequestOptions = {
    provider: provider as Provider,
    baseUrl,
    method,
    path,
    headers,
    query,
    body,
    contentType,
    timeoutMs: optMs(o, 'timeoutMs', 600000),
    connectTimeoutMs: optMs(o, 'connectTimeoutMs', 10000),
    readTimeoutMs: optMs(o, 'readTimeoutMs', 120000),
    proxyDisabled,
    // Read here, on the JS thread: native worker threads never call getenv
    // while JavaScript may be changing process.env.
    envHttpsProxy: envOf('HTTPS_PROXY', 'https_proxy'),
    envHttpProxy: envOf('HTTP_PROXY', 'http_proxy'),
    envNoProxy: envOf('NO_PROXY', 'no_proxy'),
    caFile: optString(o, 'caFile') ?? '',
    ca: optString(o, 'ca') ?? '',
    retries,
    referer: optHeaderText(o, 'referer'),
    title: optHeaderText(o, 'title'),
    apiVersion: optHeaderText(o, 'apiVersion'),
  };
  // The validated ref from above, never a key.
  if (apiKeyRef !== undefined) native.apiKeyRef = apiKeyRef;
  if (proxy !== undefined) native.proxy = proxy;
  return { native, signal, onEvent };
}

function abortError(): KeyrefError {
  return keyrefError('REQUEST_ABORTED', 'The request was aborted.');
}

/** @internal Runs a request through the native half. */
export function sendRequest(nat: NativeRequester, schemeBits: number,
  options: RequestOptions): Promise<RequestResponse> {
  return new Promise<RequestResponse>((resolve, reject) => {
    const { native: opts, signal, onEvent } = normaliseRequest(options, schemeBits);
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    let settled = false;
    let handle: unknown;
    const finish = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    function onAbort(): void {
      if (settled) return;
      finish();
      // Reject now; the native side shuts the connection down right away.
      nat.abortRequest(handle);
      reject(abortError());
    }
    // Native code hands over the events that arrived since the last call as
    // one flat array [data, event, id, …]; onEvent sees them one at a time.
    const eventCb = onEvent ? (flat: string[]): void => {
      for (let i = 0; i + 2 < flat.length && !settled; i += 3) {
        try {
          onEvent({ event: flat[i + 1], data: flat[i], id: flat[i + 2] });
        } catch (err) {
          finish();
          nat.abortRequest(handle);
          reject(err);
        }
      }
    } : null;
    handle = nat.request(opts, eventCb, (err, status, headers, body) => {
      // Referencing nat here keeps the native Sidecar (and so its instance)
      // alive until the request is done, even if the caller drops the
      // Sidecar: its finalizer would close the instance and stop the request.
      if (settled || nat === undefined) return;
      finish();
      if (err) {
        reject(err);
        return;
      }
      const h: Record<string, string> = {};
      const list = headers as string[];
      for (let i = 0; i + 1 < list.length; i += 2) {
        const name = list[i];
        h[name] = name in h ? `${h[name]}, ${list[i + 1]}` : list[i + 1];
      }
      resolve({ status: status as number, headers: h, body: body as string });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
