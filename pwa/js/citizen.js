// The citizen's report: photos, GPS with a draggable pin, category, description; offline queue.
import {
  api, ApiError, baseMap, compressPhoto, config, districtLayer, explain, lang, languageSwitcher,
  loadLanguage, registerServiceWorker, show, t,
} from './common.js';
import { askForSync, enqueue, flush, saveTicket } from './store.js';
import { locate as locateArea, nearby } from './workflow.js';

const $ = (id) => document.getElementById(id);
const form = $('report');
const notice = $('notice');
let clientRef = crypto.randomUUID(); // made when the form opens: the Idempotency-Key
let photos = [];
let point = null;
let map;
let pin;

async function locate(lonlat) {
  point = lonlat;
  $('area').textContent = '…';
  try {
    const where = await locateArea(lonlat);
    $('area').textContent = `${where.district.name} ${where.dong.name}`;
    $('area').dataset.state = 'inside';
    show($('location-error'), '');
    loadNearby(lonlat);
  } catch (err) {
    $('area').textContent = t('area_unknown');
    $('area').dataset.state = 'outside';
    if (err.status !== 0) show($('location-error'), explain(err), 'error');
  }
}

function placePin(lonlat) {
  const latlng = [lonlat[1], lonlat[0]];
  if (!pin) {
    pin = L.marker(latlng, { draggable: true, keyboard: true, title: t('location') }).addTo(map);
    pin.on('dragend', () => { const p = pin.getLatLng(); locate([p.lng, p.lat]); });
  } else pin.setLatLng(latlng);
  map.setView(latlng, 16);
  locate(lonlat);
}

function useGps() {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (pos) => placePin([pos.coords.longitude, pos.coords.latitude]),
    () => show($('location-error'), t('drag_pin'), 'info'),
    { enableHighAccuracy: true, timeout: 10000 },
  );
}

async function loadCategories() {
  const list = $('categories');
  let data;
  try { data = await api('/api/v1/categories'); } catch (err) { return; }
  const items = Array.isArray(data) ? data : data.items || data.categories || [];
  list.replaceChildren(...items.map((category, index) => {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'category';
    input.value = category.code;
    input.required = true;
    if (index === 0) input.checked = true;
    const icon = document.createElement('img');
    icon.className = 'icon';
    icon.src = `/pwa/icons/categories/${ICONS.includes(category.icon) ? category.icon : 'other'}.svg`;
    icon.alt = ''; // decorative: the name follows
    const name = document.createElement('span');
    name.textContent = category.name;
    label.append(input, icon, name);
    return label;
  }));
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

async function addPhotos(files) {
  show($('photo-error'), '');
  for (const file of files) {
    try {
      const blob = await compressPhoto(file);
      photos.push(blob);
      const img = document.createElement('img');
      img.src = URL.createObjectURL(blob);
      img.alt = `${t('photo_alt')} ${photos.length}`;
      $('previews').append(img);
    } catch (err) {
      show($('photo-error'), t('photo_refused'), 'error');
    }
  }
}

// Sending one queued report (the request is built by report_request.js, shared with the worker).
async function sendReport(entry) {
  const { path, headers, form, body } = self.dasanReportRequest(entry);
  return api(path, { method: 'POST', headers, form, body });
}

async function onSent(entry, result, error) {
  if (error) {
    show(notice, explain(error), 'error');
    return;
  }
  await saveTicket({ public_id: result.public_id, token: result.citizen_token });
  const link = document.createElement('a');
  link.href = `/status/${result.public_id}?t=${encodeURIComponent(result.citizen_token)}`;
  link.textContent = t('open_status');
  notice.replaceChildren(`${t('sent')} ${result.public_id} `, link);
  notice.dataset.kind = 'success';
  notice.hidden = false;
}

export function flushReports() { return flush('report', sendReport, onSent); }

async function submit(event) {
  event.preventDefault();
  if (!point || $('area').dataset.state === 'outside') {
    show($('location-error'), t('outside_city'), 'error');
    $('gps').focus();
    return;
  }
  const data = new FormData(form);
  await enqueue({
    kind: 'report', client_ref: clientRef, photos,
    report: { category: data.get('category'), lon: point[0], lat: point[1],
      description: data.get('description') || '', phone: data.get('phone') || '', language: lang },
  });
  // A new form gets a new key; the queued one keeps its own.
  clientRef = crypto.randomUUID();
  photos = [];
  $('previews').replaceChildren();
  form.reset();
  if (!navigator.onLine) {
    show(notice, t('queued_offline'), 'info');
    askForSync('outbox');
    return;
  }
  show(notice, t('sending'), 'info');
  const done = await flushReports();
  if (done === false) { show(notice, t('queued_offline'), 'info'); askForSync('outbox'); }
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
  document.addEventListener('dasan:language', loadCategories);
  $('gps').addEventListener('click', useGps);
  $('photo').addEventListener('change', (e) => addPhotos([...e.target.files]));
  form.addEventListener('submit', submit);
  window.addEventListener('online', flushReports);
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data === 'flush-outbox') flushReports();
  });
  useGps();
  if (navigator.onLine) flushReports();
  document.body.dataset.ready = 'true';
}

main();
