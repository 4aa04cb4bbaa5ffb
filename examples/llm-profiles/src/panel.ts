// The "LLM Profiles" webview panel, host side.
//
// THE WEBVIEW BOUNDARY (host side). The webview is an untrusted page: its
// script, a compromised dependency, a devtools user or anything injected
// into it reads every message it is sent and may post anything, any number
// of times. So:
// - What crosses to the webview: profiles (id, label, provider, model,
//   baseUrl, apiKeyRef: a ref, never a key), each key's state, code, hint,
//   fingerprint and bound origins, results of checks and Test connection
//   (status, latency, code, hint), and chat text, which keyref has already
//   scrubbed of live secrets. keyref's own messages go through
//   sidecar.toWebview (schemas/webview-messages.schema.json plus the leak
//   guard); this extension's extra messages go through postExtra, which
//   refuses any message that sidecar.redact would change.
// - What never crosses to the webview: a key, any part, mask, length or
//   prefix of one, a resolved value, an error text that could quote one.
// - What crosses from the webview: requests naming a profile id, a profile
//   to save (validated by sidecar.fromWebview and ProfileStore.save, which
//   refuses a literal key anywhere in it), a ref to check, a chat prompt,
//   and exactly one message that carries a key, llmProfiles.storeSecret,
//   which goes straight to acceptSecretFromWebview: stored write-only under
//   the profile's apiKeyRef, never logged, echoed, recorded or sent back.
// - The webview cannot choose where a key goes: the ref is the saved
//   profile's, and the origin it is bound to is the saved baseUrl's.
// Every answer the webview gets is the same whatever the key is (stored or
// not, and which state), so probing it teaches nothing about a key's value
// (docs/threat-model.md).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as vscode from 'vscode';
import * as keyref from 'keyref';
import type { LlmProfile } from 'keyref';
import { ProfilesHost } from './host';
import { readPolicy } from './settings';

type Json = Record<string, unknown>;

/** Messages only this extension's webview uses (keyref's schema covers the others). */
const EXTRA_TYPES = new Set(['llmProfiles.checkRef', 'llmProfiles.test', 'llmProfiles.chat',
  'llmProfiles.chatCancel', 'llmProfiles.e2eState']);
const MAX_PROMPT = 32 * 1024;
// A page may post without end (a script clicking Save in a loop). At most
// this many of its messages wait to be handled; the rest are dropped, and
// the log says how many once the queue has drained. A person clicking
// never has more than a few waiting.
const MAX_WAITING = 64;
// The most profiles a save from the page may create: the state message the
// panel lives on carries at most 1000 (schemas/webview-messages.schema.json),
// and every profile costs a file, a check and a describe() per refresh.
// Saving over an existing profile is always allowed.
export const MAX_PROFILES = 200;
const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
// apiKeyRef: the ref this extension proposes for a profile's key, a NAME
// in VS Code's SecretStorage scoped to the profile id (never a key). A key
// stored there replaces only this profile's own.
const ownRef = (id: string): string => `secret:llm-profiles/${id}`;

/** Test-only switch: where to record the messages crossing the boundary (docs: scripts/e2e.sh). */
const RECORD_FILE = process.env.LLM_PROFILES_E2E_RECORD;

export class ProfilesPanel implements vscode.Disposable {
  static current: ProfilesPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly chats = new Map<string, AbortController>();
  // Messages are handled one at a time, in the order they were posted, so a
  // storeSecret right after a save finds the saved profile.
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;
  private dropped = 0;
  // State refreshes run one at a time, in order, and a refresh asked for
  // while one waits to start joins it: each change (save, a stored key)
  // fires onDidChange, and two refreshes running at once could post in the
  // wrong order, the older one (read before the key or its binding was
  // written) last.
  private stateRun: Promise<void> = Promise.resolve();
  private stateQueued = false;

  static show(context: vscode.ExtensionContext, host: ProfilesHost): ProfilesPanel {
    if (ProfilesPanel.current) {
      ProfilesPanel.current.panel.reveal();
      return ProfilesPanel.current;
    }
    const panel = vscode.window.createWebviewPanel('llmProfiles', 'LLM Profiles', vscode.ViewColumn.Active, {
      enableScripts: true,
      // Only the extension's own media folder; nothing remote.
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')],
    });
    ProfilesPanel.current = new ProfilesPanel(panel, context, host);
    return ProfilesPanel.current;
  }

