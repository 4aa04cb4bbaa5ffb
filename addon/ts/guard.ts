// What counts as a credential in a structure keyref is about to persist or
// to send to the webview: a property named like one, a string shaped like
// one (native/src/credential_shape.cpp, the detector the ref parser uses),
// or a string holding a live secret (the Sidecar's redactor).
import { CREDENTIAL_NAME_EXCEPTIONS, CREDENTIAL_NAME_PARTS, CREDENTIAL_NAME_WORDS } from './catalog';
import { native } from './native';
import { safePath } from './schemas';
import type { SecretOps } from './secret_ops';

/**
 * True when a property name is one a credential travels under: lower-cased
 * with everything but letters and digits removed, it contains one of the
 * native vocabulary's parts, is one of its words, or ends in "key" — unless
 * it is one of its exceptions (apiKeyRef, secretState, …: a ref or a state,
 * never a value). The lists: native/include/keyref/credential_names.h.
 * "tokens" is a count (maxTokens), so it is not "token".
 */
export function isCredentialName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '').replace(/tokens/g, '');
  if (CREDENTIAL_NAME_EXCEPTIONS.has(n)) return false;
  if (CREDENTIAL_NAME_WORDS.includes(n) || n.endsWith('key')) return true;
  return CREDENTIAL_NAME_PARTS.some((p) => n.includes(p));
}

/**
 * The family name of the first credential-shaped span of `text` (e.g. "an
 * sk- key (OpenAI, Anthropic, OpenRouter)"), or null. Runs in native code.
 */
export function containsCredential(text: string): string | null {
  return native.containsCredential(text);
}

/** One reason a structure may not be persisted or sent. Never holds the value. */
export interface Leak {
  kind: 'name' | 'shape' | 'live';
  /** JSON pointer, every segment made safe to show. */
  path: string;
  /** For kind 'shape': the credential family. */
  family?: string;
}

/** Describes a Leak in words, without the value. */
export function describeLeak(leak: Leak): string {
  switch (leak.kind) {
    case 'name': return `the property ${leak.path} is named like a credential`;
    case 'shape': return `${leak.path} looks like ${leak.family ?? 'a credential'}`;
    default: return `${leak.path} holds a live secret`;
  }
}

/**
 * Walks `value` and returns the first leak: a credential-named property, a
 * string (or property name) shaped like a credential, or one holding a live
 * secret (`ops.redact(s) !== s`). `skipNames` lists property names whose
 * name check is done elsewhere (e.g. the legacy api_key_env).
 */
export function findLeak(value: unknown, ops: Pick<SecretOps, 'redact'> | undefined,
  skipNames: ReadonlySet<string> = new Set()): Leak | null {
  const seen = new Set<object>();
  const walk = (v: unknown, pointer: string, depth: number): Leak | null => {
    if (typeof v === 'string') return scanString(v, pointer, ops);
    if (v === null || typeof v !== 'object') return null;
    if (seen.has(v) || depth > 32) return null;  // schemas refuse such values
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const l = walk(v[i], `${pointer}/${i}`, depth + 1);
        if (l) return l;
      }
      return null;
    }
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!skipNames.has(k) && isCredentialName(k)) return { kind: 'name', path: safePath(p, ops) };
      const nameLeak = scanString(k, p, ops);
      if (nameLeak) return nameLeak;
      const l = walk(child, p, depth + 1);
      if (l) return l;
    }
    return null;
  };
  return walk(value, '', 0);
}

function scanString(s: string, pointer: string, ops: Pick<SecretOps, 'redact'> | undefined): Leak | null {
  if (s.length === 0) return null;
  const family = containsCredential(s);
  if (family !== null) return { kind: 'shape', path: safePath(pointer, ops), family };
  // The redactor's answer follows the no-oracle rule (docs/threat-model.md):
  // a whole value, or 12+ characters of a secret's middle; never fewer, so
  // a refusal here (PROFILE_CONTAINS_SECRET, WEBVIEW_LEAK_BLOCKED) cannot
  // confirm a guess about part of a secret.
  if (ops && ops.redact(s) !== s) return { kind: 'live', path: safePath(pointer, ops) };
  return null;
}
