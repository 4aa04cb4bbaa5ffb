// sidecar.request(): every option is checked here, with precise errors,
// before native code runs (native/include/keyref/http_client.h does the
// sending). The key is resolved, put on the wire and wiped in native code;
// nothing here ever sees it, and every string that comes back (body,
// headers, events, error messages) has already been scrubbed of it.
import { Provider, PROVIDER_LIST, providerInfo, providersUsingOption } from './catalog';
import { invalidArgType, invalidArgValue, isPlainObject, keyrefError, KeyrefError } from './errors';
import type { LLMConfiguration } from './llm_configuration';
import type { NativeRequestHandle, NativeRequestOptions, NativeSidecar } from './native';
import { ApiKeyRef, parseRefBits } from './ref';

/** The providers `request` knows; each decides where the key goes (native/include/keyref/provider.h). */
export type { Provider };

/** Every provider name, in table order. */
export const PROVIDERS: readonly Provider[] = PROVIDER_LIST;

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
  /**
   * @deprecated Refused (ERR_INVALID_ARG_VALUE): extra CAs are the Sidecar's
   * `policy.caFile`, set by the host. A request that could add a CA and name
   * the proxy would hand the key to whoever runs that proxy.
   */
  caFile?: string;
  /** @deprecated Refused, as `caFile`: use the Sidecar's `policy.ca`. */
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

/** @internal The native half of request. */
export type NativeRequester = Pick<NativeSidecar, 'request' | 'abortRequest'>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function envOf(...names: string[]): string {
  for (const n of names) {
    const v = process.env[n];
    if (v) return v;
  }
  return '';
}

/** What normaliseRequest produces. */
export interface NormalisedRequest {
  native: NativeRequestOptions;
  signal?: AbortSignal;
  onEvent?: (event: ServerSentEvent) => void;
}

// One option's check: reads `value` (never undefined), writes its normalised
// form into `out`. Throws TypeError/RangeError, or a KeyrefError for a ref.
type OptionValidator = (value: unknown, out: NormalisedRequest, schemeBits: number) => void;

function stringOption(key: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidArgType(`options.${key}`, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(`options.${key}`, 'contains a NUL character');
  return value;
}

function msOption(key: 'timeoutMs' | 'connectTimeoutMs' | 'readTimeoutMs'): OptionValidator {
  return (v, out) => {
    if (typeof v !== 'number') throw invalidArgType(`options.${key}`, 'of type number', v);
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
      throw invalidArgValue(`options.${key}`, 'must be an integer from 1 to 2147483647 (milliseconds)');
    }
    out.native[key] = v;
  };
}

// referer, title, apiVersion: only for the providers whose row in the native
// provider table uses them; sent as header or query text.
function providerOption(key: 'referer' | 'title' | 'apiVersion'): OptionValidator {
  const users = providersUsingOption(key);
  return (v, out) => {
    if (!users.includes(out.native.provider)) {
      throw invalidArgValue(`options.${key}`, `is only for the ${users.join(' and ')} provider${users.length > 1 ? 's' : ''}`);
    }
    const text = stringOption(key, v);
    if (CONTROL.test(text)) throw invalidArgValue(`options.${key}`, 'contains a line break or control character');
    out.native[key] = text;
  };
}

