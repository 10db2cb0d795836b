// The staff list: supervisors (their district), dispatchers and admins read it; admins add
// accounts, change them, disable or enable them and reset passwords (api/staff_accounts.py).
import {
  api, explain, LANG_NAMES, LANGS, languageSwitcher, loadLanguage, registerServiceWorker, seoulTime,
  show, t,
} from './common.js';
import { current, enterApp, forget, loginForm, logout } from './session.js';
import { MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, passwordChange } from './password.js';

const $ = (id) => document.getElementById(id);
const ROLES = ['inspector', 'supervisor', 'dispatcher', 'admin'];
const DISTRICT_ROLES = ['inspector', 'supervisor'];
// Where an invalid_staff or validation_error points (errors.json.<field>), as the form calls it.
const FIELD_LABELS = {
  username: 'username', display_name: 'staff_name', role: 'staff_role', district_code: 'district',
  language: 'language', password: 'password',
};
let accounts = [];
let districtNames = new Map();
let editing = null;

function token() { return current()?.token; }
function isAdmin() { return current()?.staff?.role === 'admin'; }

function lostSession(err) {
  if (err.status !== 401) return false;
  forget();
  $('app').hidden = true;
  $('login').hidden = false;
  $('change-password').hidden = true;
  $('logout').hidden = true;
  show($('notice'), t('unauthorized'), 'error');
  return true;
}

/** The error in the user's language, naming the field at fault when the server says which. */
function describe(err) {
  const field = Object.keys(err.body?.errors?.json || {})[0];
  const label = FIELD_LABELS[field];
  return label ? `${explain(err)} ${t('staff_field_error').replace('{field}', t(label))}` : explain(err);
}

function failed(err) {
  if (!lostSession(err)) show($('result'), describe(err), 'error');
}

function option(value, text) { return new Option(text, value); }

// The choices of every role, district and language select, in the current language; the
// chosen values survive a language change.
function fillChoices() {
  const districts = [...districtNames].map(([code, name]) => option(code, name));
  const filter = $('f-district');
  const chosen = filter.value;
  filter.replaceChildren(filter.options[0], ...districts.map((o) => o.cloneNode(true)));
  filter.value = chosen;
  document.querySelectorAll('select[data-districts]').forEach((select) => {
    const value = select.value;
    select.replaceChildren(option('', '—'), ...districts.map((o) => o.cloneNode(true)));
    select.value = value;
  });
  document.querySelectorAll('select[data-roles]').forEach((select) => {
    const value = select.value || 'inspector';
    select.replaceChildren(...ROLES.map((role) => option(role, t(`role_${role}`))));
    select.value = value;
  });
  document.querySelectorAll('select[data-languages]').forEach((select) => {
    const value = select.value || 'ko';
    select.replaceChildren(...LANGS.map((code) => option(code, LANG_NAMES[code])));
    select.value = value;
  });
}

// A city-wide role has no district: its select is off (and left out of the form's data).
function syncDistrict(roleSelect, districtSelect) {
  districtSelect.disabled = !DISTRICT_ROLES.includes(roleSelect.value);
}

async function loadDistricts() {
  try {
    const data = await api('/api/v1/districts');
    districtNames = new Map(data.features.map((f) => [f.id, f.properties.name]));
  } catch (err) { /* codes stand in for names */ }
  fillChoices();
}

function filters() {
  const params = new URLSearchParams();
  const f = new FormData($('filters'));
  for (const name of ['role', 'district', 'active']) if (f.get(name)) params.set(name, f.get(name));
  return params;
}

async function loadAccounts() {
  try {
    accounts = await api(`/api/v1/staff/accounts?${filters()}`, { token: token() });
  } catch (err) {
    if (lostSession(err)) return;
    accounts = [];
    show($('notice'), err.status === 403 ? t('staff_forbidden') : explain(err), 'error');
  }
  render();
}

function yesNo(value) { return t(value ? 'staff_yes' : 'staff_no'); }

function when(iso) { return seoulTime(iso, { short: true }); }

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function row(account) {
  const tr = document.createElement('tr');
  tr.dataset.id = String(account.id);
  tr.dataset.username = account.username;
  if (!account.active) tr.classList.add('inactive');
  tr.append(cell(account.display_name), cell(account.username), cell(t(`role_${account.role}`)),
    cell(account.district_code ? districtNames.get(account.district_code) || account.district_code : '—'),
    cell(LANG_NAMES[account.language] || account.language), cell(yesNo(account.active)),
    cell(yesNo(account.on_duty)), cell(when(account.last_seen_at)));
  if (isAdmin()) {
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = t('staff_edit');
    button.setAttribute('aria-label', `${t('staff_edit')}: ${account.display_name} (${account.username})`);
    button.addEventListener('click', () => openEdit(account));
    td.append(button);
    tr.append(td);
  }
  return tr;
}

function render() {
  $('list-count').textContent = String(accounts.length);
  $('list-body').replaceChildren(...accounts.map(row));
  if (editing) {
    const fresh = accounts.find((a) => a.id === editing.id);
    if (fresh) fillEdit(fresh);
  }
}

function fillEdit(account) {
  editing = account;
  $('edit-title').textContent = `${t('staff_edit')}: ${account.display_name} (${account.username})`;
  $('e-name').value = account.display_name;
  $('e-role').value = account.role;
  $('e-district').value = account.district_code || '';
  $('e-language').value = account.language;
  syncDistrict($('e-role'), $('e-district'));
  $('toggle-active').textContent = t(account.active ? 'staff_disable' : 'staff_enable');
  $('toggle-active').className = account.active ? 'danger' : 'secondary';
}

