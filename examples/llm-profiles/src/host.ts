// The extension's keyref state: one Sidecar (context.secrets as the secret:
// store, the "LLM Profiles" log channel as its log, the policy from user
// settings) and one ProfileStore under globalStorageUri. Profiles come only
// from that store, which only this extension writes: nothing a workspace
// sets can add a profile, change its baseUrl or bind an origin
// (src/settings.ts says why).
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import * as keyref from 'keyref';
import type { LLMConfiguration, LlmProfile, ProfileListing, StateMessage } from 'keyref';
import { netOptions } from './net';
import { readPolicy, UserPolicy } from './settings';

/** What Test connection reports to the webview; never a value. */
export interface ConnectionResult {
  ok: boolean;
  /** HTTP status of the minimal call, when one was answered. */
  status?: number;
  latencyMs?: number;
  code?: string;
  message?: string;
  hint?: string;
}

const KEYREF_LEVEL: Record<number, keyref.LogLevel> = {
  0: 'off', 1: 'trace', 2: 'debug', 3: 'info', 4: 'warn', 5: 'error',
};

/** The path of the cheapest authenticated GET each provider family answers. */
function probePath(provider: string): string {
  return provider === 'anthropic' ? '/v1/models' : '/models';
}

export class ProfilesHost implements vscode.Disposable {
  private sidecarValue: keyref.Sidecar | undefined;
  private storeValue: keyref.ProfileStore | undefined;
  private policy: UserPolicy = readPolicy();
  private readonly statusItem: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<void>();
  /**
   * The (ref, origin, fingerprint) the person declined to trust in this
   * session: a webview that saves the same profile again and again is not
   * given a modal each time to wear the person down into a yes.
   */
  private readonly declined = new Set<string>();
  /** Fires after profiles, keys or the active profile changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly context: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    this.statusItem = vscode.window.createStatusBarItem('llmProfiles.active', vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = 'LLM Profile';
    this.statusItem.command = 'llmProfiles.selectActive';
    this.rebuild();
  }

  get sidecar(): keyref.Sidecar {
    if (!this.sidecarValue) this.rebuild();
    return this.sidecarValue as keyref.Sidecar;
  }

  get store(): keyref.ProfileStore {
    if (!this.storeValue) this.rebuild();
    return this.storeValue as keyref.ProfileStore;
  }

  /** The folder of the profile files (0700, one 0600 JSON file per profile). */
  get profilesDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'profiles');
  }

  /** (Re)creates the Sidecar and the store from the user's settings; the old Sidecar is closed (wiped). */
  rebuild(): void {
    this.policy = readPolicy();
    const old = this.sidecarValue;
    const log = this.log;
    fs.mkdirSync(this.context.globalStorageUri.fsPath, { recursive: true, mode: 0o700 });
    const make = (keyOrigins: Record<string, string[]>): keyref.Sidecar => new keyref.Sidecar({
      // VS Code's SecretStorage is the secret: store; keyref calls get()
      // only when it resolves a secret: ref, and copies the value into
      // native memory at once.
      secretStorage: this.context.secrets,
      // Lines arrive redacted by keyref; the channel shows them at its level.
      log: (level, line) => log[level](line),
      logLevel: KEYREF_LEVEL[log.logLevel] ?? 'info',
      policy: {
        allowSchemes: this.policy.allowSchemes,
        allowSecretExport: this.policy.allowSecretExport,
        logBodies: this.policy.logBodies,
        // Where keys the extension did not store (env:, keyring: set up
        // elsewhere) may be sent: from user settings only.
        origins: keyOrigins,
      },
      // "Which key went where": one line per request (ref, fingerprint,
      // origin, status; never a key) next to the profiles.
      auditFile: { path: path.join(this.context.globalStorageUri.fsPath, 'audit.jsonl') },
    });
    try {
      this.sidecarValue = make(this.policy.keyOrigins);
    } catch (err) {
      // A bad llmProfiles.keyOrigins must not keep the extension from starting.
      const e = err as { code?: string; message?: string };
      log.error(`llmProfiles.keyOrigins was ignored: ${e.code ?? 'ERROR'} ${e.message ?? ''}`);
      this.sidecarValue = make({});
    }
    this.storeValue = new keyref.ProfileStore(this.profilesDir, this.sidecarValue);
    old?.close();
    log.info(`keyref ready: schemes ${this.policy.allowSchemes.join(', ')}; profiles in ${this.profilesDir}`);
  }

  /** The profiles in the store, and the files that are not usable profiles. */
  list(): Promise<ProfileListing> {
    return this.store.list();
  }

  /** The active profile's id (kept in globalState, which no workspace can write). */
  get activeId(): string | undefined {
    return this.context.globalState.get<string>('llmProfiles.active');
  }

  async setActive(id: string | undefined): Promise<void> {
    await this.context.globalState.update('llmProfiles.active', id);
    await this.refreshStatus();
    this.changed.fire();
  }

  /** Updates the status bar item: the active profile and whether its key resolves. */
  async refreshStatus(): Promise<void> {
    const id = this.activeId;
    const p = id ? await this.store.load(id).catch(() => undefined) : undefined;
    if (!p) {
      this.statusItem.text = '$(key) No LLM profile';
      this.statusItem.tooltip = 'Select the active LLM profile';
    } else {
      const state = p.apiKeyRef ? keyref.secretStateOf(await this.sidecar.check(p.apiKeyRef)).secretState : 'missing';
      this.statusItem.text = `${state === 'stored' ? '$(key)' : '$(warning)'} ${p.label}`;
      this.statusItem.tooltip = `LLM profile ${p.id} (${p.provider}, ${p.model}); key: ${state}`;
    }
    this.statusItem.show();
  }

  /** The llmProfiles.state message: profiles with key state; already checked by toWebview. */
  async state(): Promise<StateMessage> {
    const { profiles } = await this.list();
    const opts = this.activeId ? { selectedId: this.activeId } : undefined;
    return this.sidecar.webviewState(profiles, opts);
  }

  /** The configuration provider calls take for a stored profile. */
  configuration(p: LlmProfile): LLMConfiguration {
    const config: LLMConfiguration = {
      provider: p.provider as keyref.Provider,
      model: p.model,
      // apiKeyRef: copied from the stored profile, which holds a ref
      // (secret:, env:, keyring:, …), never a key; keyref resolves it
      // in native code for each request.
      apiKeyRef: p.apiKeyRef,
    };
    if (p.baseUrl !== undefined) config.baseUrl = p.baseUrl;
    return config;
  }

  /**
   * After a save: when the profile's key is already stored and not bound to
   * the origin of the saved baseUrl, asks the person, in a VS Code modal
   * (not in the webview, which could be made to send any baseUrl), whether
   * to trust that origin with the key. Only a yes binds it.
   */
  async confirmOrigin(p: LlmProfile): Promise<void> {
    if (!p.apiKeyRef || !p.baseUrl) return;
    const parsed = keyref.parseRef(p.apiKeyRef, { allowSchemes: this.policy.allowSchemes });
    if (!parsed.ok || !['secret', 'keyring', 'file'].includes(parsed.scheme)) return;
    const d = await this.sidecar.describe(p.apiKeyRef, { provider: p.provider as keyref.Provider });
    if (d.state !== 'stored') return;
    const origin = keyref.originOf(p.baseUrl);
    if (d.origins.includes(origin)) return;
    const asked = `${p.apiKeyRef}\n${origin}\n${d.fingerprint ?? ''}`;
    if (this.declined.has(asked)) {
      this.log.info(`Not asking again to trust ${origin} with ${p.apiKeyRef}: declined in this session.`);
      return;
    }
    const yes = 'Trust this server';
    // The modal names the profile by its id (letters, digits, . _ -), not
    // its label: the label is free text the webview sets, and a modal is no
    // place for text a hijacked page wrote ("routine update, click Trust").
    const answer = await vscode.window.showWarningMessage(
      `Send the key of profile ${p.id} (${p.apiKeyRef}) to ${origin}?`,
      { modal: true, detail: `The key (fingerprint ${d.fingerprint ?? 'unknown'}) is bound to ${d.origins.join(', ') || 'no origin'}. Requests to ${origin} are refused (KEY_ORIGIN_DENIED) until you trust it here. If you did not just change this profile's baseUrl, choose Cancel: you are not asked again in this session.` },
      yes);
    if (answer !== yes) {
      this.declined.add(asked);
      return;
    }
    // Only the origin the person confirmed, added to those recorded for the
    // key stored now (read under the same lock as the write): a list built
    // from `d` could hand a key stored meanwhile by another window the old
    // key's origins, and would copy provider defaults and policy.origins
    // into the record. The fingerprint shown: the yes was for that key, so
    // a key stored while the modal was open is not bound (KEY_CHANGED).
    try {
      await this.sidecar.bindOrigins(p.apiKeyRef, [origin], { add: true, fingerprint: d.fingerprint });
    } catch (err) {
      if ((err as { code?: string }).code !== 'KEY_CHANGED') throw err;
      void vscode.window.showWarningMessage(`The key of profile ${p.id} changed while you were deciding; ${origin} was not trusted. Save the profile again to be asked about the key stored now.`);
      return;
    }
    this.log.info(`The key under ${p.apiKeyRef} may now be sent to ${origin}.`);
  }

  /** The profile `id` from the store, or a PROFILE_NOT_FOUND error. */
  async profile(id: string): Promise<LlmProfile> {
    const p = await this.store.load(id);
    if (!p) {
      throw Object.assign(new Error(`There is no profile ${id}.`), { code: 'PROFILE_INVALID', hint: 'Create it in LLM Profiles: Open.' });
    }
    return p;
  }

  private net(baseUrl: string | undefined): ReturnType<typeof netOptions> {
    return netOptions(baseUrl ?? '', (line) => this.log.warn(line));
  }

  /** Test connection: the preflight check, then one minimal authenticated call. */
  async testConnection(id: string): Promise<ConnectionResult> {
    const p = await this.profile(id);
    if (p.apiKeyRef && p.provider !== 'ollama') {
      const c = await this.sidecar.check(p.apiKeyRef);
      if (!c.ok) return { ok: false, code: c.code, message: c.message, hint: c.hint };
    }
    const config = this.configuration(p);
    const started = Date.now();
    try {
      const res = await this.sidecar.request({
        provider: config.provider,
        baseUrl: config.baseUrl ?? keyref.defaultBaseUrl(config.provider) ?? '',
        // apiKeyRef: the profile's ref (never a key), resolved in native code.
        apiKeyRef: config.apiKeyRef,
        method: 'GET',
        path: probePath(config.provider),
        timeoutMs: Math.min(this.policy.requestTimeoutMs, 30000),
        ...this.net(config.baseUrl),
      });
      const latencyMs = Date.now() - started;
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, latencyMs };
      return {
        ok: false, status: res.status, latencyMs, code: `HTTP_${res.status}`,
        message: `The provider answered HTTP ${res.status}.`,
        hint: res.status === 401 || res.status === 403
          ? 'The key was refused: store the right key (type it in the API key field and Save).'
          : 'Check the base URL and the model; the LLM Profiles log has the details.',
      };
    } catch (err) {
      const e = err as { code?: string; message?: string; hint?: string };
      return { ok: false, latencyMs: Date.now() - started, code: e.code ?? 'INTERNAL', message: e.message, hint: e.hint };
    }
  }

  /** One streamed chat turn through keyref.chat with the profile's configuration. */
  async chat(id: string, text: string, onDelta: (t: string) => void, signal?: AbortSignal): Promise<string> {
    const p = await this.profile(id);
    const config = this.configuration(p);
    const result = await keyref.chat(this.sidecar, {
      ...config,
      ...this.net(config.baseUrl),
      messages: [{ role: 'user', content: text }],
      onDelta,
      signal,
      timeoutMs: this.policy.requestTimeoutMs,
    });
    return result.content;
  }

  dispose(): void {
    this.statusItem.dispose();
    this.changed.dispose();
    this.sidecarValue?.close();
    this.sidecarValue = undefined;
  }

  /** Tells listeners (the panel, the status bar) that profiles changed. */
  notify(): void {
    this.changed.fire();
    void this.refreshStatus();
  }
}
