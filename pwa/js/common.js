// Shared by every page: messages in six languages, API calls, errors in plain words, the SW.
export const LANGS = ['ko', 'en', 'zh', 'ja', 'mn', 'vi'];
export const LANG_NAMES = { ko: '한국어', en: 'English', zh: '中文', ja: '日本語', mn: 'Монгол', vi: 'Tiếng Việt' };
let messages = {};
export let lang = 'ko';

export function t(key) { return messages[key] || key; }

export async function loadLanguage(wanted) {
  const stored = localStorage.getItem('dasan.lang');
  const browser = (navigator.language || '').slice(0, 2);
  lang = [wanted, stored, browser].find((l) => LANGS.includes(l)) || 'ko';
  const response = await fetch(`/pwa/i18n/${lang}.json`);
  messages = await response.json();
  document.documentElement.lang = lang;
  localStorage.setItem('dasan.lang', lang);
  translatePage();
  document.dispatchEvent(new CustomEvent('dasan:language', { detail: lang }));
}

// Every time on screen is Seoul's, the service's own (as in its text messages): a phone still
// set to its home zone must not read a deadline hours (or a day) off. Such a phone is also
// told the zone ("GMT+9"), since its own clock says something else.
const SEOUL = 'Asia/Seoul';
const AWAY_FROM_SEOUL = (() => {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone !== SEOUL; } catch (err) { return false; }
})();

/** A date and time in Seoul, in the page's language; '—' for none. `short`: numeric date. */
export function seoulTime(value, { short = false } = {}) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return '—';
  const options = {
    year: 'numeric', month: short ? 'numeric' : 'short', day: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZone: SEOUL,
  };
  if (AWAY_FROM_SEOUL) options.timeZoneName = 'short';
  return new Intl.DateTimeFormat(lang, options).format(date);
}

export function translatePage(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  });
  const title = document.querySelector('[data-i18n-title]');
  if (title) document.title = t(title.dataset.i18nTitle);
}

export function languageSwitcher(select) {
  select.replaceChildren(...LANGS.map((code) => new Option(LANG_NAMES[code], code)));
  select.value = lang;
  select.addEventListener('change', () => loadLanguage(select.value));
}

// An API error as the user reads it: the stable `error` code picks the message.
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'network_error' : 'unknown_error');
    this.body = body || {};
  }
}

export function explain(error) {
  const code = error && error.code;
  // A refused category attribute (lamp-post number, plate) says which and why.
  const details = error && error.body && error.body.details;
  if (code === 'invalid_complaint' && details && messages[`attribute_${details.problem}`]) {
    return t(`attribute_${details.problem}`).replace('{name}', details.attribute || '');
  }
  if (code && messages[code]) return t(code);
  if (code === 'outside_service_area') return t('outside_city');
  if (code === 'invalid_location') return t('outside_city');
  if (code === 'version_mismatch' || code === 'precondition_failed' || code === 'conflict'
      || code === 'conflict_retry') return t('stale_version');
  if (error && error.status === 415) return t('unsupported_media_type');
  if (error && error.status === 401) return t('unauthorized');
  return t('unknown_error');
}

export async function api(path, { method = 'GET', body, headers = {}, token, form } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (form) init.body = form;
  else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const sep = path.includes('?') ? '&' : '?';
  let response;
  try {
    response = await fetch(`${path}${sep}lang=${lang}`, init);
  } catch (err) {
    throw new ApiError(0, null);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function show(el, text, kind = 'info') {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

export async function config() {
  const response = await fetch('/pwa/config.json');
  return response.json();
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => null);
}

// Shrink a photo on the device before it is sent: longest side 1600 px, JPEG.
export async function compressPhoto(file, maxSide = 1600, quality = 0.8) {
  if (!file.type.startsWith('image/')) throw new ApiError(415, { error: 'unsupported_media_type' });
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (err) {
    throw new ApiError(415, { error: 'unsupported_media_type' });
  }
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

export const STATUS_COLOURS = {
  received: '#1565c0', dispatched: '#6a1b9a', transferred: '#8e24aa', assigned: '#ef6c00',
  on_site: '#f9a825', resolved: '#2e7d32', unfounded: '#616161', referred: '#00838f',
  duplicate: '#9e9e9e', cancelled: '#9e9e9e',
};

export function baseMap(element, settings) {
  const map = L.map(element, { zoomControl: true, maxZoom: 19, minZoom: 9, attributionControl: Boolean(settings.tile_url) })
    .setView([37.5663, 126.9779], 11);
  if (settings.tile_url) L.tileLayer(settings.tile_url, { maxZoom: 19 }).addTo(map);
  return map;
}

// The map's layer switcher, its labels (i18n keys -> layers) redrawn in each new language:
// Leaflet cannot rename an entry, so the control is made again (the layers stay as they are).
export function layerSwitcher(map, labels) {
  let control = null;
  const draw = () => {
    control?.remove();
    const overlays = Object.fromEntries(Object.entries(labels).map(([key, layer]) => [t(key), layer]));
    control = L.control.layers(null, overlays).addTo(map);
  };
  draw();
  document.addEventListener('dasan:language', draw);
}

export async function districtLayer(map) {
  const data = await api('/api/v1/districts');
  const features = data.type === 'FeatureCollection' ? data : null;
  if (!features) return null;
  return L.geoJSON(features, {
    style: { color: '#37474f', weight: 1.5, fillColor: '#90a4ae', fillOpacity: 0.08 },
    interactive: false,
  }).addTo(map);
}