// Closing the panel puts the focus back on the Edit button of its row (the row is drawn anew
// after every save, so the button is found by the account, not kept).
function closeEdit() {
  const id = editing?.id;
  $('edit').hidden = true;
  editing = null;
  $('list-body').querySelector(`tr[data-id="${id}"] button`)?.focus();
}

function openEdit(account) {
  fillEdit(account);
  $('reset-form').reset();
  $('edit').hidden = false;
  $('edit-title').focus();
}

// Only what the admin changed is sent: the server leaves the rest as it is (and a city-wide
// role sent without a district drops the old one).
function changesOf(form, account) {
  const f = new FormData(form);
  const changes = {};
  const name = f.get('display_name').trim();
  if (name && name !== account.display_name) changes.display_name = name;
  if (f.get('role') !== account.role) changes.role = f.get('role');
  const district = f.get('district_code');
  if (DISTRICT_ROLES.includes(f.get('role')) && district !== (account.district_code || '')) {
    changes.district_code = district;
  }
  if (f.get('language') !== account.language) changes.language = f.get('language');
  return changes;
}

function handedBackText(answer) {
  const ids = answer.handed_back || [];
  return ids.length ? ` ${t('staff_handed_back')} ${ids.join(', ')}` : '';
}

async function patch(account, changes) {
  try {
    const answer = await api(`/api/v1/staff/accounts/${account.id}`, {
      method: 'PATCH', token: token(), body: changes,
    });
    show($('result'), `${t('staff_saved')}${handedBackText(answer)}`, 'success');
    await loadAccounts();
  } catch (err) { failed(err); }
}

function saveEdit(event) {
  event.preventDefault();
  if (!editing) return;
  const changes = changesOf($('edit-form'), editing);
  if (DISTRICT_ROLES.includes(changes.role || editing.role) && changes.district_code === '') {
    show($('result'), t('staff_field_error').replace('{field}', t('district')), 'error');
    return;
  }
  if (Object.keys(changes).length) patch(editing, changes);
}

function toggleActive() {
  if (!editing) return;
  const question = t(editing.active ? 'staff_disable_confirm' : 'staff_enable_confirm')
    .replace('{name}', `${editing.display_name} (${editing.username})`);
  if (window.confirm(question)) patch(editing, { active: !editing.active });
}

async function resetPassword(event) {
  event.preventDefault();
  if (!editing) return;
  const password = $('r-password').value;
  if (password.length < MIN_PASSWORD_CHARS || password.length > MAX_PASSWORD_CHARS) {
    show($('result'), t('password_length'), 'error');
    return;
  }
  const question = t('staff_reset_confirm').replace('{name}', `${editing.display_name} (${editing.username})`);
  if (!window.confirm(question)) return;
  try {
    await api(`/api/v1/staff/accounts/${editing.id}/password`, {
      method: 'POST', token: token(), body: { password },
    });
    $('reset-form').reset();
    show($('result'), t('staff_reset_done'), 'success');
  } catch (err) { failed(err); }
}

// The checks the server makes too, so a missing field is named before a round trip.
function addProblem(f) {
  if (!f.get('username').trim()) return t('staff_field_error').replace('{field}', t('username'));
  if (DISTRICT_ROLES.includes(f.get('role')) && !f.get('district_code')) {
    return t('staff_field_error').replace('{field}', t('district'));
  }
  const length = f.get('password').length;
  if (length < MIN_PASSWORD_CHARS || length > MAX_PASSWORD_CHARS) return t('password_length');
  return null;
}

async function addAccount(event) {
  event.preventDefault();
  const f = new FormData($('add-form'));
  const problem = addProblem(f);
  if (problem) { show($('result'), problem, 'error'); return; }
  const body = {
    username: f.get('username').trim(), role: f.get('role'), language: f.get('language'),
    password: f.get('password'),
    district_code: DISTRICT_ROLES.includes(f.get('role')) ? f.get('district_code') : null,
  };
  if (f.get('display_name').trim()) body.display_name = f.get('display_name').trim();
  try {
    const account = await api('/api/v1/staff/accounts', { method: 'POST', token: token(), body });
    $('add-form').reset();
    fillChoices();
    syncDistrict($('a-role'), $('a-district'));
    show($('result'), `${t('staff_added')} ${account.username}`, 'success');
    await loadAccounts();
  } catch (err) { failed(err); }
}

async function start() {
  enterApp();
  const admin = isAdmin();
  $('add').hidden = !admin;
  $('actions-col').hidden = !admin;
  if (!admin) $('edit').hidden = true;
  await loadDistricts();
  await loadAccounts();
  document.body.dataset.ready = 'true';
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  document.addEventListener('dasan:language', async () => {
    if (!token()) return;
    await loadDistricts(); // names in the new language
    render();
    if (editing) fillEdit(editing);
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); loadAccounts(); });
  $('add-form').addEventListener('submit', addAccount);
  $('a-role').addEventListener('change', () => syncDistrict($('a-role'), $('a-district')));
  $('e-role').addEventListener('change', () => syncDistrict($('e-role'), $('e-district')));
  $('edit-form').addEventListener('submit', saveEdit);
  $('toggle-active').addEventListener('click', toggleActive);
  $('reset-form').addEventListener('submit', resetPassword);
  $('edit-close').addEventListener('click', closeEdit);
  $('logout').addEventListener('click', async () => { await logout(); location.reload(); });
  passwordChange($('change-password'), { token, onLostSession: lostSession });
  loginForm($('login'), $('notice'), start);
  if (token()) start(); else { $('login').hidden = false; document.body.dataset.ready = 'true'; }
}

main();
