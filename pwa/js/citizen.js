// The citizen's report: photos, GPS with a draggable pin, category, description; offline queue.
import {
  api, ApiError, baseMap, compressPhoto, config, districtLayer, explain, lang, languageSwitcher,
  loadLanguage, registerServiceWorker, show, t,
} from './common.js';
import {
  askForSync, enqueue, flush, pending, remove, saveTicket, tickets, update,
} from './store.js';
import { locate as locateArea, nearby } from './workflow.js';
import { retrier } from './retry.js';
import {
  attributeProblem, attributeSpecs, focusAttribute, missingRequired, readAttributes,
  renderAttributeInputs, requiredMessage, typedValues,
} from './attributes.js';

const $ = (id) => document.getElementById(id);
const form = $('report');
const notice = $('notice');
let clientRef = crypto.randomUUID(); // made when the form opens: the Idempotency-Key
let photos = [];
const MAX_PHOTOS = 5; // the server's photo_max_per_complaint: more is refused (422)
let point = null;
let map;
let pin;
let categories = []; // as /api/v1/categories gave them, with their attribute definitions

// Where the pin is, as the page knows it: 'none' (not picked), 'inside' (with the area's
// names), 'outside' (the server said so) or 'unknown' (offline: the server checks at intake).
let area = { state: 'none' };

function renderArea() {
  const el = $('area');
  el.dataset.state = area.state;
  if (area.state === 'inside') el.textContent = area.names;
  else if (area.state === 'unknown') {
    el.textContent = `${t('area_offline')} (${point[1].toFixed(5)}, ${point[0].toFixed(5)})`;
  } else el.textContent = t('area_unknown');
  show($('location-error'), area.error ? explain(area.error) : '', 'error');
}

async function locate(lonlat) {
  point = lonlat;
  $('area').textContent = '…';
  try {
    const where = await locateArea(lonlat);
    area = { state: 'inside', names: `${where.district.name} ${where.dong.name}` };
    loadNearby(lonlat);
  } catch (err) {
    // A network failure says nothing about the place: the report may still be queued.
    area = err.status === 0 ? { state: 'unknown' } : { state: 'outside', error: err };
  }
  renderArea();
}

// A new language: the area's names are asked for again; offline, the old names stay.
async function relocateInNewLanguage() {
  renderArea();
  if (area.state !== 'inside') return;
  const asked = point;
  try {
    const where = await locateArea(asked);
    if (asked !== point) return; // the pin moved meanwhile
    area = { ...area, names: `${where.district.name} ${where.dong.name}` };
    renderArea();
  } catch (err) { /* keep the names we have */ }
}

function placePin(lonlat) {
  const latlng = [lonlat[1], lonlat[0]];
  if (!pin) {
    pin = L.marker(latlng, { draggable: true, keyboard: true, title: t('location') }).addTo(map);
    pin.on('dragend', () => { const p = pin.getLatLng(); locate([p.lng, p.lat]); });
  } else pin.setLatLng(latlng);
  $('drag-hint').hidden = false; // there is a pin to drag now
  map.setView(latlng, 16);
  locate(lonlat);
}

function useGps() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (pos) => placePin([pos.coords.longitude, pos.coords.latitude]),
    () => show($('location-error'), t('gps_unavailable'), 'info'), // no position: tap the map
    { enableHighAccuracy: true, timeout: 10000 },
  );
}

async function loadCategories() {
  const list = $('categories');
  let data;
  try {
    data = await api('/api/v1/categories');
  } catch (err) {
    // Kept as they are if shown already (a language switch offline); none at all is said.
    show($('category-error'), list.children.length ? '' : t('categories_unavailable'), 'error');
    return;
  }
  show($('category-error'), '');
  const items = Array.isArray(data) ? data : data.items || data.categories || [];
  // Rebuilt in a new language: the citizen's choice stays. None is pre-chosen: a wrong default
  // sent unnoticed sends the report to the wrong team.
  const chosen = form.querySelector('input[name=category]:checked')?.value;
  categories = items;
  list.replaceChildren(...items.map((category) => {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'category';
    input.value = category.code;
    input.required = true;
    input.checked = category.code === chosen;
    const icon = document.createElement('img');
    icon.className = 'icon';
    icon.src = `/pwa/icons/categories/${ICONS.includes(category.icon) ? category.icon : 'other'}.svg`;
    icon.alt = ''; // decorative: the name follows
    const name = document.createElement('span');
    name.textContent = category.name;
    label.append(input, icon, name);
    return label;
  }));
  renderAttributes();
}

