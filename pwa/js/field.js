// The inspector's app: district queue (list + map), moves and evidence photos that wait offline.
import {
  api, ApiError, baseMap, compressPhoto, config, districtLayer, explain, languageSwitcher, loadLanguage, registerServiceWorker,
  show, STATUS_COLOURS, t, layerSwitcher, seoulTime,
} from './common.js';
import { trafficLayer } from './traffic.js';
import { current, enterApp, forget, loginForm, logout } from './session.js';
import {
  askForSync, cacheGet, cachePut, claimStaffData, enqueue, flush, pending, rebase, remove, update,
} from './store.js';
import { move, queue, staffView } from './workflow.js';
import { pushKey, subscribe } from './push.js';
import { listPhotos, photoStrip } from './photos.js';
import { passwordChange } from './password.js';
import { retrier } from './retry.js';
import { attributeText } from './attributes.js';

const $ = (id) => document.getElementById(id);
let sort = 'due';
let here = null;
let map;
let layer;
let items = [];
// How many of the district's tickets, by the last answer, are not in the list (not loaded yet).
let unloaded = 0;
// Tickets per request (the API gives at most 200); `?page_size=` lowers it, so a test can see
// paging without filing hundreds of tickets.
const PAGE_MAX = 200;
const PAGE = pageSize();
// How many of the district's tickets the inspector asked to see ("load more" adds a page).
let wanted = PAGE;
// Attribute specs by category and attribute code, named in the app's language (/api/v1/categories).
let attributeSpecsByCategory = {};
const OUTCOMES = {
  resolve: ['fixed', 'repaired', 'removed', 'collected', 'towed', 'warned', 'fined', 'other'],
  unfounded: ['not_found', 'no_violation', 'already_fixed', 'other'],
  refer: ['other_agency', 'private_property', 'police', 'other'],
};
// What an inspector may do (dispatch/workflow.py MOVES): accept what nobody holds; everything
// else only on their own tickets. A button the server always refuses is not offered.
const NEXT = {
  dispatched: ['accept'], transferred: ['accept'],
  assigned: ['on_site', 'resolve', 'unfounded', 'refer', 'transfer', 'release'],
  on_site: ['resolve', 'unfounded', 'refer', 'transfer', 'release'],
};
const HELD = ['assigned', 'on_site'];

function movesFor(item) {
  if (HELD.includes(item.status) && item.assignee_id !== me()) return [];
  return NEXT[item.status] || [];
}

const TARGET = {
  accept: 'assigned', on_site: 'on_site', resolve: 'resolved', unfounded: 'unfounded', refer: 'referred',
  transfer: 'transferred', release: 'dispatched',
};
const CLOSED = ['resolved', 'unfounded', 'referred'];

function token() { return current()?.token; }
function me() { return current()?.staff?.id; }

// A phone may be shared: each waiting move carries who made it, and only its author's
// session sends it (another's waits for them; one without an author is nobody's to send).
function mine(entry) { return entry.staff_id !== undefined && entry.staff_id === me(); }

async function myWaitingMoves() { return (await pending('action')).filter(mine); }

function lostSession() {
  forget();
  $('app').hidden = true;
  $('login').hidden = false;
  show($('notice'), t('unauthorized'), 'error');
}

// The page size asked for in the address (?page_size=N), within the API's limit.
function pageSize() {
  const asked = Number.parseInt(new URLSearchParams(location.search).get('page_size'), 10);
  return asked >= 1 && asked <= PAGE_MAX ? asked : PAGE_MAX;
}

// Loads may overlap (a move's replay, a sort change): only the latest one is shown.
let loads = 0;

async function loadQueue() {
  const thisLoad = ++loads;
  let fresh;
  let freshUnloaded;
  try {
    ({ items: fresh, unloaded: freshUnloaded } = await fetchQueue());
    forgetOlderAnswers(fresh);
    await saveQueue(fresh, freshUnloaded);
    for (const item of fresh) await cachePut(`complaint:${item.public_id}`, item);
    keepPhotosForOffline(fresh); // in the background
  } catch (err) {
    if (err.status === 401) { lostSession(); return; }
    ({ items: fresh, unloaded: freshUnloaded } = cachedQueue(await cacheGet(`queue:${sort}`)) || { items, unloaded });
    if (err.status !== 0) show($('notice'), explain(err), 'error');
  }
  if (thisLoad !== loads) return;
  unloaded = freshUnloaded;
  items = mineFirst(await withWaitingMoves(fresh));
  render();
}

