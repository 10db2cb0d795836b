/* The service worker: precached app shell (Workbox), offline pages, background sync, push. */
/* global workbox */
importScripts('/static/vendor/workbox-sw/workbox-sw.js', '/pwa/js/report_request.js');
workbox.setConfig({ modulePathPrefix: '/static/vendor/workbox/', debug: false });

// Replaced by the server with a hash of the shell's files, so a change re-precaches them.
const REVISION = '__SHELL_REVISION__';
const LANGS = ['ko', 'en', 'zh', 'ja', 'mn', 'vi'];
const SHELL = [
  '/', '/info', '/field', '/dispatch', '/staff', '/status/_shell', '/manifest.webmanifest', '/pwa/config.json',
  '/pwa/css/app.css', '/pwa/js/common.js', '/pwa/js/store.js', '/pwa/js/citizen.js',
  '/pwa/js/status.js', '/pwa/js/field.js', '/pwa/js/dispatch.js', '/pwa/js/session.js',
  '/pwa/js/workflow.js', '/pwa/js/chart.js', '/pwa/js/push.js',
  '/pwa/js/traffic.js', '/pwa/js/info.js', '/pwa/js/caller.js', '/pwa/js/photos.js', '/pwa/js/report_request.js',
  '/pwa/js/staff.js', '/pwa/js/password.js', '/pwa/js/attributes.js', '/pwa/js/retry.js', '/pwa/icons/icon-192.png', '/pwa/icons/icon-512.png',
  '/static/vendor/leaflet/leaflet.js', '/static/vendor/leaflet/leaflet.css',
  '/static/vendor/leaflet/images/marker-icon.png', '/static/vendor/leaflet/images/marker-icon-2x.png',
  '/static/vendor/leaflet/images/marker-shadow.png',
  '/static/vendor/markercluster/leaflet.markercluster.js',
  '/static/vendor/markercluster/MarkerCluster.css', '/static/vendor/markercluster/MarkerCluster.Default.css',
  '/static/vendor/idb/index.js',
  ...LANGS.map((l) => `/pwa/i18n/${l}.json`),
  ...['lamp', 'car', 'trash', 'road', 'walk', 'dump', 'signal', 'sign', 'other']
    .map((i) => `/pwa/icons/categories/${i}.svg`),
];

const { precache, matchPrecache, addRoute } = workbox.precaching;
const { registerRoute } = workbox.routing;
const { CacheFirst, NetworkFirst, StaleWhileRevalidate } = workbox.strategies;

precache(SHELL.map((url) => ({ url, revision: REVISION })));

// Pages: the network first (fresh data), else the precached shell of that page.
registerRoute(({ request }) => request.mode === 'navigate', async ({ request }) => {
  try {
    return await fetch(request);
  } catch (err) {
    const path = new URL(request.url).pathname;
    let shell = path;
    if (path.startsWith('/status/')) shell = '/status/_shell';
    if (path.startsWith('/staff/complaints/')) shell = '/field';
    return (await matchPrecache(shell)) || (await matchPrecache('/')) || Response.error();
  }
});

addRoute({ ignoreURLParametersMatching: [/.*/] });

// Reference data for the forms and maps: served from cache, refreshed in the background.
// Cached per language (?lang=): offline in a language not cached yet, the categories of another
// language are better than none (the report form cannot be sent without one).
const REFERENCE_CACHE = 'dasan-reference';
const anyLanguage = {
  handlerDidError: async ({ request }) => {
    const path = new URL(request.url).pathname;
    const cache = await caches.open(REFERENCE_CACHE);
    const same = (await cache.keys()).find((key) => new URL(key.url).pathname === path);
    return same ? cache.match(same) : undefined;
  },
};
registerRoute(({ url, request }) => request.method === 'GET'
  && ['/api/v1/categories', '/api/v1/districts'].includes(url.pathname),
new StaleWhileRevalidate({ cacheName: REFERENCE_CACHE, plugins: [anyLanguage] }));

// Location info: fresh when online; offline, the last answer for that place is better than none,
// but not an old one: traffic from an hour ago is not current. At most 50 answers are kept and
// none older than 10 minutes is served (by the response's Date header). This is what Workbox's
// ExpirationPlugin does; a plugin of our own avoids vendoring another module for a few lines.
const INFO_CACHE = 'dasan-info';
const INFO_MAX_ENTRIES = 50;
const INFO_MAX_AGE_MS = 10 * 60 * 1000;
const infoExpiry = {
  cachedResponseWillBeUsed: async ({ cachedResponse }) => {
    if (!cachedResponse) return null;
    const date = Date.parse(cachedResponse.headers.get('Date') || '');
    return Number.isNaN(date) || Date.now() - date > INFO_MAX_AGE_MS ? null : cachedResponse;
  },
  cacheDidUpdate: async () => {
    const cache = await caches.open(INFO_CACHE);
    const keys = await cache.keys();
    await Promise.all(keys.slice(0, Math.max(0, keys.length - INFO_MAX_ENTRIES)).map((key) => cache.delete(key)));
  },
};
registerRoute(({ url, request }) => request.method === 'GET'
  && ['/api/v1/facilities/nearest', '/api/v1/traffic/summary', '/api/v1/locate'].includes(url.pathname),
new NetworkFirst({ cacheName: INFO_CACHE, networkTimeoutSeconds: 4, plugins: [infoExpiry] }));

