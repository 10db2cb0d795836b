// "Change my password" for every member of staff: one small dialog shared by the staff pages.
import { api, explain, show, t } from './common.js';

// The server's rules (dispatch/staff.py MIN/MAX_PASSWORD_CHARS), checked before sending:
// attempts are rate-limited like logins, so a typo should not cost one.
export const MIN_PASSWORD_CHARS = 10;
export const MAX_PASSWORD_CHARS = 200;

/** The message key of what is wrong with a new password typed twice, or null. */
export function passwordProblem(password, again) {
  if (password.length < MIN_PASSWORD_CHARS || password.length > MAX_PASSWORD_CHARS) return 'password_length';
  if (password !== again) return 'password_mismatch';
  return null;
}

// Static markup only (no values from anywhere), so innerHTML is safe here.
const FORM = `
  <form method="dialog" novalidate>
    <h2 id="password-title" data-i18n="change_password"></h2>
    <label for="pw-current" data-i18n="current_password"></label>
    <input id="pw-current" name="current_password" type="password" autocomplete="current-password" required>
    <label for="pw-new" data-i18n="new_password"></label>
    <input id="pw-new" name="new_password" type="password" autocomplete="new-password" required>
    <label for="pw-again" data-i18n="new_password_again"></label>
    <input id="pw-again" name="new_password_again" type="password" autocomplete="new-password" required>
    <p id="pw-message" class="message" role="alert" hidden></p>
    <button type="submit" class="primary" data-i18n="change_password"></button>
    <button type="button" class="secondary" data-close data-i18n="close"></button>
  </form>`;

function buildDialog() {
  const dialog = document.createElement('dialog');
  dialog.id = 'password-dialog';
  dialog.className = 'panel';
  dialog.setAttribute('aria-labelledby', 'password-title');
  dialog.innerHTML = FORM;
  // Filled now and again by common.js's translatePage on a language change (it is in the page).
  dialog.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.body.append(dialog);
  return dialog;
}

async function send(dialog, { token, onLostSession }) {
  const form = dialog.querySelector('form');
  const message = dialog.querySelector('#pw-message');
  const data = new FormData(form);
  const problem = passwordProblem(data.get('new_password'), data.get('new_password_again'));
  if (problem) { show(message, t(problem), 'error'); return; }
  try {
    await api('/api/v1/auth/password', {
      method: 'POST', token: token(),
      body: { current_password: data.get('current_password'), new_password: data.get('new_password') },
    });
    form.reset();
    show(message, t('password_changed'), 'success');
  } catch (err) {
    if (err.status === 401) { dialog.close(); onLostSession(err); return; }
    show(message, explain(err), 'error');
  }
}

/** Make `button` open the change-password dialog; `token()` gives the session's token. */
export function passwordChange(button, { token, onLostSession }) {
  let dialog = null;
  button.addEventListener('click', () => {
    if (!dialog) {
      dialog = buildDialog();
      dialog.querySelector('form').addEventListener('submit', (event) => {
        event.preventDefault();
        send(dialog, { token, onLostSession });
      });
      dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
    }
    dialog.querySelector('form').reset();
    show(dialog.querySelector('#pw-message'), '');
    dialog.showModal();
  });
}
