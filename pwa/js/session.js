// Staff login kept in localStorage; a lost session (401) brings the login form back.
import { api, explain, show, t } from './common.js';
import { forgetStaffData } from './store.js';

const KEY = 'dasan.staff';

export function current() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || 'null');
    return saved && saved.token ? saved : null;
  } catch (err) { return null; }
}

export function forget() { localStorage.removeItem(KEY); }

export function loginForm(formEl, messageEl, onLoggedIn) {
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(formEl);
    try {
      const answer = await api('/api/v1/auth/login', {
        method: 'POST', body: { username: data.get('username'), password: data.get('password') },
      });
      localStorage.setItem(KEY, JSON.stringify(answer));
      show(messageEl, '');
      formEl.reset();
      onLoggedIn(answer);
    } catch (err) {
      show(messageEl, err.status === 401 ? t('bad_login') : explain(err), 'error');
    }
  });
}

export async function logout() {
  const saved = current();
  forget();
  // The reporters' photos and the queue kept for offline work are not for the next person on
  // this phone. Moves not sent yet stay: they carry their author and wait for them.
  if (window.caches) caches.delete('dasan-photos').catch(() => {});
  await forgetStaffData().catch(() => {});
  if (saved) api('/api/v1/auth/logout', { method: 'POST', token: saved.token }).catch(() => {});
}

// Swap the login form for the signed-in app. The page says ready again only once the app
// has loaded (the login page had said ready before, and a click then would miss handlers).
export function enterApp() {
  document.body.dataset.ready = 'false';
  document.getElementById('login').hidden = true;
  for (const id of ['app', 'logout', 'change-password']) document.getElementById(id).hidden = false;
}