// Every option of RequestOptions and its check, in the order they run (an
// option may depend on one checked before it: apiKeyRef on provider, body on
// method and headers). An option missing here is refused as unknown.
const OPTION_VALIDATORS: ReadonlyArray<readonly [keyof RequestOptions, OptionValidator]> = [
  ['baseUrl', (v, out) => {
    if (typeof v !== 'string') throw invalidArgType('options.baseUrl', 'of type string', v);
    // The URL's own rules (credentials, key-like query, schemes) are checked
    // in native code and refused with BAD_BASE_URL.
    out.native.baseUrl = v;
  }],
  ['apiKeyRef', (v, out, bits) => {
    if (!providerInfo(out.native.provider)?.keyRequired) {
      throw invalidArgValue('options.apiKeyRef', `the ${out.native.provider} provider takes no key; remove apiKeyRef`);
    }
    if (typeof v !== 'string') {
      throw invalidArgType('options.apiKeyRef', `of type string (required for provider ${out.native.provider})`, v);
    }
    const parsed = parseRefBits(v, bits);
    if (!parsed.ok) throw keyrefError(parsed.code, parsed.message, parsed.hint);
    // Only a ref that parsed (no literal, no guessing) is passed on; the key
    // it names is resolved in native code for this request alone.
    out.native.apiKeyRef = v;
  }],
  ['method', (v, out) => {
    if (typeof v !== 'string') throw invalidArgType('options.method', 'of type string', v);
    if (!METHODS.includes(v)) throw invalidArgValue('options.method', `must be one of ${METHODS.join(', ')} (upper case)`);
    out.native.method = v;
  }],
  ['path', (v, out) => {
    const path = stringOption('path', v);
    if (path !== '' && !path.startsWith('/')) throw invalidArgValue('options.path', 'must start with "/"');
    if (/[\s?#\\]/.test(path) || CONTROL.test(path)) {
      throw invalidArgValue('options.path', 'must not contain whitespace, "?", "#" or "\\" (use options.query)');
    }
    out.native.path = path;
  }],
  ['headers', (v, out) => {
    if (!isPlainObject(v)) throw invalidArgType('options.headers', 'a plain object', v);
    for (const [name, value] of Object.entries(v)) {
      // The name is not quoted: it is not a valid name, so it may be anything.
      if (!TOKEN.test(name)) throw invalidArgValue('options.headers', 'a header name is empty or has a character not allowed in HTTP header names');
      // Credential headers (authorization, x-api-key, …) and the ones keyref
      // sets itself are refused with HEADER_FORBIDDEN by native code
      // (CheckCallerHeaders, provider.cpp) before the key is resolved.
      if (typeof value !== 'string') throw invalidArgType(`options.headers[${JSON.stringify(name)}]`, 'of type string', value);
      if (CONTROL.test(value)) {
        throw invalidArgValue(`options.headers[${JSON.stringify(name)}]`, 'contains a line break or control character');
      }
      if (name.toLowerCase() === 'content-type') out.native.contentType = value;
      out.native.headers.push(name, value);
    }
  }],
  ['query', (v, out) => {
    if (!isPlainObject(v)) throw invalidArgType('options.query', 'a plain object', v);
    for (const [name, value] of Object.entries(v)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw invalidArgType(`options.query[${JSON.stringify(name.slice(0, 64))}]`, 'a string, number or boolean', value);
      }
      out.native.query.push(name, String(value));
    }
  }],
  ['body', (v, out) => {
    let body: string;
    if (typeof v === 'string') {
      body = v;
    } else if (isPlainObject(v) || Array.isArray(v)) {
      body = JSON.stringify(v);
      if (!out.native.contentType) out.native.contentType = 'application/json';
    } else {
      throw invalidArgType('options.body', 'a string, a plain object or an array', v);
    }
    const method = out.native.method;
    if ((method === 'GET' || method === 'HEAD') && body !== '') {
      throw invalidArgValue('options.body', `a ${method} request has no body`);
    }
    out.native.body = body;
  }],
  ['signal', (v, out) => {
    if (!(v instanceof AbortSignal)) throw invalidArgType('options.signal', 'an AbortSignal', v);
    out.signal = v;
  }],
  ['onEvent', (v, out) => {
    if (typeof v !== 'function') throw invalidArgType('options.onEvent', 'a function', v);
    out.onEvent = (event) => { v(event); };
  }],
  ['proxy', (v, out) => {
    if (v === false) {
      out.native.proxyDisabled = true;
      return;
    }
    if (typeof v !== 'string') throw invalidArgType('options.proxy', 'a string or false', v);
    if (v === '') throw invalidArgValue('options.proxy', 'is empty; pass false for no proxy');
    out.native.proxy = v;
  }],
  ['retries', (v, out) => {
    if (typeof v !== 'number') throw invalidArgType('options.retries', 'of type number', v);
    if (!Number.isInteger(v) || v < 0 || v > 10) throw invalidArgValue('options.retries', 'must be an integer from 0 to 10');
    out.native.retries = v;
  }],
  ['referer', providerOption('referer')],
  ['title', providerOption('title')],
  ['apiVersion', providerOption('apiVersion')],
  ['timeoutMs', msOption('timeoutMs')],
  ['connectTimeoutMs', msOption('connectTimeoutMs')],
  ['readTimeoutMs', msOption('readTimeoutMs')],
  // Extra CAs are the Sidecar's policy, set by the host (policy.caFile,
  // policy.ca), never a request's: a request that could add a CA and name
  // the proxy would hand the key to a tunnel its proxy terminates.
  ['caFile', () => { throw caNotPerRequest('caFile'); }],
  ['ca', () => { throw caNotPerRequest('ca'); }],
];