// The inspector's own tickets always (in a storm the district's first pages may be all others'
// tickets due sooner), then the district's first `wanted` tickets, page by page.
async function fetchQueue() {
  const own = queue(token(), sort, here, { mine: true, limit: PAGE_MAX });
  own.catch(() => {}); // awaited below; a page failing first must not leave it unhandled
  const district = [];
  let districtTotal = 0;
  for (let offset = 0; offset < wanted; offset += PAGE) {
    const page = await queue(token(), sort, here, { offset, limit: PAGE });
    district.push(...page.items);
    districtTotal = page.total;
    if (offset + PAGE >= page.total) break;
  }
  const list = [...(await own).items];
  const seen = new Set(list.map((item) => item.public_id));
  for (const item of district) if (!seen.has(item.public_id)) { seen.add(item.public_id); list.push(item); }
  // The inspector's own tickets belong to the district's total too.
  return { items: list, unloaded: Math.max(0, districtTotal - list.length) };
}

// The queue kept for offline use, per sort: the list and how many tickets it leaves out.
function saveQueue(list, left) { return cachePut(`queue:${sort}`, { items: list, unloaded: left }); }

// The kept queue as {items, unloaded}; null when nothing was kept.
function cachedQueue(kept) {
  if (!kept) return null;
  return Array.isArray(kept) ? { items: kept, unloaded: 0 } : kept; // an older app's cache
}

// A ticket the inspector holds (accepted or on site).
function isMine(item) { return HELD.includes(item.status) && item.assignee_id === me(); }

// The tickets the inspector holds come first, in the queue's order; then the others.
function mineFirst(list) { return [...list.filter(isMine), ...list.filter((item) => !isMine(item))]; }

// "Load more": one page more of the district's tickets, kept on every refresh after.
function loadMore() {
  wanted += PAGE;
  loadQueue();
}

// The categories' extra attributes (lamp-post number, vehicle plate) named in the app's
// language, with the names of a list's choices. The service worker keeps the categories, so
// the labels are there offline too; without them the attribute's code stands in.
async function loadAttributeLabels() {
  try {
    const categories = await api('/api/v1/categories');
    attributeSpecsByCategory = Object.fromEntries((categories || []).map((category) => [category.code,
      Object.fromEntries((category.attributes || []).map((spec) => [spec.code, spec]))]));
  } catch (err) { /* keep the labels we have */ }
}

// Moves still waiting in the outbox are shown as made: a queue fetched (or cached) before they
// were sent must not undo them on screen.
async function withWaitingMoves(list) {
  const waiting = (await myWaitingMoves()).filter((entry) => !entry.error);
  const byId = new Map(list.map((item) => [item.public_id, item]));
  const leaving = new Set();
  for (const entry of waiting) {
    const item = byId.get(entry.public_id);
    if (item) {
      item.status = TARGET[entry.move];
      if (entry.move === 'accept') item.assignee_id = me();
      if (entry.move === 'release') item.assignee_id = null;
    }
    if (entry.move === 'transfer') leaving.add(entry.public_id); // to another district's queue
  }
  return list.filter((item) => !CLOSED.includes(item.status) && !leaving.has(item.public_id));
}

function coordinates(item) {
  return item.location?.coordinates || item.coordinates || null;
}

function render() {
  const list = $('queue');
  // A refresh must not wipe what the inspector is in the middle of: an open form (its text,
  // its chosen photo) and open photos move into the new line of the same complaint.
  const kept = new Map();
  for (const part of list.querySelectorAll('li[data-public-id] > form, li[data-public-id] > .photo-box')) {
    const id = part.parentElement.dataset.publicId;
    kept.set(id, [...(kept.get(id) || []), part]);
  }
  if (!items.length) {
    const li = document.createElement('li'); li.textContent = t('no_items');
    list.replaceChildren(li);
  } else {
    list.replaceChildren(...items.map((item) => {
      const li = renderItem(item);
      for (const part of kept.get(item.public_id) || []) {
        // Photos sit after their button; a form belongs to a move this status still allows.
        if (part.classList.contains('photo-box')) {
          li.querySelector('button[data-photos]')?.setAttribute('aria-expanded', 'true');
          li.querySelector('button[data-photos]')?.after(part);
        } else if (li.querySelector(`button[data-move="${part.dataset.move}"]`)) li.append(part);
      }
      return li;
    }));
  }
  renderCount();
  if (map) {
    layer.clearLayers();
    const points = items.map(coordinates).filter(Boolean).map((c) => [c[1], c[0]]);
    if (points.length && !map.fitted) { map.invalidateSize(); map.fitBounds(points, { padding: [24, 24], maxZoom: 16 }); map.fitted = true; }
    for (const item of items) {
      const c = coordinates(item);
      if (!c) continue;
      L.circleMarker([c[1], c[0]], { radius: 9, color: item.overdue ? '#b71c1c' : '#000', weight: item.overdue ? 4 : 1,
        fillColor: STATUS_COLOURS[item.status] || '#000', fillOpacity: 0.9 }).bindTooltip(item.public_id).addTo(layer);
    }
  }
}