// The chosen category's extra fields (lamp-post number, plate); what was typed stays when the
// language changes, and when the citizen goes back to that category.
const typedAttributes = {};
function chosenSpecs() {
  const code = form.querySelector('input[name=category]:checked')?.value;
  return attributeSpecs(categories.find((c) => c.code === code));
}
function renderAttributes() {
  // blank too: a cleared field stays so; a choice of a list is kept as its key(s)
  Object.assign(typedAttributes, typedValues($('attributes')));
  renderAttributeInputs($('attributes'), chosenSpecs(), typedAttributes);
}

const ICONS = ['lamp', 'car', 'trash', 'road', 'walk', 'dump', 'signal', 'sign', 'other'];

async function loadNearby(lonlat) {
  const box = $('nearby');
  try {
    const category = form.querySelector('input[name=category]:checked')?.value;
    const items = await nearby(lonlat, category);
    box.hidden = items.length === 0;
    $('nearby-list').replaceChildren(...items.slice(0, 5).map((item) => {
      const li = document.createElement('li');
      li.textContent = `${item.category.name} · ${t(`s_${item.status}`)} · ${Math.round(item.distance_m)} m · ${item.public_id}`;
      return li;
    }));
  } catch (err) { box.hidden = true; } // the nearby list is a help, never a blocker
}

const photoUrls = new WeakMap(); // blob -> its object URL, made once per photo

function photoUrl(blob) {
  if (!photoUrls.has(blob)) photoUrls.set(blob, URL.createObjectURL(blob));
  return photoUrls.get(blob);
}

// Each photo with a button to take it out again: a wrong photo need not stay, and at the
// limit of five one can be replaced.
function renderPreviews() {
  $('previews').replaceChildren(...photos.map((blob, index) => {
    const item = document.createElement('div');
    item.className = 'preview';
    const img = document.createElement('img');
    img.src = photoUrl(blob);
    img.alt = `${t('photo_alt')} ${index + 1}`;
    const drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'secondary';
    drop.dataset.action = 'remove-photo';
    drop.textContent = '×';
    drop.setAttribute('aria-label', `${t('photo_remove')} ${index + 1}`);
    drop.addEventListener('click', () => removePhoto(blob));
    item.append(img, drop);
    return item;
  }));
}

function removePhoto(blob) {
  URL.revokeObjectURL(photoUrl(blob));
  photos = photos.filter((p) => p !== blob);
  show($('photo-error'), '');
  renderPreviews();
  $('photo').focus();
}

async function addPhotos(files) {
  show($('photo-error'), '');
  for (const file of files) {
    if (photos.length >= MAX_PHOTOS) { show($('photo-error'), t('too_many_photos'), 'error'); break; }
    try {
      photos.push(await compressPhoto(file));
    } catch (err) {
      show($('photo-error'), t('photo_refused'), 'error');
    }
  }
  renderPreviews();
  $('photo').value = ''; // the same file picked again after a removal still fires 'change'
}

// Sending one queued report (the request is built by report_request.js, shared with the worker).
async function sendReport(entry) {
  const { path, headers, form, body } = self.dasanReportRequest(entry);
  return api(path, { method: 'POST', headers, form, body });
}

// The form keeps its draft until the server accepted it: refused, it is still there to fix.
async function onSent(entry, result, error) {
  const isDraft = entry.client_ref === clientRef;
  if (error) {
    show(notice, attributeProblem(error, chosenSpecs()) || explain(error), 'error');
    if (isDraft) {
      // The form holds it: the corrected report goes as a new request (a new key).
      await remove(entry.seq);
      clientRef = crypto.randomUUID();
    }
    await renderMine();
    return;
  }
  await saveTicket({ public_id: result.public_id, token: result.citizen_token });
  if (isDraft) clearDraft();
  const link = document.createElement('a');
  link.href = statusLink(result.public_id, result.citizen_token);
  link.textContent = t('open_status');
  notice.replaceChildren(`${t('sent')} ${result.public_id} `, link);
  notice.dataset.kind = 'success';
  notice.hidden = false;
  await renderMine();
}

function statusLink(publicId, token) {
  return `/status/${encodeURIComponent(publicId)}?t=${encodeURIComponent(token)}`;
}

function clearDraft() {
  clientRef = crypto.randomUUID();
  photos = [];
  $('previews').replaceChildren();
  form.reset();
  for (const code of Object.keys(typedAttributes)) delete typedAttributes[code];
  renderAttributeInputs($('attributes'), [], {});
}

export function flushReports() { return flush('report', sendReport, onSent); }

// Reports waiting on this phone go when they can: at once, then by themselves again and again
// while the network or the server fails (Background Sync does it in the browsers that have it;
// the others would keep a report waiting until the page was opened again).
const sendAgain = retrier(() => sendWaiting());