// Photo thumbnails, so an inspector offline still sees the reporter's photo: a signed URL
// changes with each listing, the picture does not, so the cache key is the path and size only.
// The newest 300 are kept.
const PHOTO_CACHE = 'dasan-photos';
const byPathAndSize = {
  cacheKeyWillBeUsed: async ({ request }) => {
    const url = new URL(request.url);
    return `${url.origin}${url.pathname}?size=thumb`;
  },
};
const keepNewest = {
  cacheDidUpdate: async () => {
    const cache = await caches.open(PHOTO_CACHE);
    const keys = await cache.keys();
    await Promise.all(keys.slice(0, Math.max(0, keys.length - 300)).map((key) => cache.delete(key)));
  },
};
registerRoute(({ url, request }) => request.method === 'GET' && url.searchParams.get('size') === 'thumb'
  && /^\/api\/v1\/complaints\/[^/]+\/photos\/\d+$/.test(url.pathname),
new CacheFirst({ cacheName: PHOTO_CACHE, plugins: [byPathAndSize, keepNewest] }));

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Background Sync. Open pages send their own outbox (they show the answer); when no report page
// is open, the service worker sends the queued citizen reports itself. Staff actions need the
// session kept by the inspector app, so those wait for the app to open.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    clients.forEach((client) => client.postMessage('flush-outbox'));
    if (!clients.some((client) => new URL(client.url).pathname === '/')) await sendQueuedReports();
  })());
});

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openStore() {
  const request = indexedDB.open('dasan', 1);
  // The same stores as pwa/js/store.js, for a browser where no page has opened the database.
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    db.createObjectStore('cache');
    db.createObjectStore('tickets', { keyPath: 'public_id' });
  };
  return done(request);
}

function reportRequest(entry) {
  const { path, headers, form, body } = self.dasanReportRequest(entry);
  const lang = encodeURIComponent(entry.report.language || 'ko');
  const init = { method: 'POST', headers: { Accept: 'application/json', ...headers } };
  if (form) init.body = form;
  else {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(`${path}?lang=${lang}`, init);
}

// In order, once: the Idempotency-Key makes a report sent twice (here and by a page) one
// complaint. A refused report keeps its error for the page to show; it is never dropped.
async function sendQueuedReports() {
  const work = async () => {
    const db = await openStore();
    const entries = (await done(db.transaction('outbox').objectStore('outbox').getAll()))
      .filter((entry) => entry.kind === 'report' && !entry.error);
    for (const entry of entries) {
      const response = await reportRequest(entry); // a network error rejects: sync retries later
      if (response.status >= 500 || response.status === 429) throw new Error(`retry later: ${response.status}`);
      const body = await response.json().catch(() => null);
      const tx = db.transaction(['outbox', 'tickets'], 'readwrite');
      if (response.ok) {
        tx.objectStore('outbox').delete(entry.seq);
        tx.objectStore('tickets').put({ public_id: body.public_id, token: body.citizen_token });
      } else {
        tx.objectStore('outbox').put({ ...entry, error: { code: body && body.error, status: response.status, message: body && body.message } });
      }
      await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
    }
  };
  // The same lock as the pages' flush: one sender at a time per browser.
  return self.navigator.locks ? self.navigator.locks.request('dasan-outbox-report', work) : work();
}

// Web push (subscription and sending belong to the notification service).
self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = { body: event.data && event.data.text() }; }
  // The notification service sends {title, body, url, tag}; url is /staff/complaints/<id>,
  // which the server redirects to the inspector app opened on that complaint.
  const url = data.url || '/field';
  event.waitUntil(self.registration.showNotification(data.title || 'Dasan', {
    body: data.body || '', icon: '/pwa/icons/icon-192.png', badge: '/pwa/icons/icon-192.png',
    tag: data.tag || undefined, data: { url },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/field';
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((clients) => {
    const open = clients.find((c) => new URL(c.url).pathname === new URL(url, self.location.origin).pathname);
    if (open) { open.navigate(url); return open.focus(); }
    return self.clients.openWindow(url);
  }));
});