// A list cut short says so ("N of total"), and offers the next page.
function renderCount() {
  const cut = unloaded > 0;
  const count = $('queue-count');
  count.hidden = !cut;
  count.textContent = cut
    ? t('queue_partial').replace('{n}', items.length).replace('{total}', items.length + unloaded) : '';
  $('load-more').hidden = !cut;
}

// The category's extra attributes with their labels; a vehicle plate too: the inspector needs it.
function renderAttributes(item) {
  const specs = attributeSpecsByCategory[item.category?.code || item.category] || {};
  return Object.entries(item.attributes || {}).filter(([, value]) => value !== null && value !== '')
    .map(([code, value]) => {
      const line = document.createElement('p');
      line.className = 'attribute';
      line.dataset.attribute = code;
      line.textContent = `${specs[code]?.name || code}: ${attributeText(specs[code], value)}`;
      return line;
    });
}

function renderItem(item) {
  const li = document.createElement('li');
  li.dataset.publicId = item.public_id;
  li.dataset.version = String(item.version ?? '');
  if (item.overdue) li.classList.add('overdue');
  if (isMine(item)) li.classList.add('mine');
  const title = document.createElement('h2');
  title.textContent = `${item.public_id} · ${item.category?.name || item.category || ''}`;
  const state = document.createElement('p');
  state.textContent = `${isMine(item) ? `${t('yours')} · ` : ''}${t(`s_${item.status}`)} · ${t('due')} ${seoulTime(item.due_at)}${item.overdue ? ` · ${t('overdue')}` : ''}`;
  const address = document.createElement('p');
  address.textContent = item.address || '';
  li.append(title, state, address);
  if (item.description) { // the reporter's own words: "third lamp from the bakery"
    const desc = document.createElement('p');
    desc.className = 'description';
    desc.textContent = item.description;
    li.append(desc);
  }
  li.append(...renderAttributes(item));
  if (item.location_precision === 'dong') { // a report by text: the map point is only the dong's
    const where = document.createElement('p');
    where.className = 'message';
    where.textContent = t('location_dong_only');
    li.append(where);
  }
  const c = coordinates(item);
  if (c) {
    const nav = document.createElement('a');
    nav.className = 'button secondary';
    nav.href = `geo:${c[1]},${c[0]}?q=${c[1]},${c[0]}`;
    nav.textContent = t('navigate');
    li.append(nav);
  }
  if (item.reporter_phone) { // only the assignee gets it: to ask on site "where exactly?"
    const call = document.createElement('a');
    call.className = 'button secondary';
    call.href = `tel:${item.reporter_phone}`;
    call.textContent = t('call_reporter');
    li.append(call);
  }
  if (item.report_photos > 0) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.dataset.photos = String(item.report_photos);
    button.textContent = `${t('photos')} ${item.report_photos}`;
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => togglePhotos(li, item, button));
    li.append(button);
  }
  for (const name of movesFor(item)) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.textContent = t(name);
    button.dataset.move = name;
    const open = { transfer: transferForm }[name] || (OUTCOMES[name] ? closeForm : null);
    button.addEventListener('click', () => (open ? open(li, item, name) : act(item, name, {})));
    li.append(button);
  }
  return li;
}

// The complaint's line as it is on screen now: a refresh may have replaced the one a click
// started from while an answer was awaited.
function lineOf(publicId, fallback) {
  return document.querySelector(`#queue li[data-public-id="${CSS.escape(publicId)}"]`) || fallback;
}