async function sendWaiting() {
  const done = await flushReports();
  if (done === false) { askForSync('outbox'); sendAgain.later(); } else sendAgain.reset();
  await renderMine();
  return done;
}

// My reports on this phone: those sent (with their status link, also the ones the service
// worker sent with no page open), those waiting, and those refused (retry or dismiss).
async function renderMine() {
  const sent = await tickets();
  const unsent = await pending('report');
  $('mine').hidden = sent.length === 0 && unsent.length === 0;
  $('mine-list').replaceChildren(
    ...unsent.map(unsentLine),
    ...sent.slice().reverse().map((ticket) => {
      const li = document.createElement('li');
      const link = document.createElement('a');
      link.href = statusLink(ticket.public_id, ticket.token);
      link.textContent = `${ticket.public_id} · ${t('open_status')}`;
      li.append(link);
      return li;
    }),
  );
}

function unsentLine(entry) {
  const li = document.createElement('li');
  li.dataset.error = entry.error ? entry.error.code || 'unknown_error' : '';
  const text = document.createElement('p');
  const what = entry.report.description || entry.report.category;
  text.textContent = `${what} — ${entry.error ? `${t('not_sent')}: ${explain(entry.error)}` : t('waiting_to_send')}`;
  li.append(text);
  if (!entry.error) return li;
  li.className = 'overdue';
  const retry = document.createElement('button');
  retry.type = 'button'; retry.className = 'secondary'; retry.dataset.action = 'retry'; retry.textContent = t('retry');
  retry.addEventListener('click', async () => {
    await update({ ...entry, error: null });
    show(notice, t('sending'), 'info');
    if ((await sendWaiting()) === false) show(notice, t('queued_offline'), 'info');
  });
  const dismiss = document.createElement('button');
  dismiss.type = 'button'; dismiss.className = 'secondary'; dismiss.dataset.action = 'dismiss'; dismiss.textContent = t('dismiss');
  dismiss.addEventListener('click', async () => { await remove(entry.seq); await renderMine(); });
  li.append(retry, dismiss);
  return li;
}

async function submit(event) {
  event.preventDefault();
  if (!point || $('area').dataset.state === 'outside') {
    show($('location-error'), t(point ? 'outside_city' : 'place_pick_first'), 'error');
    $('gps').focus();
    return;
  }
  const data = new FormData(form);
  if (!data.get('category')) {
    show(notice, t('category_pick_first'), 'error');
    form.querySelector('input[name=category]')?.focus();
    return;
  }
  // Only the chosen category's attributes go (the server refuses others); a required one
  // left empty is said here, before anything is queued.
  const specs = chosenSpecs();
  const attributes = readAttributes($('attributes'));
  const missing = missingRequired(specs, attributes);
  if (missing) {
    show(notice, requiredMessage(missing), 'error');
    focusAttribute($('attributes'), missing);
    return;
  }
  const report = { category: data.get('category'), lon: point[0], lat: point[1],
    description: data.get('description') || '', phone: data.get('phone') || '', language: lang,
    attributes };
  // Sent again while still waiting (offline): the waiting entry takes the new content.
  const waiting = (await pending('report')).find((e) => e.client_ref === clientRef && !e.error);
  if (waiting) await update({ ...waiting, report, photos: [...photos] });
  else await enqueue({ kind: 'report', client_ref: clientRef, photos: [...photos], report });
  if (!navigator.onLine) {
    show(notice, t('queued_offline'), 'info');
    askForSync('outbox');
    await renderMine();
    return;
  }
  show(notice, t('sending'), 'info');
  if ((await sendWaiting()) === false) show(notice, t('queued_offline'), 'info');
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  const settings = await config();
  map = baseMap($('map'), settings);
  districtLayer(map).catch(() => {});
  map.on('click', (e) => placePin([e.latlng.lng, e.latlng.lat]));
  await loadCategories();
  renderArea();
  document.addEventListener('dasan:language', () => {
    loadCategories(); renderMine(); relocateInNewLanguage(); renderPreviews();
    if (pin) pin.getElement()?.setAttribute('title', t('location'));
  });
  $('categories').addEventListener('change', renderAttributes);
  $('gps').addEventListener('click', useGps);
  $('photo').addEventListener('change', (e) => addPhotos([...e.target.files]));
  form.addEventListener('submit', submit);
  window.addEventListener('online', () => { sendAgain.reset(); sendWaiting(); });
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data === 'flush-outbox') sendWaiting();
  });
  useGps();
  await renderMine();
  if (navigator.onLine) sendWaiting();
  document.body.dataset.ready = 'true';
}

main();
