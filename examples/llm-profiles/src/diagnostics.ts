// Diagnostics in settings.json: an apiKeyRef keyref refuses is marked with
// its code and hint, and a workspace's attempt to set this extension's
// settings is marked as ignored. No message quotes the value: a refused
// apiKeyRef is often a key pasted into the wrong field, and diagnostics
// are shown, logged and sent to other extensions.
import * as vscode from 'vscode';
import * as keyref from 'keyref';
import { readPolicy } from './settings';

const APIKEYREF = /"apiKeyRef"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;
const APIKEY = /"(apiKey|api_key)"\s*:\s*"/g;
const OUR_KEY = /"llmProfiles\.[A-Za-z]+"\s*:/g;

function isSettingsFile(doc: vscode.TextDocument): boolean {
  return /settings\.json$/i.test(doc.uri.path) || doc.languageId === 'jsonc' && doc.uri.scheme === 'vscode-userdata';
}

function isWorkspaceSettings(doc: vscode.TextDocument): boolean {
  return /\/\.vscode\/settings\.json$/i.test(doc.uri.path) || /\.code-workspace$/i.test(doc.uri.path);
}

/** The diagnostics of one settings file's text. */
export function settingsDiagnostics(text: string, doc: vscode.TextDocument): vscode.Diagnostic[] {
  if (!text.includes('llmProfiles.')) return [];
  const out: vscode.Diagnostic[] = [];
  const policy = readPolicy();
  for (const m of text.matchAll(APIKEYREF)) {
    let ref: string;
    try {
      ref = JSON.parse(`"${m[1]}"`) as string;
    } catch {
      continue;
    }
    const r = keyref.parseRef(ref, { allowSchemes: policy.allowSchemes });
    if (r.ok) continue;
    const start = doc.positionAt((m.index ?? 0) + m[0].length - m[1].length - 1);
    const end = doc.positionAt((m.index ?? 0) + m[0].length);
    // keyref's message and hint never quote the input.
    const d = new vscode.Diagnostic(new vscode.Range(start, end), `${r.code}: ${r.message}${r.hint ? ` ${r.hint}` : ''}`,
      r.code === 'REF_LITERAL_SECRET' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    d.source = 'LLM Profiles';
    d.code = r.code;
    out.push(d);
  }
  for (const m of text.matchAll(APIKEY)) {
    const start = doc.positionAt(m.index ?? 0);
    const d = new vscode.Diagnostic(new vscode.Range(start, start.translate(0, m[1].length + 2)),
      `PROFILE_CONTAINS_SECRET: a key in settings is synced and shared. Run "LLM Profiles: Migrate Legacy Settings" to move it into SecretStorage, then rotate it.`,
      vscode.DiagnosticSeverity.Error);
    d.source = 'LLM Profiles';
    d.code = 'PROFILE_CONTAINS_SECRET';
    out.push(d);
  }
  if (isWorkspaceSettings(doc)) {
    for (const m of text.matchAll(OUR_KEY)) {
      const start = doc.positionAt(m.index ?? 0);
      const d = new vscode.Diagnostic(new vscode.Range(start, start.translate(0, m[0].length - 1)),
        'Ignored: LLM Profiles reads its settings from your user settings only; a workspace cannot add a profile, change a baseUrl or bind an origin.',
        vscode.DiagnosticSeverity.Warning);
      d.source = 'LLM Profiles';
      d.code = 'WORKSPACE_SETTING_IGNORED';
      out.push(d);
    }
  }
  return out;
}

/** Keeps diagnostics of open settings files current. */
export function registerSettingsDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection('llmProfiles');
  const update = (doc: vscode.TextDocument): void => {
    if (!isSettingsFile(doc)) return;
    collection.set(doc.uri, settingsDiagnostics(doc.getText(), doc));
  };
  vscode.workspace.textDocuments.forEach(update);
  context.subscriptions.push(collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeTextDocument((e) => update(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)));
  return collection;
}