async function togglePhotos(li, item, button) {
  const shown = li.querySelector('.photo-box');
  if (shown) { shown.remove(); button.setAttribute('aria-expanded', 'false'); return; }
  const photos = await photosOf(item.public_id);
  const box = document.createElement('div');
  box.className = 'photo-box';
  if (photos.length) box.append(photoStrip(photos));
  else { const p = document.createElement('p'); p.className = 'hint'; p.textContent = t('photos_offline'); box.append(p); }
  const now = lineOf(item.public_id, li).querySelector('button[data-photos]') || button;
  now.after(box);
  now.setAttribute('aria-expanded', 'true');
}

// Online: fresh signed URLs, kept for later; offline: the last list kept, whose thumbnails the
// service worker has (it caches them by path, whatever the signature).
async function photosOf(publicId) {
  try {
    const photos = await listPhotos(publicId, { token: token() });
    await cachePut(`photos:${publicId}`, photos);
    return photos;
  } catch (err) {
    if (err.status === 401) { lostSession(); return []; }
    return (await cacheGet(`photos:${publicId}`)) || [];
  }
}

// After a queue load, fetch once the reporters' photos of the queue's complaints, so an
// inspector who loses the network on the way still sees what the reporter saw.
async function keepPhotosForOffline(list) {
  for (const item of list.filter((i) => i.report_photos > 0).slice(0, 50)) {
    if (await cacheGet(`photos:${item.public_id}`)) continue;
    const photos = await photosOf(item.public_id);
    for (const photo of photos) await fetch(photo.thumb_url).catch(() => null);
  }
}

// On site one may find the spot belongs to the next district: send it there, saying why.
async function transferForm(li, item) {
  li.querySelector('form')?.remove();
  let districts = [];
  try {
    districts = (await api('/api/v1/districts')).features
      .filter((f) => f.id !== item.district_code).map((f) => new Option(f.properties.name, f.id));
  } catch (err) { show($('notice'), explain(err), 'error'); return; }
  const form = document.createElement('form');
  form.dataset.move = 'transfer';
  const id = `${item.public_id}-transfer`;
  form.innerHTML = `<label for="${id}-district"></label><select id="${id}-district" name="district"></select>
    <label for="${id}-note"></label><textarea id="${id}-note" name="note" rows="2" maxlength="2000" required></textarea>
    <button type="submit" class="primary"></button>`;
  const [districtLabel, noteLabel] = form.querySelectorAll('label');
  districtLabel.textContent = t('district');
  noteLabel.textContent = t('transfer_reason');
  form.querySelector('select').append(...districts);
  form.querySelector('button').textContent = t('transfer');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    await act(item, 'transfer', { district_code: data.get('district'), internal_note: data.get('note').trim() });
    form.remove();
  });
  const line = lineOf(item.public_id, li);
  line.querySelector('form')?.remove();
  line.append(form);
  form.querySelector('select').focus();
}

// Closing needs an outcome and a note for the reporter; resolving also an evidence photo,
// unless the complaint has one already (the server refuses anything less: 422).
function closeForm(li, item, name) {
  li.querySelector('form')?.remove();
  const form = document.createElement('form');
  form.dataset.move = name;
  const id = `${item.public_id}-${name}`;
  form.innerHTML = `<label for="${id}-outcome"></label><select id="${id}-outcome" name="outcome"></select>
    <label for="${id}-note"></label><textarea id="${id}-note" name="note" rows="2" maxlength="2000" required></textarea>
    <label for="${id}-photo"></label><input id="${id}-photo" name="photo" type="file" accept="image/*" capture="environment">
    <button type="submit" class="primary"></button>`;
  const [outcomeLabel, noteLabel, photoLabel] = form.querySelectorAll('label');
  outcomeLabel.textContent = t('outcome');
  noteLabel.textContent = t('note_for_reporter');
  photoLabel.textContent = t(name === 'resolve' ? 'evidence_needed' : 'evidence');
  form.querySelector('select').append(...OUTCOMES[name].map((o) => new Option(t(`outcome_${o}`), o)));
  form.querySelector('button').textContent = t(name);
  if (name === 'resolve') needEvidence(form, item, photoLabel);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const note = (data.get('note') || '').trim();
    if (!note) { form.querySelector('textarea').focus(); return; } // spaces only
    const file = data.get('photo');
    let photo = null;
    if (file && file.size) {
      try { photo = await compressPhoto(file); } catch (err) { show($('notice'), t('photo_refused'), 'error'); return; }
    }
    await act(item, name, { outcome: data.get('outcome'), public_note: note }, photo);
    form.remove();
  });
  li.append(form);
  form.querySelector('select').focus();
}

