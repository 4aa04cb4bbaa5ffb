// The "LLM Profiles" webview script.
//
// THE WEBVIEW BOUNDARY (webview side). This page is untrusted by design
// (src/panel.ts explains why): it is shown profiles, refs and key states and
// never a key. Two fields here touch that boundary:
// - apiKeyRef: a REFERENCE (secret:NAME, env:NAME, keyring:…), never a key.
//   It is sent to the host to be checked live (llmProfiles.checkRef) and
//   saved with the profile; the host answers with keyref's code and hint and
//   never quotes what was typed. When it is empty and a key is typed, the
//   page proposes secret:llm-profiles/<id> (a name in VS Code's
//   SecretStorage), so a key never lands in this field.
// - The API key field is write-only: on Save its value is read once, the
//   field is cleared at once, and the value is posted once in the one
//   message that carries a key (llmProfiles.storeSecret). It is never put
//   in vscode.setState, the DOM (no value attribute, no text), a log or any
//   other message, and nothing sent back can reveal it: the host answers
//   with the key's state only (stored / missing / locked / unavailable /
//   invalid-ref).
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const boot = JSON.parse(document.getElementById('boot').textContent);
  const app = document.getElementById('app');

  // Persisted view state: the selected profile and the form's draft,
  // without the key (there is no key field in it, by construction).
  const saved = vscode.getState() || {};
  const state = {
    profiles: [],
    selectedId: saved.selectedId,
    draft: saved.draft || null,
    chatProfileId: undefined,
  };
  let seq = 0;
  const nextId = () => `r${++seq}`;

  function persist() {
    const s = { selectedId: state.selectedId, draft: readForm() };
    vscode.setState(s);
    // Test-only switch (scripts/e2e.sh): the persisted state is posted so
    // the end-to-end test can scan it for the canary key.
    if (boot.record) vscode.postMessage({ type: 'llmProfiles.e2eState', state: s });
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  // --- layout -------------------------------------------------------------
  const errorBox = el('div', { 'data-testid': 'error', class: 'error', role: 'alert', hidden: true });
  const notice = el('div', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const list = el('ul', { 'data-testid': 'profile-list', class: 'profile-list', 'aria-label': 'Profiles' });
  const newButton = el('button', { 'data-testid': 'new-profile', class: 'secondary', text: 'New profile',
    onclick: () => { fillForm(null); fields.id.focus(); } });

  const field = (name, label, input, help) => el('div', { class: 'field' },
    el('label', { for: `f-${name}`, text: label }), input, help || null);
  const fields = {
    id: el('input', { id: 'f-id', 'data-testid': 'field-id', required: true, pattern: '[A-Za-z0-9._-]{1,64}',
      placeholder: 'work', autocomplete: 'off', spellcheck: 'false' }),
    label: el('input', { id: 'f-label', 'data-testid': 'field-label', required: true, placeholder: 'Work (OpenAI)', autocomplete: 'off' }),
    provider: el('select', { id: 'f-provider', 'data-testid': 'field-provider' },
      ...boot.providers.map((p) => el('option', { value: p, text: p }))),
    model: el('input', { id: 'f-model', 'data-testid': 'field-model', required: true, placeholder: 'gpt-4o-mini', autocomplete: 'off', spellcheck: 'false' }),
    baseUrl: el('input', { id: 'f-baseUrl', 'data-testid': 'field-baseUrl', type: 'url', placeholder: 'https://api.openai.com/v1', autocomplete: 'off', spellcheck: 'false' }),
    apiKeyRef: el('input', { id: 'f-apiKeyRef', 'data-testid': 'field-apiKeyRef', placeholder: 'secret:llm-profiles/<id>', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': 'ref-check' }),
    // Write-only: see the boundary comment at the top.
    key: el('input', { id: 'f-key', 'data-testid': 'field-key', type: 'password', autocomplete: 'new-password', spellcheck: 'false',
      placeholder: 'Type a new key to store it; it is never shown again', 'aria-describedby': 'key-help' }),
  };
  const refCheck = el('div', { id: 'ref-check', 'data-testid': 'ref-check', class: 'help', 'aria-live': 'polite' });
  const keyHelp = el('div', { id: 'key-help', class: 'help',
    text: 'Stored write-only under the apiKeyRef (VS Code SecretStorage for secret: refs). Leave empty to keep the stored key.' });
  const keyState = el('div', { 'data-testid': 'key-state', class: 'help' });

  const buttons = {
    save: el('button', { 'data-testid': 'save-profile', type: 'submit', text: 'Save' }),
    del: el('button', { 'data-testid': 'delete-profile', type: 'button', class: 'secondary', text: 'Delete', onclick: () => send('llmProfiles.delete') }),
    removeKey: el('button', { 'data-testid': 'remove-key', type: 'button', class: 'secondary', text: 'Remove key', onclick: () => send('llmProfiles.deleteSecret') }),
    test: el('button', { 'data-testid': 'test-connection', type: 'button', class: 'secondary', text: 'Test connection', onclick: () => send('llmProfiles.test') }),
  };
  const connection = el('div', { 'data-testid': 'connection-result', class: 'result', 'aria-live': 'polite' });

  const form = el('form', { class: 'form', 'aria-label': 'Profile', novalidate: true, onsubmit: (e) => { e.preventDefault(); save(); } },
    field('id', 'Id', fields.id),
    field('label', 'Label', fields.label),
    field('provider', 'Provider', fields.provider),
    field('model', 'Model', fields.model),
    field('baseUrl', 'Base URL', fields.baseUrl),
    field('apiKeyRef', 'apiKeyRef (where the key lives)', fields.apiKeyRef, refCheck),
    field('key', 'API key', fields.key, keyHelp),
    keyState,
    el('div', { class: 'buttons' }, buttons.save, buttons.test, buttons.removeKey, buttons.del),
    connection);

  const chatInput = el('textarea', { 'data-testid': 'chat-input', id: 'chat-input', rows: 3, placeholder: 'Ask the selected profile…',
    onkeydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendChat(); } } });
  const chatSend = el('button', { 'data-testid': 'chat-send', type: 'button', text: 'Send', onclick: () => sendChat() });
  const chatOutput = el('div', { 'data-testid': 'chat-output', class: 'chat-output', 'aria-live': 'polite' });
  const chat = el('section', { class: 'chat', 'aria-label': 'Chat' },
    el('h2', { text: 'Chat' }), el('label', { for: 'chat-input', class: 'visually-hidden', text: 'Prompt' }),
    chatInput, el('div', { class: 'buttons' }, chatSend, el('span', { class: 'help', text: 'Ctrl+Enter sends' })), chatOutput);

  app.replaceChildren(
    el('header', {}, el('h1', { text: 'LLM Profiles' }), newButton),
    errorBox, notice,
    el('div', { class: 'columns' },
      el('section', { class: 'profiles', 'aria-label': 'Profiles' }, el('h2', { text: 'Profiles' }), list),
      el('section', { class: 'editor', 'aria-label': 'Edit profile' }, el('h2', { text: 'Profile' }), form, chat)));
  app.removeAttribute('aria-busy');

  // --- rendering ----------------------------------------------------------
  const STATE_TEXT = { stored: 'key stored', missing: 'no key', locked: 'store locked', unavailable: 'unavailable', 'invalid-ref': 'invalid apiKeyRef' };

  function renderList() {
    if (state.profiles.length === 0) {
      list.replaceChildren(el('li', { class: 'empty', text: 'No profiles yet. Fill in the form and Save to add one.' }));
      return;
    }
    list.replaceChildren(...state.profiles.map((p) => {
      const origins = Array.isArray(p.origins) ? p.origins : [];
      const row = el('li', {
        'data-testid': `profile-row-${p.id}`, 'data-state': p.secretState, class: 'row',
        tabindex: 0, role: 'button', 'aria-pressed': p.id === state.selectedId ? 'true' : 'false',
        onclick: () => pick(p.id),
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(p.id); } },
      },
      el('div', { class: 'row-head' },
        el('span', { class: 'row-label', text: p.label }),
        el('span', { class: `badge state-${p.secretState}`, 'data-testid': `state-${p.id}`, text: STATE_TEXT[p.secretState] || p.secretState })),
      el('div', { class: 'row-meta', text: `${p.id} · ${p.provider} · ${p.model}` }),
      el('div', { class: 'row-meta mono', text: p.apiKeyRef || 'no apiKeyRef' }),
      p.fingerprint ? el('div', { class: 'row-meta mono', 'data-testid': `fingerprint-${p.id}`, text: `fingerprint ${p.fingerprint}` }) : null,
      el('div', { class: 'row-meta', 'data-testid': `origins-${p.id}`,
        text: origins.length ? `bound to ${origins.join(', ')}` : 'bound to no origin yet' }),
      p.secretState !== 'stored' && (p.secretHint || p.secretCode)
        ? el('div', { class: 'row-hint', text: `${p.secretCode || ''} ${p.secretHint || ''}`.trim() }) : null);
      return row;
    }));
  }

  function readForm() {
    const d = {};
    for (const k of ['id', 'label', 'provider', 'model', 'baseUrl', 'apiKeyRef']) d[k] = fields[k].value;
    return d;
  }

  function fillForm(p) {
    for (const k of ['id', 'label', 'model', 'baseUrl', 'apiKeyRef']) fields[k].value = (p && p[k]) || '';
    fields.provider.value = (p && p.provider) || boot.providers[0];
    fields.key.value = '';
    fields.id.readOnly = !!(p && state.profiles.some((x) => x.id === p.id));
    state.selectedId = p && p.id;
    keyState.textContent = p && p.secretState ? `Key: ${STATE_TEXT[p.secretState] || p.secretState}` : '';
    connection.textContent = '';
    checkRef();
    persist();
  }

  function pick(id) {
    const p = state.profiles.find((x) => x.id === id);
    if (!p) return;
    fillForm(p);
    vscode.postMessage({ type: 'llmProfiles.select', requestId: nextId(), profileId: id });
    renderList();
  }

  function showError(m) {
    errorBox.hidden = false;
    errorBox.replaceChildren(el('strong', { text: m.code }), document.createTextNode(` ${m.message}`),
      m.hint ? el('div', { class: 'hint', text: m.hint }) : null,
      el('button', { class: 'link', type: 'button', text: 'Dismiss', onclick: () => { errorBox.hidden = true; } }));
  }
  function clearError() { errorBox.hidden = true; errorBox.replaceChildren(); }
  function say(text) { notice.textContent = text; }

  // --- actions ------------------------------------------------------------
  let refTimer;
  function checkRef() {
    clearTimeout(refTimer);
    refTimer = setTimeout(() => {
      const ref = fields.apiKeyRef.value;
      if (ref === '') {
        refCheck.textContent = fields.key.value ? `Will be stored under secret:llm-profiles/${fields.id.value || '<id>'}` : 'Empty: type a key below to store it under secret:llm-profiles/<id>.';
        refCheck.className = 'help';
        return;
      }
      refCheck.textContent = 'Checking…';
      vscode.postMessage({ type: 'llmProfiles.checkRef', requestId: nextId(), apiKeyRef: ref });
    }, 150);
  }
  fields.apiKeyRef.addEventListener('input', checkRef);
  fields.key.addEventListener('input', () => { if (fields.apiKeyRef.value === '') checkRef(); });
  for (const k of ['id', 'label', 'provider', 'model', 'baseUrl', 'apiKeyRef']) fields[k].addEventListener('change', persist);

  function send(type) {
    const id = fields.id.value;
    if (!id) { showError({ code: 'PROFILE_INVALID', message: 'Select or save a profile first.' }); return; }
    clearError();
    if (type === 'llmProfiles.test') {
      connection.textContent = 'Testing…';
      connection.className = 'result';
      connection.removeAttribute('data-ok');
    }
    vscode.postMessage({ type, requestId: nextId(), profileId: id });
  }

  function save() {
    clearError();
    const d = readForm();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(d.id)) { showError({ code: 'PROFILE_INVALID', message: 'Id: 1 to 64 letters, digits, dot, dash or underscore.' }); fields.id.focus(); return; }
    if (!d.label || !d.model) { showError({ code: 'PROFILE_INVALID', message: 'Label and model are required.' }); return; }
    // Read the key once and clear the field at once (boundary comment above).
    let key = fields.key.value;
    fields.key.value = '';
    if (key && d.apiKeyRef === '') {
      // A secret: ref is proposed: a NAME in VS Code's SecretStorage, never the key.
      d.apiKeyRef = `secret:llm-profiles/${d.id}`;
      fields.apiKeyRef.value = d.apiKeyRef;
    }
    const profile = { id: d.id, label: d.label, provider: d.provider, model: d.model };
    if (d.baseUrl) profile.baseUrl = d.baseUrl;
    // apiKeyRef: the ref typed or proposed above (where the key lives), never a key.
    if (d.apiKeyRef) profile.apiKeyRef = d.apiKeyRef;
    state.selectedId = d.id;
    vscode.postMessage({ type: 'llmProfiles.save', requestId: nextId(), profile });
    if (key) {
      vscode.postMessage({ type: 'llmProfiles.storeSecret', requestId: nextId(), profileId: d.id, value: key });
      key = '';
    }
    persist();
  }

  function sendChat() {
    const text = chatInput.value.trim();
    const id = fields.id.value;
    if (!text) return;
    if (!id) { showError({ code: 'PROFILE_INVALID', message: 'Select or save a profile to chat with.' }); return; }
    clearError();
    chatOutput.replaceChildren(el('div', { class: 'you', text }), el('div', { class: 'reply', 'data-testid': 'chat-reply' }));
    chatSend.disabled = true;
    state.chatProfileId = id;
    vscode.postMessage({ type: 'llmProfiles.chat', requestId: nextId(), profileId: id, text });
    chatInput.value = '';
  }

  // --- messages from the host ---------------------------------------------
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m.type !== 'string') return;
    switch (m.type) {
      case 'llmProfiles.state': {
        state.profiles = m.profiles;
        if (!state.selectedId && m.selectedId) state.selectedId = m.selectedId;
        renderList();
        const p = state.profiles.find((x) => x.id === state.selectedId);
        if (p && fields.id.value === p.id) keyState.textContent = `Key: ${STATE_TEXT[p.secretState] || p.secretState}`;
        else if (p && !fields.id.value) fillForm(p);
        else if (!p && state.draft && !fields.id.value) { fillForm(state.draft); state.draft = null; }
        break;
      }
      case 'llmProfiles.saved': say(`Saved ${m.profileId}.`); fields.id.readOnly = true; break;
      case 'llmProfiles.secretStored': say(`Key stored under ${m.apiKeyRef} (${STATE_TEXT[m.secretState] || m.secretState}).`); break;
      case 'llmProfiles.secretDeleted': say(`Key of ${m.profileId} removed.`); break;
      case 'llmProfiles.deleted': say(`Deleted ${m.profileId}.`); fillForm(null); break;
      case 'llmProfiles.selected': break;
      case 'llmProfiles.error':
        showError(m);
        if (m.profileId === state.chatProfileId) chatSend.disabled = false;
        if (connection.textContent === 'Testing…') connection.textContent = '';
        break;
      case 'llmProfiles.refCheck':
        refCheck.className = m.ok ? 'help ok' : 'help bad';
        refCheck.textContent = m.ok ? `Valid ${m.scheme}: reference.` : `${m.code}: ${m.message}${m.hint ? ` ${m.hint}` : ''}`;
        break;
      case 'llmProfiles.testResult':
        connection.className = m.ok ? 'result ok' : 'result bad';
        connection.setAttribute('data-ok', m.ok ? 'true' : 'false');
        connection.textContent = m.ok
          ? `Connected: HTTP ${m.status} in ${m.latencyMs} ms.`
          : `Failed${m.status ? `: HTTP ${m.status}` : ''} (${m.code}) ${m.message || ''} ${m.hint || ''}`.trim();
        break;
      case 'llmProfiles.chatDelta': {
        const reply = chatOutput.querySelector('.reply');
        if (reply) reply.append(document.createTextNode(m.text));
        break;
      }
      case 'llmProfiles.chatDone': {
        chatSend.disabled = false;
        const reply = chatOutput.querySelector('.reply');
        if (reply) reply.setAttribute('data-done', 'true');
        break;
      }
    }
  });

  fillForm(state.draft && !state.selectedId ? state.draft : null);
  vscode.postMessage({ type: 'llmProfiles.ready', requestId: nextId() });
}());
