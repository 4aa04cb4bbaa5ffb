// How provider requests reach the network: VS Code's proxy settings, passed
// to keyref's native HTTP client, which does not read Node's agents. The
// extra CA bundle Node's users already set (NODE_EXTRA_CA_CERTS) keyref's
// trust store reads itself, for every request (docs/building.md); extra CAs
// are never a request option.
import { userSetting } from './settings';

/** The proxy option of one provider request. */
export interface NetOptions {
  /** An http://host:port proxy, false for a direct connection, undefined to let keyref read HTTPS_PROXY/NO_PROXY. */
  proxy?: string | false;
}


/** True when `host` matches an entry of http.noProxy (exact, `.suffix`, `*.suffix` or `*`). */
export function bypassesProxy(host: string, noProxy: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy.some((raw) => {
    const e = raw.trim().toLowerCase().replace(/:\d+$/, '');
    if (e === '') return false;
    if (e === '*') return true;
    const suffix = e.startsWith('*.') ? e.slice(1) : e.startsWith('.') ? e : undefined;
    return suffix ? h.endsWith(suffix) || h === suffix.slice(1) : h === e;
  });
}

/**
 * The network options for a request to `baseUrl`, from the user's
 * http.proxy and http.noProxy. Warnings (a proxy
 * keyref cannot use, http.proxyStrictSSL off) go to `warn`, once per call.
 */
export function netOptions(baseUrl: string, warn: (line: string) => void): NetOptions {
  const out: NetOptions = {};
  const proxy = userSetting<string>('http', 'proxy', '').trim();
  const noProxy = userSetting<string[]>('http', 'noProxy', []);
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch { /* keyref reports the bad baseUrl */ }
  if (host && Array.isArray(noProxy) && bypassesProxy(host, noProxy)) {
    out.proxy = false;
  } else if (proxy !== '') {
    if (/^http:\/\//i.test(proxy)) out.proxy = proxy;
    else warn('http.proxy is not an http:// proxy URL; keyref uses HTTPS_PROXY/HTTP_PROXY from the environment instead.');
  }
  if (userSetting<boolean>('http', 'proxyStrictSSL', true) === false) {
    // Do not loosen: a key must never be sent over a connection whose
    // certificate was not verified. Add the proxy's CA with
    // NODE_EXTRA_CA_CERTS instead (docs/settings_prd.md, "Proxies").
    warn('http.proxyStrictSSL is off; keyref still verifies certificates. Add your proxy\'s CA with NODE_EXTRA_CA_CERTS.');
  }
  return out;
}