  constructor(readonly panel: vscode.WebviewPanel, private readonly context: vscode.ExtensionContext,
    private readonly host: ProfilesHost) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => {
        if (this.waiting >= MAX_WAITING) {
          this.dropped++;
          return;
        }
        this.waiting++;
        this.queue = this.queue.then(() => this.receive(m))
          .catch((err) => host.log.error(`Handling a webview message failed: ${host.sidecar.redact(String(err))}`))
          .finally(() => {
            this.waiting--;
            if (this.waiting === 0 && this.dropped > 0) {
              host.log.warn(`The LLM Profiles page sent ${this.dropped} message(s) while ${MAX_WAITING} were waiting; they were dropped.`);
              this.dropped = 0;
            }
          });
      }),
      panel.onDidDispose(() => this.dispose()),
      host.onDidChange(() => void this.sendState()),
    );
  }

  private html(): string {
    const w = this.panel.webview;
    const nonce = crypto.randomBytes(18).toString('base64');
    const media = (f: string): vscode.Uri => w.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'media', f));
    // Strict CSP: nothing loads unless it is the extension's own file or
    // carries this page's nonce; no remote resource, no inline handler, no
    // eval, no form posts, no frames.
    const csp = [
      "default-src 'none'",
      `style-src ${w.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${w.cspSource}`,
      `font-src ${w.cspSource}`,
      "connect-src 'none'",
      "form-action 'none'",
      "frame-src 'none'",
      "base-uri 'none'",
    ].join('; ');
    const boot = JSON.stringify({ providers: keyref.PROVIDERS, record: !!RECORD_FILE }).replace(/</g, '\\u003c');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('main.css')}">
