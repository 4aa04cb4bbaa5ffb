// Settings, read from user scope only.
//
// A workspace is somebody else's code: its .vscode/settings.json arrives
// with a clone. If it could add a profile, change a profile's baseUrl, bind
// an origin, widen the scheme allow-list or turn on secret export, opening a
// repository would be enough to send a key to its author's server
// (docs/threat-model.md; docs/settings_prd.md, "What a workspace can do"). So every setting this
// extension reads is taken from `inspect().globalValue` (the user's own
// settings.json) or the default, never from `get()`, which merges workspace
// and folder values in. The manifest also declares them `application` or
// `machine` scoped, so VS Code itself ignores workspace values; reading the
// global value here keeps that true even if a scope is changed by mistake.
import * as vscode from 'vscode';
import type { RefScheme } from 'keyref';

export const SECTION = 'llmProfiles';

/** A setting's value from the user's settings, or its default. Workspace and folder values are ignored. */
export function userSetting<T>(section: string, key: string, fallback: T): T {
  const i = vscode.workspace.getConfiguration(section).inspect<T>(key);
  const v = i?.globalValue ?? i?.defaultValue;
  return v === undefined ? fallback : v;
}

/** True when a workspace or folder tries to set `section.key` (it is ignored; the user is told). */
export function workspaceTries(section: string, key: string): boolean {
  const i = vscode.workspace.getConfiguration(section).inspect(key);
  return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
}

const SCHEMES: readonly RefScheme[] = ['secret', 'env', 'keyring', 'op', 'pass', 'file'];

/** The keyref policy from user settings. */
export interface UserPolicy {
  allowSchemes: RefScheme[];
  allowSecretExport: boolean;
  logBodies: boolean;
  requestTimeoutMs: number;
  /** policy.origins: ref → origin patterns, for keys this extension did not store. */
  keyOrigins: Record<string, string[]>;
}

export function readPolicy(): UserPolicy {
  const raw = userSetting<unknown>(SECTION, 'allowSchemes', ['secret', 'env', 'keyring']);
  const allow = Array.isArray(raw) ? raw.filter((s): s is RefScheme => SCHEMES.includes(s as RefScheme)) : [];
  const timeout = userSetting<number>(SECTION, 'requestTimeoutMs', 60000);
  const rawOrigins = userSetting<unknown>(SECTION, 'keyOrigins', {});
  const keyOrigins: Record<string, string[]> = {};
  if (rawOrigins && typeof rawOrigins === 'object' && !Array.isArray(rawOrigins)) {
    for (const [ref, list] of Object.entries(rawOrigins)) {
      if (Array.isArray(list)) keyOrigins[ref] = list.filter((o): o is string => typeof o === 'string');
    }
  }
  return {
    allowSchemes: allow.length > 0 ? [...new Set(allow)] : ['secret'],
    // Machine-scoped in the manifest: only this machine's user settings can
    // turn it on (docs/settings_prd.md, "export gate").
    allowSecretExport: userSetting<boolean>(SECTION, 'allowSecretExport', false) === true,
    logBodies: userSetting<boolean>(SECTION, 'logRequestBodies', false) === true,
    keyOrigins,
    requestTimeoutMs: Number.isInteger(timeout) && timeout >= 1000 && timeout <= 600000 ? timeout : 60000,
  };
}

/** The settings whose change rebuilds the Sidecar. */
export const POLICY_KEYS = ['allowSchemes', 'allowSecretExport', 'logRequestBodies', 'requestTimeoutMs', 'keyOrigins'];

/** The legacy settings key migrated by "LLM Profiles: Migrate Legacy Settings". */
export const LEGACY_KEY = 'profiles';