// The photo is required until the staff view says this visit has evidence already (a photo
// from before a reopen or a hand-over does not count; offline nobody can tell, so it stays
// required).
async function needEvidence(form, item, label) {
  const input = form.querySelector('input[type=file]');
  input.required = true;
  const view = await staffView(item.public_id, token()).catch(() => null);
  if (view?.photos?.evidence_this_visit > 0) {
    input.required = false;
    label.textContent = t('evidence');
  }
}

async function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve([p.coords.longitude, p.coords.latitude]),
      () => resolve(null), { enableHighAccuracy: true, timeout: 5000 });
  });
}

// Every move goes through the outbox, online or not, so the order is always kept.
async function act(item, name, details, photo = null) {
  if (name === 'on_site' || name === 'resolve') {
    const p = await position();
    if (p) details.location = { type: 'Point', coordinates: p };
  }
  await enqueue({
    kind: 'action', staff_id: me(), public_id: item.public_id, move: name, details, version: item.version, photo,
  });
  // Show the move at once; the server's answer confirms or corrects it.
  items = mineFirst(await withWaitingMoves(items));
  render();
  await saveQueue(items, unloaded);
  await replay();
}

// The version each complaint's last answered move produced, and when the answer came. A move
// queued before that answer (while the earlier one waited) was based on it; one made after it
// carries the version its screen showed, which may be fresher (a reassignment meanwhile).
const answered = new Map();

function versionFor(entry) {
  const known = answered.get(entry.public_id);
  if (known && entry.created < known.at && !(entry.version >= known.version)) return known.version;
  return entry.version;
}

async function sendAction(entry) {
  if (entry.photo && !entry.photo_sent) {
    const form = new FormData();
    form.append('photos', entry.photo, 'evidence.jpg');
    await api(`/api/v1/complaints/${encodeURIComponent(entry.public_id)}/photos`, { method: 'POST', form, token: token() });
    entry.photo_sent = true;
    await update(entry);
  }
  let result;
  try {
    result = await move(entry.public_id, entry.move, entry.details, { token: token(), version: versionFor(entry) });
  } catch (err) {
    // A move whose answer was lost is refused when replayed (the version moved on): if the
    // complaint already is where this move leads, by our hand, the move did arrive.
    result = await alreadyApplied(entry, err);
  }
  if (result && result.version !== undefined) await moved(entry, result.version);
  return result;
}

// Remember the version a move produced: for the moves still waiting, and for the screen.
async function moved(entry, version) {
  answered.set(entry.public_id, { version, at: Date.now() });
  await rebase(entry.public_id, entry.seq, version);
  const item = items.find((i) => i.public_id === entry.public_id);
  if (item && !(item.version >= version)) item.version = version;
}

// A fresher version from the server replaces what an answer had taught (someone else moved it).
function forgetOlderAnswers(list) {
  for (const item of list) {
    const known = answered.get(item.public_id);
    if (known && item.version > known.version) answered.delete(item.public_id);
  }
}

async function alreadyApplied(entry, err) {
  if (!(err instanceof ApiError) || ![409, 412].includes(err.status)) throw err;
  const view = await staffView(entry.public_id, token()).catch(() => null);
  const me = current()?.staff?.id;
  const last = view && (view.history || []).filter((e) => e.to_status).pop();
  if (view && view.status === TARGET[entry.move] && last && last.actor_id === me) return view;
  throw err;
}

async function replay() {
  if (!navigator.onLine) { $('offline').hidden = false; await renderOutbox(); askForSync('outbox'); return; }
  const done = await flush('action', sendAction, (entry, result, error) => {
    if (error && error.status === 401) lostSession();
  }, mine);
  await renderOutbox();
  if (done) { replayAgain.reset(); loadQueue(); } else if (token()) retryLater();
}

// A weak connection fails requests while the browser still says it is online (no `online`
// event will come): ask for a background sync, and try again by itself, waiting longer each
// time; coming back to the app tries at once.
const replayAgain = retrier(() => replay(), { maxMs: 120_000 });

function retryLater() {
  askForSync('outbox');
  replayAgain.later();
}

// A complaint moved to another district answers 404/403 to its old inspector: say so plainly.
function explainAction(error) {
  if (error.code === 'not_found' || error.code === 'forbidden') return t('forbidden');
  return explain(error);
}