function caNotPerRequest(key: 'caFile' | 'ca'): Error {
  return invalidArgValue(`options.${key}`, `is not a request option: extra CAs are trusted for every request or none. ` +
    `Pass them to the Sidecar as policy.${key}, from the host's own settings`);
}
const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['provider', ...OPTION_VALIDATORS.map(([k]) => k)]);

function checkProvider(v: unknown): Provider {
  if (typeof v !== 'string') throw invalidArgType('options.provider', 'of type string', v);
  const info = providerInfo(v);
  if (!info) {
    throw invalidArgValue('options.provider', `unknown provider ${JSON.stringify(v.slice(0, 32))}; ` +
      `known providers are ${PROVIDERS.join(', ')}`);
  }
  return info.name;
}

/** @internal Validates and normalises request options. Throws TypeError/RangeError or a KeyrefError. */
export function normaliseRequest(options: unknown, schemeBits: number): NormalisedRequest {
  if (!isPlainObject(options)) throw invalidArgType('options', 'an object', options);
  for (const k of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(k)) throw invalidArgValue('options', `unknown option ${JSON.stringify(k.slice(0, 32))}`);
  }
  const provider = checkProvider(options.provider);
  const out: NormalisedRequest = {
    native: {
      provider, baseUrl: '', method: 'POST', path: '', headers: [], query: [], body: '', contentType: '',
      // Timeouts and retries left out take native's defaults (HttpRequest,
      // native/include/keyref/http_client.h): one place sets them.
      proxyDisabled: false,
      // Read here, on the JS thread: native worker threads never call getenv
      // while JavaScript may be changing process.env.
      envHttpsProxy: envOf('HTTPS_PROXY', 'https_proxy'),
      envHttpProxy: envOf('HTTP_PROXY', 'http_proxy'),
      envNoProxy: envOf('NO_PROXY', 'no_proxy'),
      referer: '', title: '', apiVersion: '',
    },
  };
  for (const [key, check] of OPTION_VALIDATORS) {
    const v = options[key];
    if (v !== undefined) check(v, out, schemeBits);
    else if (key === 'baseUrl') check(v, out, schemeBits);
    else if (key === 'apiKeyRef' && providerInfo(provider)?.keyRequired) check(v, out, schemeBits);
  }
  return out;
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
    let handle: NativeRequestHandle | undefined;
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
    // Native code hands over a batch of events as one string and where each
    // field ends in it, three per event: data, event, id (native.ts);
    // onEvent sees them one at a time.
    const eventCb = onEvent ? (text: string, ends: Uint32Array): void => {
      let at = 0;
      for (let i = 0; i + 2 < ends.length && !settled; i += 3) {
        const dataEnd = ends[i];
        const eventEnd = ends[i + 1];
        const idEnd = ends[i + 2];
        try {
          onEvent({ event: text.slice(dataEnd, eventEnd), data: text.slice(at, dataEnd), id: text.slice(eventEnd, idEnd) });
        } catch (err) {
          finish();
          nat.abortRequest(handle);
          reject(err);
        }
        at = idEnd;
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
      const list = headers ?? [];
      for (let i = 0; i + 1 < list.length; i += 2) {
        const name = list[i];
        // Own properties only, each defined as data: a server's `constructor`
        // or `__proto__` header is a header like any other, not
        // Object.prototype's member (which `in` and `h[name] =` would reach).
        const value = Object.hasOwn(h, name) ? `${h[name]}, ${list[i + 1]}` : list[i + 1];
        Object.defineProperty(h, name, { value, enumerable: true, writable: true, configurable: true });
      }
      resolve({ status: status ?? 0, headers: h, body: body ?? '' });
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
