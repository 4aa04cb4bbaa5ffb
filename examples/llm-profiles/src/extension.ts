// LLM Profiles: a reference VS Code extension built on keyref. Profiles name
// their key by apiKeyRef; keys live in VS Code's SecretStorage (or the
// environment, the OS keyring, …) and are resolved, sent and wiped inside
// keyref's native request builder. Nothing here ever holds a key except the
// one moment a key typed in the webview, or found in legacy settings, is
// handed to keyref's write-only storeSecret.
import * as vscode from 'vscode';
import { exportProfiles, migrateLegacy, selectActive } from './commands';
import { registerSettingsDiagnostics } from './diagnostics';
import { ProfilesHost } from './host';
import { ProfilesPanel } from './panel';
import { POLICY_KEYS, SECTION, workspaceTries } from './settings';

let host: ProfilesHost | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('LLM Profiles', { log: true });
  context.subscriptions.push(log);
  host = new ProfilesHost(context, log);
  const h = host;
  context.subscriptions.push(h);

  context.subscriptions.push(
    vscode.commands.registerCommand('llmProfiles.open', () => { ProfilesPanel.show(context, h); }),
    vscode.commands.registerCommand('llmProfiles.selectActive', () => selectActive(h)),
    vscode.commands.registerCommand('llmProfiles.migrateSettings', () => migrateLegacy(h)),
    vscode.commands.registerCommand('llmProfiles.export', () => exportProfiles(h)),
    vscode.commands.registerCommand('llmProfiles.showLog', () => log.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (POLICY_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
        h.rebuild();
        h.notify();
      }
    }),
    log.onDidChangeLogLevel(() => { h.rebuild(); }),
  );
  registerSettingsDiagnostics(context);
  context.subscriptions.push({ dispose: () => ProfilesPanel.current?.dispose() });

  for (const key of ['profiles', ...POLICY_KEYS]) {
    if (workspaceTries(SECTION, key)) {
      log.warn(`The workspace sets ${SECTION}.${key}; it is ignored (profiles and policy come from user settings only).`);
    }
  }
  void h.refreshStatus();
  log.info('LLM Profiles activated.');
}

export function deactivate(): void {
  host?.dispose();
  host = undefined;
}