<title>LLM Profiles</title>
</head>
<body>
<script nonce="${nonce}" type="application/json" id="boot">${boot}</script>
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${media('main.js')}"></script>
</body>
</html>`;
  }

  // --- to the webview -----------------------------------------------------

  private record(direction: 'in' | 'out', message: unknown): void {
    if (!RECORD_FILE) return;
    fs.appendFileSync(RECORD_FILE, JSON.stringify({ direction, message }) + '\n', { mode: 0o600 });
  }

  /** Posts one of keyref's messages, after sidecar.toWebview checked it. */
  private async post(message: keyref.HostToWebviewMessage): Promise<void> {
    let safe: keyref.HostToWebviewMessage;
    try {
      safe = this.host.sidecar.toWebview(message);
    } catch (err) {
      this.host.log.error(`A message to the webview was refused: ${(err as Error).message}`);
      safe = this.host.sidecar.toWebview(keyref.webviewErrorMessage(err, undefined, this.host.sidecar));
    }
    this.record('out', safe);
    await this.panel.webview.postMessage(safe);
  }

  /**
   * Posts one of this extension's own messages. They are not in keyref's
   * schema, so the guard here is the redactor: a message whose JSON
   * sidecar.redact would change holds a live secret or a credential shape
   * and is not sent.
   */
  private async postExtra(message: Json): Promise<void> {
    const text = JSON.stringify(message);
    if (this.host.sidecar.redact(text) !== text) {
      this.host.log.error(`A ${String(message.type)} message to the webview was refused: it held a credential.`);
      await this.post({ type: 'llmProfiles.error', code: 'WEBVIEW_LEAK_BLOCKED',
        message: 'A message was not shown because it held a credential.',
        hint: 'The LLM Profiles log says which; nothing secret was sent to this view.' });
      return;
    }
    this.record('out', message);
    await this.panel.webview.postMessage(message);
  }

  sendState(): Promise<void> {
    if (this.stateQueued) return this.stateRun;
    this.stateQueued = true;
    this.stateRun = this.stateRun.then(() => {
      // From here on, a change asks for a new run: this one may have read
      // the store before it.
      this.stateQueued = false;
      return this.sendStateNow();
    });
    return this.stateRun;
  }

  private async sendStateNow(): Promise<void> {
    try {
      const listing = await this.host.list();
      const state = await this.host.sidecar.webviewState(listing.profiles,
        this.host.activeId ? { selectedId: this.host.activeId } : undefined);
      await this.post(state);
      for (const bad of listing.invalid) {
        await this.post({ type: 'llmProfiles.error', profileId: bad.id, code: bad.code,
          message: `Profile file ${bad.id}.json is not usable: ${bad.message}`, hint: bad.hint });
      }
    } catch (err) {
      await this.fail(err);
    }
  }

  private async fail(err: unknown, context?: { requestId?: string; profileId?: string }): Promise<void> {
    const e = err as { code?: string; message?: string };
    this.host.log.warn(`${e?.code ?? 'ERROR'}: ${this.host.sidecar.redact(String(e?.message ?? err))}`);
    await this.post(keyref.webviewErrorMessage(err, context, this.host.sidecar));
  }

  // --- from the webview ---------------------------------------------------

  private async receive(raw: unknown): Promise<void> {
    const type = (raw as Json | null)?.type;
    if (typeof type === 'string' && EXTRA_TYPES.has(type)) return this.receiveExtra(raw as Json);
    let msg: keyref.WebviewToHostMessage;
    try {
      msg = this.host.sidecar.fromWebview(raw);
    } catch (err) {
      // The refusal names the field and rule, never a value.
      return this.fail(err);
    }
    const ctx = { requestId: msg.requestId, profileId: 'profileId' in msg ? msg.profileId : undefined };
    // The message carrying the key is not recorded, not logged: only its type.
    this.record('in', msg.type === 'llmProfiles.storeSecret' ? { type: msg.type, omitted: 'the typed key' } : msg);
    // Each handler is awaited inside the try: a bare `return promise` would
    // let its rejection past the catch, and the page would get no reply.
    try {
      switch (msg.type) {
        case 'llmProfiles.ready': return await this.sendState();
        case 'llmProfiles.save': return await this.save(msg.profile, msg.requestId);
        case 'llmProfiles.storeSecret': return await this.storeSecret(msg);
        case 'llmProfiles.delete': return await this.remove(msg.profileId, msg.requestId);
        case 'llmProfiles.deleteSecret': return await this.removeKey(msg.profileId, msg.requestId);
        case 'llmProfiles.select':
          await this.host.setActive(msg.profileId);
          return await this.post({ type: 'llmProfiles.selected', profileId: msg.profileId, requestId: msg.requestId });
      }
    } catch (err) {
      return this.fail(err, ctx);
    }
  }

  private async save(profile: LlmProfile, requestId?: string): Promise<void> {
    const p: LlmProfile = { ...profile };
    if (p.baseUrl === '') delete p.baseUrl;
    if (p.apiKeyRef === '') delete p.apiKeyRef;
    const { profiles } = await this.host.list();
    if (profiles.length >= MAX_PROFILES && !profiles.some((q) => q.id === p.id)) {
      throw Object.assign(new Error(`LLM Profiles keeps at most ${MAX_PROFILES} profiles; ${p.id} was not saved.`),
        { code: 'PROFILE_INVALID', hint: 'Delete a profile you no longer use, then save again.' });
    }
    // ProfileStore.save validates the schema and refuses a profile that would
    // persist a key (a literal in apiKeyRef, a key in baseUrl, …).
    const saved = await this.host.store.save(p);
    this.host.log.info(`Profile ${saved.id} saved (${saved.provider}, ${saved.apiKeyRef ?? 'no apiKeyRef'}).`);
    await this.post({ type: 'llmProfiles.saved', profileId: saved.id, requestId });
    await this.host.confirmOrigin(saved);
    if (!this.host.activeId) await this.host.setActive(saved.id);
    this.host.notify();
  }

  private async storeSecret(msg: Extract<keyref.WebviewToHostMessage, { type: 'llmProfiles.storeSecret' }>): Promise<void> {
    // The key goes under the SAVED profile's apiKeyRef (a secret:, keyring:
    // or file: ref), which the webview cannot change in this message.
    const p = await this.host.profile(msg.profileId);
    if (!p.apiKeyRef) {
      throw Object.assign(new Error('The profile has no apiKeyRef to store the key under.'),
        { code: 'PROFILE_INVALID', hint: 'Leave apiKeyRef empty to use secret:llm-profiles/<id>, then Save again.' });
    }
    // Bound to the origin of the SAVED profile's baseUrl (or, without one,
    // the provider's default origin, which keyref adds by itself): the key
    // will be sent there and nowhere else. The webview cannot pass origins.
    const origins = p.baseUrl ? [keyref.originOf(p.baseUrl)] : undefined;
    // A ref other than the profile's own name (secret:llm-profiles/<id>) may
    // be an entry other programs or profiles read (keyring:github/token): a
    // page that set the profile's apiKeyRef to it must not replace what it
    // holds unasked. The person confirms in VS Code, not in the webview.
    if (p.apiKeyRef !== ownRef(p.id)
        && keyref.secretStateOf(await this.host.sidecar.check(p.apiKeyRef)).secretState === 'stored') {
      const replace = 'Replace';
      const answer = await vscode.window.showWarningMessage(
        `Replace the key stored under ${p.apiKeyRef} (profile ${p.id})?`,
        { modal: true, detail: `That entry already holds a key, and every program or profile that reads ${p.apiKeyRef} will get the new one. Choose Cancel unless you are replacing this key yourself.` },
        replace);
      if (answer !== replace) {
        this.host.log.info(`The key under ${p.apiKeyRef} was not replaced (profile ${p.id}): cancelled.`);
        return;
      }
    }
    const reply = await this.host.sidecar.acceptSecretFromWebview(msg, { ref: p.apiKeyRef, origins });
    this.host.log.info(`A key was stored for profile ${p.id} under ${p.apiKeyRef}.`);
    await this.post(reply);
    this.host.notify();
  }

  private async remove(id: string, requestId?: string): Promise<void> {
    const ok = await vscode.window.showWarningMessage(`Delete the LLM profile "${id}"?`,
      { modal: true, detail: 'Its key stays in its store; use Remove key first to delete it too.' }, 'Delete');
    if (ok !== 'Delete') return;
    await this.host.store.delete(id);
    if (this.host.activeId === id) await this.host.setActive(undefined);
    this.host.log.info(`Profile ${id} deleted.`);
    await this.post({ type: 'llmProfiles.deleted', profileId: id, requestId });
    this.host.notify();
  }

  private async removeKey(id: string, requestId?: string): Promise<void> {
    const p = await this.host.profile(id);
    if (!p.apiKeyRef) return this.post({ type: 'llmProfiles.secretDeleted', profileId: id, requestId, secretState: 'missing' });
    // Deleting is for good, and the entry may be one other programs read (a
    // page can point a profile at any ref): the person confirms in VS Code.
    const ok = await vscode.window.showWarningMessage(`Remove the key of profile ${id}?`,
      { modal: true, detail: `The key stored under ${p.apiKeyRef} is deleted; every program or profile that reads that entry loses it too.` }, 'Remove key');
    if (ok !== 'Remove key') return;
    await this.host.sidecar.deleteSecret(p.apiKeyRef);
    this.host.log.info(`The key of profile ${id} (${p.apiKeyRef}) was removed.`);
    const state = keyref.secretStateOf(await this.host.sidecar.check(p.apiKeyRef)).secretState;
    await this.post({ type: 'llmProfiles.secretDeleted', profileId: id, apiKeyRef: p.apiKeyRef, requestId, secretState: state });
    this.host.notify();
  }

  private async receiveExtra(m: Json): Promise<void> {
    const requestId = typeof m.requestId === 'string' ? m.requestId.slice(0, 64) : undefined;
    const profileId = typeof m.profileId === 'string' && ID_RE.test(m.profileId) ? m.profileId : undefined;
    if (m.type === 'llmProfiles.e2eState') {
      // Test-only: the webview's persisted state, recorded for the canary scan.
      if (RECORD_FILE) this.record('in', m);
      return;
    }
    this.record('in', m);
    try {
      if (m.type === 'llmProfiles.checkRef') {
        if (typeof m.apiKeyRef !== 'string') return;
        // Live validation of the apiKeyRef field: keyref's code and hint.
        // The reply never quotes the input (a key typed into this field by
        // mistake is not sent back).
        const r = keyref.parseRef(m.apiKeyRef, { allowSchemes: readPolicy().allowSchemes });
        return await this.postExtra(r.ok
          ? { type: 'llmProfiles.refCheck', requestId, ok: true, scheme: r.scheme }
          : { type: 'llmProfiles.refCheck', requestId, ok: false, code: r.code, message: r.message, hint: r.hint });
      }
      if (!profileId) throw Object.assign(new Error('The message names no valid profile id.'), { code: 'ERR_INVALID_ARG_VALUE' });
      if (m.type === 'llmProfiles.test') {
        const result = await this.host.testConnection(profileId);
        this.host.log.info(`Test connection ${profileId}: ${result.ok ? 'ok' : result.code} ${result.status ?? ''} ${result.latencyMs ?? ''} ms`);
        return await this.postExtra({ type: 'llmProfiles.testResult', requestId, profileId, ...result });
      }
      if (m.type === 'llmProfiles.chatCancel') {
        this.chats.get(profileId)?.abort();
        return;
      }
      if (m.type === 'llmProfiles.chat') {
        if (typeof m.text !== 'string' || m.text.trim() === '' || m.text.length > MAX_PROMPT) {
          throw Object.assign(new Error(`The prompt must be 1 to ${MAX_PROMPT} characters.`), { code: 'ERR_INVALID_ARG_VALUE' });
        }
        // Not awaited: a long reply must not hold up the queue.
        void this.chat(profileId, m.text, requestId);
        return;
      }
    } catch (err) {
      return this.fail(err, { requestId, profileId });
    }
  }

  private async chat(profileId: string, text: string, requestId?: string): Promise<void> {
    this.chats.get(profileId)?.abort();
    const ac = new AbortController();
    this.chats.set(profileId, ac);
    try {
      const content = await this.host.chat(profileId, text, (delta) => {
        // Deltas are scrubbed by keyref; redact() again replaces any
        // credential shape a model might print, so the message is never refused.
        void this.postExtra({ type: 'llmProfiles.chatDelta', requestId, profileId, text: this.host.sidecar.redact(delta) });
      }, ac.signal);
      await this.postExtra({ type: 'llmProfiles.chatDone', requestId, profileId, chars: content.length });
    } catch (err) {
      await this.fail(err, { requestId, profileId });
    } finally {
      if (this.chats.get(profileId) === ac) this.chats.delete(profileId);
    }
  }

  dispose(): void {
    ProfilesPanel.current = undefined;
    for (const ac of this.chats.values()) ac.abort();
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