async function renderOutbox() {
  const all = await pending('action');
  const entries = all.filter(mine);
  const others = all.length - entries.length;
  $('outbox-section').hidden = entries.length === 0 && others === 0;
  const othersNote = $('outbox-others');
  othersNote.hidden = others === 0;
  othersNote.textContent = others ? t('others_waiting').replace('{n}', others) : '';
  $('outbox').replaceChildren(...entries.map((entry) => {
    const li = document.createElement('li');
    li.dataset.error = entry.error ? entry.error.code : '';
    const text = document.createElement('p');
    text.textContent = `${entry.public_id} · ${t(entry.move)}${entry.error ? ` — ${explainAction(entry.error)}` : ''}`;
    li.append(text);
    if (entry.error) {
      li.className = 'overdue';
      const dismiss = document.createElement('button');
      dismiss.type = 'button'; dismiss.className = 'secondary'; dismiss.textContent = t('close');
      dismiss.addEventListener('click', async () => { await remove(entry.seq); renderOutbox(); loadQueue(); });
      li.append(dismiss);
    }
    return li;
  }));
}

// Where I am, for the supervisor's assignment suggestions and the distance sort: at start and
// every 2 minutes while the app is open and visible (never from the background).
const POSITION_EVERY_MS = 120_000;
let positionTimer = null;

async function reportPosition() {
  if (document.hidden || !navigator.onLine || !token()) return;
  const p = await position();
  if (!p) return;
  try {
    await api('/api/v1/staff/me/position', {
      method: 'POST', token: token(), body: { location: { type: 'Point', coordinates: p }, on_duty: true },
    });
  } catch (err) { if (err.status === 401) lostSession(); }
}

async function start() {
  enterApp();
  show($('notice'), '');
  await claimStaffData(me());
  if (!map) {
    map = baseMap($('map'), await config());
    districtLayer(map).catch(() => {});
    const traffic = trafficLayer(map);
    layer = L.layerGroup().addTo(map);
    layerSwitcher(map, { traffic: traffic.group });
  }
  await replay();
  await loadAttributeLabels();
  await loadQueue();
  offerPush();
  reportPosition();
  if (!positionTimer) positionTimer = setInterval(reportPosition, POSITION_EVERY_MS);
  document.body.dataset.ready = 'true';
}

async function offerPush() {
  const key = await pushKey(token());
  const button = $('push');
  button.hidden = !key;
  if (!key) return;
  button.onclick = async () => {
    try {
      if ((await Notification.requestPermission()) !== 'granted') return;
      await subscribe(token(), key);
      show($('notice'), t('push_done'), 'success');
      button.hidden = true;
    } catch (err) { show($('notice'), explain(err), 'error'); }
  };
}

// Logging out with moves still waiting: they stay on the phone for their author's next login,
// but the inspector should know before walking away (and may wait for the network instead).
async function leave() {
  const waiting = (await myWaitingMoves()).filter((entry) => !entry.error).length;
  if (waiting && !window.confirm(t('logout_unsent').replace('{n}', waiting))) return;
  await logout();
  location.reload();
}

function setSort(order) {
  sort = order;
  wanted = PAGE; // a new order starts again from its first page
  $('sort-due').setAttribute('aria-pressed', String(sort === 'due'));
  $('sort-distance').setAttribute('aria-pressed', String(sort === 'distance'));
  if (sort === 'distance') position().then((p) => { here = p; loadQueue(); }); else loadQueue();
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  document.addEventListener('dasan:language', async () => {
    render(); renderOutbox();
    await loadAttributeLabels(); // the labels in the new language
    render();
    if (token()) loadQueue(); // its category names come from the server, in the new language
  });
  $('sort-due').addEventListener('click', () => setSort('due'));
  $('sort-distance').addEventListener('click', () => setSort('distance'));
  $('load-more').addEventListener('click', loadMore);
  $('logout').addEventListener('click', leave);
  passwordChange($('change-password'), { token, onLostSession: lostSession });
  window.addEventListener('online', () => { $('offline').hidden = true; replay(); });
  window.addEventListener('offline', () => { $('offline').hidden = false; });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && token()) replay(); });
  navigator.serviceWorker?.addEventListener('message', (e) => { if (e.data === 'flush-outbox') replay(); });
  // Open the complaint a notification pointed at (?c=<public_id>).
  const opened = new URLSearchParams(location.search).get('c');
  loginForm($('login'), $('notice'), start);
  if (token()) await start(); else { $('login').hidden = false; document.body.dataset.ready = 'true'; }
  if (opened) document.querySelector(`[data-public-id="${CSS.escape(opened)}"]`)?.scrollIntoView();
}

main();
