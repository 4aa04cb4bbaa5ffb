// The commands besides "LLM Profiles: Open": select the active profile,
// migrate legacy settings, export profiles, show the log.
import * as path from 'path';
import * as vscode from 'vscode';
import * as keyref from 'keyref';
import type { LlmProfile } from 'keyref';
import { ProfilesHost } from './host';
import { LEGACY_KEY, SECTION, userSetting } from './settings';

/** "LLM Profiles: Select Active Profile": a quick pick; the status bar shows the choice. */
export async function selectActive(host: ProfilesHost): Promise<void> {
  const { profiles } = await host.list();
  if (profiles.length === 0) {
    const open = await vscode.window.showInformationMessage('There are no LLM profiles yet.', 'Open LLM Profiles');
    if (open) await vscode.commands.executeCommand('llmProfiles.open');
    return;
  }
  const items = await Promise.all(profiles.map(async (p) => {
    const state = p.apiKeyRef ? keyref.secretStateOf(await host.sidecar.check(p.apiKeyRef)).secretState : 'missing';
    return {
      label: p.label, id: p.id,
      description: `${p.provider} · ${p.model}`,
      detail: `${p.apiKeyRef ?? 'no apiKeyRef'} · key ${state}`,
      picked: p.id === host.activeId,
    };
  }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Active LLM profile', placeHolder: 'Select the profile requests use' });
  if (pick) {
    await host.setActive(pick.id);
    host.log.info(`Active profile: ${pick.id}.`);
  }
}

/** A profile of the extension's old settings (llmProfiles.profiles), which held keys. */
interface LegacyEntry {
  id?: unknown; label?: unknown; provider?: unknown; model?: unknown; baseUrl?: unknown;
  apiKeyRef?: unknown;
  /** The old field: a key, or sometimes the name of a variable. Never guessed which. */
  apiKey?: unknown;
  api_key_env?: unknown;
}

const STORE_IT = 'It is the key: store it in SecretStorage';
const ENV_NAME = 'It is the name of an environment variable';

/**
 * "LLM Profiles: Migrate Legacy Settings". Entries of the old user setting
 * llmProfiles.profiles with apiKey / api_key_env become profiles with an
 * apiKeyRef. For each apiKey a modal asks what the value is: keyref never
 * guesses from its look (docs/settings_prd.md, "Migration"). Only the
 * user's own settings are read and rewritten.
 */
export async function migrateLegacy(host: ProfilesHost): Promise<void> {
  const entries = userSetting<unknown>(SECTION, LEGACY_KEY, []);
  if (!Array.isArray(entries) || entries.length === 0) {
    await vscode.window.showInformationMessage('There is nothing to migrate: llmProfiles.profiles is empty in your user settings.');
    return;
  }
  const left: unknown[] = [];
  let migrated = 0;
  let movedKeys = 0;
  for (const [i, raw] of entries.entries()) {
    const e = (raw ?? {}) as LegacyEntry;
    const id = typeof e.id === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(e.id) ? e.id : `legacy-${i + 1}`;
    const profile: LlmProfile = {
      id, label: typeof e.label === 'string' && e.label ? e.label : id,
      provider: typeof e.provider === 'string' ? e.provider : 'openai',
      model: typeof e.model === 'string' && e.model ? e.model : 'gpt-4o-mini',
    };
    if (typeof e.baseUrl === 'string' && e.baseUrl) profile.baseUrl = e.baseUrl;
    let keyMoved = false;
    try {
      if (typeof e.apiKey === 'string' && e.apiKey !== '') {
        const answer = await vscode.window.showWarningMessage(
          `Profile "${profile.label}" has an apiKey in your settings. What is that value?`,
          { modal: true, detail: 'LLM Profiles never guesses. A key is moved into VS Code SecretStorage and removed from settings.json; a variable name becomes an env: reference. The value is not shown here.' },
          STORE_IT, ENV_NAME);
        if (!answer) { left.push(raw); continue; }
        if (answer === STORE_IT) {
          // apiKeyRef: a secret: ref, i.e. the NAME the key is stored under
          // in SecretStorage; the key itself goes to storeSecret only.
          profile.apiKeyRef = `secret:llm-profiles/${id}`;
          // Bound to the origin of the entry's baseUrl, which comes from the
          // user's own settings (or the provider's default origin).
          await host.sidecar.storeSecret(profile.apiKeyRef, e.apiKey,
            profile.baseUrl ? { origins: [keyref.originOf(profile.baseUrl)] } : undefined);
          keyMoved = true;
        } else {
          // apiKeyRef: env:NAME, the variable's name as the user said; parseRef
          // refuses it (REF_LITERAL_SECRET, REF_BAD_NAME) if it is not a name.
          const ref = `env:${e.apiKey}`;
          const r = keyref.parseRef(ref);
          if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code, hint: r.hint });
          profile.apiKeyRef = ref;
        }
      } else if (typeof e.api_key_env === 'string' && e.api_key_env !== '') {
        // apiKeyRef: env:NAME from the old api_key_env field, which named a variable.
        const ref = `env:${e.api_key_env}`;
        const r = keyref.parseRef(ref);
        if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code, hint: r.hint });
        profile.apiKeyRef = ref;
      } else if (typeof e.apiKeyRef === 'string' && e.apiKeyRef !== '') {
        // apiKeyRef: already a ref in the old settings; ProfileStore.save
        // refuses it if it is a key after all.
        profile.apiKeyRef = e.apiKeyRef;
      }
      await host.store.save(profile);
      migrated++;
      if (keyMoved) movedKeys++;
      host.log.info(`Migrated legacy profile ${id} to ${profile.apiKeyRef ?? 'no apiKeyRef'}.`);
    } catch (err) {
      const x = err as { code?: string; message?: string; hint?: string };
      left.push(raw);
      host.log.warn(`Legacy profile ${id} was not migrated: ${x.code ?? 'ERROR'} ${host.sidecar.redact(x.message ?? '')}`);
      void vscode.window.showErrorMessage(`Profile ${id} was not migrated (${x.code ?? 'ERROR'}). ${x.hint ?? 'See the LLM Profiles log.'}`);
    }
  }
  // The migrated entries (and the keys in them) leave settings.json.
  await vscode.workspace.getConfiguration(SECTION).update(LEGACY_KEY, left.length ? left : undefined, vscode.ConfigurationTarget.Global);
  host.notify();
  const summary = `Migrated ${migrated} of ${entries.length} legacy profiles.` +
    (left.length ? ` ${left.length} ${left.length === 1 ? 'stays' : 'stay'} in your settings.` : '');
  if (movedKeys === 0) {
    await vscode.window.showInformationMessage(summary);
    return;
  }
  // The key left settings.json, but not every copy of it: settings may have
  // been synced, and VS Code's Local History keeps earlier versions of
  // settings.json on disk (User/History), readable by anyone who can read
  // the profile folder. Only rotating the key makes those copies harmless;
  // deleting Local History (VS Code's own command, which asks first and
  // cannot delete one file's entries alone) removes the local ones.
  const purge = 'Delete Local History';
  const keys = movedKeys === 1 ? 'the key that was' : `the ${movedKeys} keys that were`;
  const answer = await vscode.window.showWarningMessage(`${summary} Rotate ${keys} in settings.json: ` +
    'settings may have been synced, and VS Code\'s Local History keeps earlier copies of settings.json.', purge);
  if (answer !== purge) return;
  try {
    await vscode.commands.executeCommand('workbench.action.localHistory.deleteAll');
  } catch (err) {
    host.log.warn(`Local History was not deleted: ${host.sidecar.redact(String(err))}`);
  }
}

/** The profiles of a secret export and where each key comes from, one per line (at most 20, then a count). */
export function exportList(info: keyref.ExportConfirmInfo): string {
  const lines = info.profileIds.map((id, i) => `${id}: ${info.apiKeyRefs[i] || 'no key'}`);
  const shown = lines.slice(0, 20);
  if (lines.length > shown.length) shown.push(`…and ${lines.length - shown.length} more`);
  return shown.join('\n');
}

/**
 * "LLM Profiles: Export Profiles". Secret-free by default; with secrets only
 * when the machine-scoped setting allows it AND the user confirms a modal.
 */
export async function exportProfiles(host: ProfilesHost): Promise<void> {
  const { profiles } = await host.list();
  if (profiles.length === 0) {
    await vscode.window.showInformationMessage('There are no LLM profiles to export.');
    return;
  }
  const kind = await vscode.window.showQuickPick([
    { label: 'Without keys', description: 'profiles and their apiKeyRefs only: safe to share', secrets: false },
    { label: 'With keys', description: 'needs llmProfiles.allowSecretExport in this machine\'s settings', secrets: true },
  ], { title: 'Export LLM profiles' });
  if (!kind) return;
  const target = await vscode.window.showSaveDialog({
    title: 'Export LLM profiles', filters: { JSON: ['json'] },
    defaultUri: vscode.Uri.file(path.join(process.env.HOME ?? '', 'llm-profiles.json')),
  });
  if (!target) return;
  try {
    // DO NOT LOOSEN THIS GATE. A file with keys in it leaves every store
    // keyref controls: it gets synced, attached, committed. Both conditions
    // stay: the machine-scoped setting (a workspace cannot set it) AND a
    // modal the user answers each time. keyref repeats the check in native
    // code (policy.allowSecretExport) and writes the file 0600.
    const report = await host.store.exportProfiles(target.fsPath, {
      includeSecrets: kind.secrets,
      // The modal names every profile and the apiKeyRef its key is read
      // from (a ref, never a key): a ref the webview pointed at an unrelated
      // entry (env:GITHUB_TOKEN) shows here before its key is written.
      confirm: async (info) => (await vscode.window.showWarningMessage(
        `Write ${info.profileIds.length} profile(s) WITH THEIR KEYS to ${info.file}?`,
        { modal: true, detail: `${exportList(info)}\n\nAnyone who can read that file can use these keys. Delete it after use and prefer exporting without keys.` },
        'Export with keys')) === 'Export with keys',
    });
    host.log.info(`Exported ${report.profiles} profile(s), ${report.secrets} key(s), to ${report.file}.`);
    await vscode.window.showInformationMessage(`Exported ${report.profiles} profile(s)${report.includesSecrets ? ` with ${report.secrets} key(s)` : ' without keys'}.`);
  } catch (err) {
    const e = err as { code?: string; message?: string; hint?: string };
    host.log.warn(`Export refused: ${e.code ?? 'ERROR'} ${host.sidecar.redact(e.message ?? '')}`);
    await vscode.window.showErrorMessage(`${e.code ?? 'ERROR'}: ${host.sidecar.redact(e.message ?? '')} ${e.hint ?? ''}`);
  }
}
