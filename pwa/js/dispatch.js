// The dispatcher's city map: districts, clustered complaints by status and SLA, live updates, KPIs.
import {
  api, ApiError, baseMap, config, districtLayer, explain, lang, LANG_NAMES, languageSwitcher,
  loadLanguage, registerServiceWorker, show, STATUS_COLOURS, t, layerSwitcher, seoulTime,
} from './common.js';
import { barChart } from './chart.js';
import { callerForm, fillCallerChoices } from './caller.js';
import { attributeSpecs, attributeText } from './attributes.js';
import { listPhotos, photoStrip } from './photos.js';
import { trafficLayer } from './traffic.js';
import { current, enterApp, forget, loginForm, logout } from './session.js';
import { move, nearby, staffView, suggestedAssignees } from './workflow.js';
import { passwordChange } from './password.js';

const $ = (id) => document.getElementById(id);
let map;
let cluster;
let stream;
const markers = new Map();
const OPEN = ['received', 'dispatched', 'transferred', 'assigned', 'on_site'];
// Below this zoom a view with more complaints than the server sends (2,000) shows the
// server's clusters, which count every one, instead of the markers it has.
const DETAIL_ZOOM = 14;
let serverClusters;
let clustered = false;

function token() { return current()?.token; }

function lostSession(err) {
  if (err.status !== 401) return false;
  forget();
  if (stream) stream.close();
  clearTimeout(reconnectTimer);
  $('app').hidden = true;
  $('login').hidden = false;
  show($('notice'), t('unauthorized'), 'error');
  return true;
}

function icon(p) {
  const overdue = p.overdue ? ' marker-overdue' : '';
  return L.divIcon({
    className: `complaint-marker${overdue}`,
    html: `<span class="status-dot" style="background:${STATUS_COLOURS[p.status] || '#000'}"></span>`,
    iconSize: p.overdue ? [24, 24] : [18, 18],
  });
}

// A chosen day ends where the next one begins: the server compares `until` with `<`.
function nextDay(date) {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

function period() {
  const f = new FormData($('filters'));
  const params = new URLSearchParams();
  if (f.get('since')) params.set('since', `${f.get('since')}T00:00:00+09:00`);
  if (f.get('until')) params.set('until', `${nextDay(f.get('until'))}T00:00:00+09:00`);
  return params;
}

function filters() {
  const params = period();
  const f = new FormData($('filters'));
  if (f.get('status')) params.append('status', f.get('status'));
  if (f.get('category')) params.set('category', f.get('category'));
  if (f.get('district')) params.set('district', f.get('district'));
  if (f.get('overdue')) params.set('overdue', 'true');
  return params;
}

// Whether a complaint made at `createdAt` (ISO time) lies in the chosen period.
function inPeriod(createdAt) {
  const p = period();
  const at = Date.parse(createdAt);
  if (p.get('since') && !(at >= Date.parse(p.get('since')))) return false;
  if (p.get('until') && !(at < Date.parse(p.get('until')))) return false;
  return true;
}

// The map's view as the API's bbox (minLon,minLat,maxLon,maxLat).
function viewBox() {
  const b = map.getBounds();
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value)).toFixed(5);
  return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180),
    clamp(b.getNorth(), 90)].join(',');
}

function matches(p, coordinates) {
  const f = new FormData($('filters'));
  if (f.get('status') ? p.status !== f.get('status') : !OPEN.includes(p.status)) return false;
  if (f.get('category') && p.category !== f.get('category')) return false;
  if (f.get('district') && p.district !== f.get('district')) return false;
  if (f.get('overdue') && !p.overdue) return false;
  if (!inPeriod(p.created_at)) return false;
  return map.getBounds().contains([coordinates[1], coordinates[0]]);
}

function upsert(p, coordinates) {
  const old = markers.get(p.public_id);
  if (old) cluster.removeLayer(old);
  markers.delete(p.public_id);
  if (!matches(p, coordinates)) return;
  const marker = L.marker([coordinates[1], coordinates[0]], {
    icon: icon(p), keyboard: true,
    title: `${p.public_id} · ${t(`s_${p.status}`)}${p.overdue ? ` · ${t('overdue')}` : ''}`,
    alt: `${p.public_id} ${t(`s_${p.status}`)}`,
  });
  marker.properties = p;
  marker.on('click', () => openPanel(p.public_id));
  markers.set(p.public_id, marker);
  if (!clustered) cluster.addLayer(marker);
}

// A live change as the map's row: the stream does not say when a complaint was made, so
// one the map does not have yet counts as made now only if the event is its receipt (in a
// past period, an unknown ticket's other events stay off the map).
function liveRow(change) {
  const known = markers.get(change.public_id)?.properties;
  const createdAt = known?.created_at || (change.kind === 'received' ? change.at : null);
  return { ...change, created_at: createdAt };
}

// The map's complaints as a table as well: usable without the map (screen readers, keyboard),
// overdue first, then by due time; the first 100 of what the filters show.
const LIST_ROWS = 100;
let listTimer = null;
function scheduleList() { clearTimeout(listTimer); listTimer = setTimeout(renderList, 300); }

function optionName(selectId, code) {
  return [...$(selectId).options].find((option) => option.value === code)?.text || code;
}

// A ticket number as a button that opens its panel (the list, a caller's reports).
function ticketButton(publicId) {
  const open = document.createElement('button');
  open.type = 'button'; open.className = 'link'; open.textContent = publicId;
  open.addEventListener('click', () => openPanel(publicId));
  return open;
}

function renderList() {
  const rows = [...markers.values()].map((marker) => marker.properties)
    .sort((a, b) => (Number(b.overdue) - Number(a.overdue)) || String(a.due_at).localeCompare(String(b.due_at)))
    .slice(0, LIST_ROWS);
  $('list-count').textContent = String(markers.size);
  $('list-body').replaceChildren(...rows.map((p) => {
    const row = document.createElement('tr');
    if (p.overdue) row.className = 'overdue';
    const cells = [ticketButton(p.public_id), `${t(`s_${p.status}`)}${p.overdue ? ` · ${t('overdue')}` : ''}`,
      optionName('f-category', p.category), optionName('f-district', p.district),
      seoulTime(p.due_at)];
    row.append(...cells.map((value) => {
      const cell = document.createElement('td');
      cell.append(value);
      return cell;
    }));
    return row;
  }));
}

let complaintLoads = 0;
let viewTimer = null;
function scheduleComplaints(delay = 400) {
  clearTimeout(viewTimer);
  viewTimer = setTimeout(loadComplaints, delay);
}

// A cut view's clusters and count go stale as events come in; refresh them now and then
// (at most every 5 s: a storm's steady stream must not keep pushing the refresh away).
let cutViewTimer = null;
function refreshCutView() {
  if (cutViewTimer || $('map').dataset.truncated !== 'true') return;
  cutViewTimer = setTimeout(() => { cutViewTimer = null; loadComplaints(); }, 5_000);
}

async function loadComplaints() {
  const mine = ++complaintLoads;
  const params = filters();
  params.set('bbox', viewBox());
  try {
    const data = await api(`/api/v1/map/complaints?${params}`, { token: token() });
    const counted = data.truncated ? await loadClusters(params) : null;
    if (mine !== complaintLoads) return; // the view moved on meanwhile
    clustered = Boolean(counted) && map.getZoom() < DETAIL_ZOOM;
    cluster.clearLayers();
    markers.clear();
    for (const f of data.features) upsert(f.properties, f.geometry.coordinates);
    showClusters(clustered ? counted.features : []);
    showTruncation(data.truncated, markers.size, counted?.total);
    $('map').dataset.count = String(markers.size);
    renderList();
  } catch (err) {
    if (!lostSession(err)) show($('notice'), explain(err), 'error');
  }
}

// Every complaint in view, counted by the server on a grid fitted to the zoom.
async function loadClusters(params) {
  const query = new URLSearchParams(params);
  query.set('zoom', String(Math.round(map.getZoom())));
  const data = await api(`/api/v1/map/clusters?${query}`, { token: token() });
  const total = data.features.reduce((sum, f) => sum + f.properties.count, 0);
  return { features: data.features, total };
}

function clusterIcon(p) {
  const size = p.count < 100 ? 36 : p.count < 1000 ? 44 : 52;
  return L.divIcon({
    className: `server-cluster${p.overdue ? ' cluster-overdue' : ''}`,
    html: `<span>${p.count}</span>`,
    iconSize: [size, size],
  });
}

// The server's clusters in place of the markers; a click zooms in towards the cell.
function showClusters(features) {
  serverClusters.clearLayers();
  for (const f of features) {
    const [lon, lat] = f.geometry.coordinates;
    const marker = L.marker([lat, lon], {
      icon: clusterIcon(f.properties), keyboard: true,
      title: t('map_cluster').replace('{n}', f.properties.count),
    });
    marker.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, DETAIL_ZOOM)));
    serverClusters.addLayer(marker);
  }
  $('map').dataset.clusters = String(features.length);
}

// The server sends at most 2,000 complaints: say so, with how many there are.
function showTruncation(truncated, shown, total) {
  const note = $('map-truncated');
  const format = (n) => Number(n).toLocaleString(document.documentElement.lang);
  note.hidden = !truncated;
  note.textContent = truncated
    ? t('map_truncated').replace('{shown}', format(shown)).replace('{total}', format(total ?? '?'))
    : '';
  $('map').dataset.truncated = String(Boolean(truncated));
}

// A small form for one move: a choice, a note (a transfer must say why), a button.
function moveForm(labelKey, select, onSubmit) {
  const form = document.createElement('form');
  const label = document.createElement('label');
  label.textContent = t(labelKey);
  label.htmlFor = select.id;
  const noteLabel = document.createElement('label');
  noteLabel.textContent = t('note');
  const note = document.createElement('textarea');
  note.id = `${select.id}-note`; note.rows = 2; note.maxLength = 2000;
  noteLabel.htmlFor = note.id;
  const button = document.createElement('button');
  button.type = 'submit'; button.className = 'secondary'; button.textContent = t(labelKey);
  form.append(label, select, noteLabel, note, button);
  form.addEventListener('submit', (e) => { e.preventDefault(); onSubmit(select.value, note.value.trim()); });
  return form;
}

// Every inspector the server lists (suggested ones first, off-duty ones marked): a supervisor
// can always assign, also when nobody is near or on duty.
async function assignForm(publicId, run) {
  const select = document.createElement('select');
  select.id = 'assign-staff';
  let people = [];
  try { people = await suggestedAssignees(publicId, token()); } catch (err) { /* an empty choice says so */ }
  const ordered = [...people].sort((a, b) => Number(Boolean(b.suggested)) - Number(Boolean(a.suggested)));
  select.append(...ordered.map((x) => {
    const marks = [x.suggested ? t('suggested') : '', x.on_duty === false ? t('off_duty') : ''].filter(Boolean);
    const option = new Option(`${x.display_name} (${x.open_assignments})${marks.length ? ` · ${marks.join(' · ')}` : ''}`, x.staff_id);
    option.dataset.onDuty = String(x.on_duty !== false);
    return option;
  }));
  if (!select.options.length) { select.append(new Option(t('no_inspectors'), '')); select.disabled = true; }
  return moveForm('reassign', select, (v, note) => {
    if (v) run('assign', { assignee_id: Number(v), ...(note ? { internal_note: note } : {}) });
  });
}

const REFER_OUTCOMES = ['other_agency', 'private_property', 'police', 'other'];

// Refer: the matter belongs elsewhere; the reporter reads the outcome and the note.
function referForm(run) {
  const select = document.createElement('select');
  select.id = 'refer-outcome';
  select.append(...REFER_OUTCOMES.map((o) => new Option(t(`outcome_${o}`), o)));
  const form = moveForm('refer', select, (outcome, note) => {
    if (!note) { show($('notice'), t('invalid_outcome'), 'error'); return; }
    run('refer', { outcome, public_note: note });
  });
  const noteLabel = form.querySelector(`label[for="${select.id}-note"]`);
  noteLabel.textContent = t('note_for_reporter');
  form.querySelector('textarea').required = true;
  return form;
}

// "Duplicate of…": open reports of the same category close by, or a ticket number typed in.
async function duplicateForm(c, run) {
  const select = document.createElement('select');
  select.id = 'duplicate-parent';
  select.append(new Option(t('duplicate_pick'), ''));
  try {
    const near = await nearby(c.location.coordinates, c.category.code);
    select.append(...near.filter((n) => n.public_id !== c.public_id)
      .map((n) => new Option(`${n.public_id} · ${Math.round(n.distance_m)} m`, n.public_id)));
  } catch (err) { /* the ticket field still works */ }
  const form = document.createElement('form');
  const label = document.createElement('label');
  label.textContent = t('duplicate_of_action');
  label.htmlFor = select.id;
  const ticketLabel = document.createElement('label');
  ticketLabel.textContent = t('duplicate_ticket');
  const ticket = document.createElement('input');
  ticket.id = 'duplicate-ticket'; ticket.maxLength = 32; ticket.autocomplete = 'off';
  ticketLabel.htmlFor = ticket.id;
  const button = document.createElement('button');
  button.type = 'submit'; button.className = 'secondary'; button.textContent = t('link_duplicate');
  form.append(label, select, ticketLabel, ticket, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const parent = ticket.value.trim() || select.value;
    if (!parent) { show($('notice'), t('duplicate_pick_first'), 'error'); return; }
    run('link-duplicate', { parent });
  });
  return form;
}

// "Not a duplicate": the complaint goes back to its district's queue.
function unlinkButton(run) {
  const button = document.createElement('button');
  button.type = 'button'; button.id = 'unlink-duplicate'; button.className = 'secondary';
  button.textContent = t('unlink_duplicate');
  button.addEventListener('click', () => run('unlink-duplicate', {}));
  return button;
}

// What an agent on the phone needs at a glance: where, how it came in, who reported, links.
function facts(c) {
  const list = document.createElement('dl');
  list.className = 'facts';
  const add = (key, value) => {
    if (value == null || value === '') return;
    const term = document.createElement('dt');
    term.textContent = t(key);
    const detail = document.createElement('dd');
    if (value instanceof Node) detail.append(value); else detail.textContent = value;
    list.append(term, detail);
  };
  add('address', c.address);
  if (c.location_precision === 'dong') add('location', t('location_dong_only')); // the map point stands for the whole dong
  add('channel', t(`channel_${c.channel}`));
  add('reporter_language', LANG_NAMES[c.language] || c.language);
  if (c.reporter_phone && !c.reporter_phone.includes('*')) {
    const call = document.createElement('a');
    call.href = `tel:${c.reporter_phone}`;
    call.textContent = c.reporter_phone;
    add('reporter_phone', call);
  } else add('reporter_phone', c.reporter_phone); // masked: only the assignee and supervisor call back
  // The category's extra attributes (lamp-post number, plate: staff see private ones too),
  // read-only, named in the page's language as the forms name them.
  const specs = attributeSpecs(categoryList.find((k) => k.code === c.category.code));
  for (const [code, value] of Object.entries(c.attributes || {})) {
    const spec = specs.find((one) => one.code === code);
    const term = document.createElement('dt');
    term.textContent = spec?.name || code;
    term.dataset.attribute = code;
    const detail = document.createElement('dd');
    detail.textContent = attributeText(spec, value);
    list.append(term, detail);
  }
  add('duplicate_of', c.parent);
  add('duplicates', (c.duplicates || []).join(', '));
  add('outcome', outcomeWords(c.outcome));
  return list;
}

// Where a move was made, when the inspector's phone sent its GPS: "35 m from the spot", and a
// warning when "on site" was pressed farther away than the evidence photos may be taken.
function eventPlace(e) {
  if (e.distance_m == null) return [];
  const where = document.createElement('small');
  where.className = 'place';
  const metres = Math.round(e.distance_m).toLocaleString(document.documentElement.lang);
  where.textContent = ` · ${t('event_distance').replace('{m}', metres)}`;
  const flags = (e.flags || []).map((flag) => {
    const note = document.createElement('small');
    note.className = 'flag';
    note.textContent = ` ${t(`event_${flag}`)}`;
    return note;
  });
  return [where, ...flags];
}

// An outcome code in words (a cancel records the move's name, which has none).
function outcomeWords(code) {
  const words = code && t(`outcome_${code}`);
  return words === `outcome_${code}` ? code : words;
}

// Clicks may overlap (map, list, ticket lookup): only the latest panel is painted, so a slow
// answer never replaces a form the dispatcher has started to fill.
let panelLoads = 0;
// What the panel shows (a complaint's number, or a caller's reports), to draw it again in a new
// language or when someone else changes the complaint on screen.
let shownTicket = null;
let wantedTicket = null; // the last one asked for: a refresh never takes the place of a newer click
let redrawPanel = null;
let panelTimer = null;
function refreshPanel(publicId) {
  clearTimeout(panelTimer);
  panelTimer = setTimeout(() => { if (wantedTicket === publicId) openPanel(publicId); }, 300);
}

// A panel drawn again for the same complaint (a refresh, a new language, Open pressed again)
// keeps what the dispatcher had typed or chosen, and the focus: a note being written must not
// be wiped. After a move is sent its forms are reset first, so nothing sent comes back.
function typedIn(detail) {
  const values = [...detail.querySelectorAll('select[id], textarea[id], input[id]')].map((el) => [el.id, el.value]);
  return { values, focused: detail.contains(document.activeElement) ? document.activeElement.id : '' };
}

function restoreTyped(detail, { values, focused }) {
  for (const [id, value] of values) {
    const el = detail.querySelector(`#${CSS.escape(id)}`);
    if (el && (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === value))) el.value = value;
  }
  if (focused) detail.querySelector(`#${CSS.escape(focused)}`)?.focus();
}

// A caller quotes a ticket number (open it) or has lost it (their number finds their reports).
// The serial is zero-padded to 7 digits and grows past them.
const TICKET = /^\d{6}-\d{7,}$/;
const PHONE = /^\+?[\d\s-]{9,20}$/;

async function find(value) {
  show($('notice'), '');
  if (TICKET.test(value) || !PHONE.test(value)) { openPanel(value); return; }
  const mine = ++panelLoads;
  wantedTicket = null;
  let found;
  try {
    found = await api('/api/v1/staff/complaints/search', { method: 'POST', body: { phone: value }, token: token() });
  } catch (err) {
    if (!lostSession(err)) show($('notice'), explain(err), 'error');
    return;
  }
  const title = document.createElement('h3');
  title.textContent = t('caller_reports');
  const list = document.createElement('ul');
  list.className = 'list';
  list.replaceChildren(...found.items.map((c) => {
    const li = document.createElement('li');
    li.append(ticketButton(c.public_id), ` · ${t(`s_${c.status}`)} · ${c.category.name} · ${c.district.name} · ${seoulTime(c.created_at)}`);
    return li;
  }));
  if (!found.items.length) { const li = document.createElement('li'); li.textContent = t('no_items'); list.append(li); }
  if (mine !== panelLoads) return;
  $('detail').replaceChildren(title, list);
  shownTicket = null;
  redrawPanel = () => { if (wantedTicket === null) find(value); };
}

async function openPanel(publicId) {
  const mine = ++panelLoads;
  wantedTicket = publicId;
  const detail = $('detail');
  let c;
  try { c = await staffView(publicId, token()); } catch (err) {
    if (!lostSession(err)) show($('notice'), explain(err), 'error');
    return;
  }
  const h = document.createElement('h3');
  h.textContent = `${c.public_id} · ${c.category.name}`;
  const p = document.createElement('p');
  p.textContent = `${t(`s_${c.status}`)} · ${c.district.name} ${c.dong.name} · ${t('due')} ${seoulTime(c.due_at)}${c.overdue ? ` · ${t('overdue')}` : ''}`;
  const desc = document.createElement('p');
  desc.textContent = c.description;
  const list = document.createElement('ol');
  for (const e of c.history || []) {
    const li = document.createElement('li');
    // A move names its new status; photo, rating and escalation events name themselves.
    const what = e.to_status ? t(`s_${e.to_status}`) : t(`event_${e.kind}`);
    li.textContent = `${seoulTime(e.at)} ${what} ${e.public_note || ''}`;
    li.append(...eventPlace(e));
    if (e.internal_note) { // staff-only: why it was transferred, reassigned, …
      const note = document.createElement('em');
      note.className = 'internal';
      note.textContent = ` ${t('internal_note')}: ${e.internal_note}`;
      li.append(note);
    }
    list.append(li);
  }
  const parts = [h, p, desc, facts(c)];
  if ((c.photos?.report || 0) + (c.photos?.evidence || 0) > 0) {
    try { parts.push(photoStrip(await listPhotos(publicId, { token: token() }))); } catch (err) { /* the rest still shows */ }
  }
  parts.push(list);
  const run = async (name, details) => {
    try {
      await move(publicId, name, details, { token: token(), version: c.version });
      show($('notice'), '');
      detail.querySelectorAll('form').forEach((form) => form.reset()); // sent: not kept
      openPanel(publicId);
    } catch (err) {
      if (lostSession(err)) return;
      show($('notice'), explain(err), 'error');
      // Someone else moved it first (412), or it can no longer take that move (409): show
      // the state it is in now, keeping what was typed.
      if ((err.status === 409 || err.status === 412) && wantedTicket === publicId) openPanel(publicId);
    }
  };
  const allowed = c.allowed_moves || [];
  if (allowed.includes('assign')) parts.push(await assignForm(publicId, run));
  if (allowed.includes('transfer')) {
    const select = $('f-district').cloneNode(true);
    select.id = 'transfer-district';
    select.options[0].remove();
    select.querySelector(`option[value="${CSS.escape(c.district.code)}"]`)?.remove(); // not to itself
    parts.push(moveForm('transfer', select, (v, note) => run('transfer', { district_code: v, ...(note ? { internal_note: note } : {}) })));
  }
  if (allowed.includes('refer')) parts.push(referForm(run));
  if (OPEN.includes(c.status)) parts.push(await duplicateForm(c, run));
  if (c.status === 'duplicate') parts.push(unlinkButton(run));
  if (mine !== panelLoads) return;
  const typed = shownTicket === publicId ? typedIn(detail) : null;
  detail.replaceChildren(...parts);
  if (typed) restoreTyped(detail, typed);
  shownTicket = publicId;
  redrawPanel = () => { if (wantedTicket === publicId) openPanel(publicId); };
}

// EventSource reconnects by itself after a dropped connection, but not after an error answer
// (a lost session, or 503 streams_full when the server holds all the streams it may): then
// the page tries again after a while, and refreshes the map so it is not left stale.
let reconnectTimer = null;

function connect() {
  clearTimeout(reconnectTimer);
  if (stream) stream.close();
  stream = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(token())}`);
  stream.addEventListener('open', () => showLive(true));
  stream.addEventListener('error', () => {
    showLive(false);
    if (stream.readyState !== EventSource.CLOSED || !token()) return;
    // The stream first, then the map: a change between the two is then in one or the other
    // (a lost session found by the map's call closes the stream again).
    reconnectTimer = setTimeout(() => { connect(); loadComplaints(); }, 5_000 + Math.random() * 10_000);
  });
  stream.addEventListener('complaint', (event) => {
    const change = JSON.parse(event.data);
    upsert(liveRow(change), change.coordinates);
    refreshCutView();
    $('map').dataset.count = String(markers.size);
    $('map').dataset.lastEvent = change.public_id;
    scheduleList();
    scheduleKpi();
    if (change.public_id === shownTicket) refreshPanel(change.public_id); // not left stale
  });
}

// The header's "● live" (stream open) or "○ live", in the current language.
let liveOn = false;
function showLive(on = liveOn) {
  liveOn = on;
  $('live').textContent = `${on ? '●' : '○'} ${t('live')}`;
}

let kpiTimer = null;
function scheduleKpi() { clearTimeout(kpiTimer); kpiTimer = setTimeout(loadKpi, 1000); }

// The figures of the chosen period as a spreadsheet for the monthly report. A link cannot send
// the bearer token, so the file is fetched and handed to the browser as a download.
async function exportKpi() {
  const params = period();
  params.set('lang', lang);
  let response;
  try {
    response = await fetch(`/api/v1/kpi/export?${params}`, { headers: { Authorization: `Bearer ${token()}` } });
  } catch (err) { show($('notice'), t('network_error'), 'error'); return; }
  if (!response.ok) {
    const err = new ApiError(response.status, await response.json().catch(() => null));
    if (!lostSession(err)) show($('notice'), explain(err), 'error');
    return;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] || 'dasan-kpi.csv';
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function loadKpi() {
  const params = period();
  let kpi;
  try { kpi = await api(`/api/v1/kpi?${params}`, { token: token() }); } catch (err) {
    if (!lostSession(err)) show($('notice'), explain(err), 'error');
    return;
  }
  const city = kpi.city || kpi.districts[0] || {};
  const share = city.share_within_sla == null ? '—' : `${Math.round(city.share_within_sla * 100)}%`;
  const median = city.median_minutes_to_close == null ? '—' : Math.round(city.median_minutes_to_close);
  const satisfaction = city.satisfaction == null ? '—' : Number(city.satisfaction).toFixed(1);
  const figures = [
    ['received', city.received], ['open_now', city.open_now], ['overdue', city.overdue_now],
    ['median_close', median], ['within_sla', share], ['duplicates', city.duplicates_merged],
    ['satisfaction', satisfaction],
  ];
  $('kpi-figures').replaceChildren(...figures.map(([key, value]) => {
    const div = document.createElement('div');
    div.dataset.kpi = key;
    const strong = document.createElement('strong');
    strong.textContent = value ?? '—'; // *_now figures are null for a past period
    div.append(strong, t(key));
    return div;
  }));
  const rows = kpi.districts.filter((d) => d.open_now || d.overdue_now)
    .map((d) => ({ label: d.name || d.code, open: d.open_now ?? 0, overdue: d.overdue_now ?? 0 }));
  $('kpi-chart').replaceChildren(barChart(rows, [
    { key: 'open', label: t('open_now'), colour: '#1565c0' },
    { key: 'overdue', label: t('overdue'), colour: '#b71c1c' },
  ], `${t('open_now')} / ${t('overdue')}`));
}

// The categories with their attribute definitions: the panel names attributes by them.
let categoryList = [];

async function fillFilters() {
  try {
    const categories = await api('/api/v1/categories');
    categoryList = categories;
    const select = $('f-category');
    const chosen = [select.value, $('f-district').value]; // kept across a new language
    select.replaceChildren(select.options[0], ...categories.map((c) => new Option(c.name, c.code)));
    select.value = chosen[0];
    fillCallerChoices(categories);
    const districts = await api('/api/v1/districts');
    const d = $('f-district');
    d.replaceChildren(d.options[0], ...districts.features.map((f) => new Option(f.properties.name, f.id)));
    d.value = chosen[1];
  } catch (err) { /* filters stay on "all" */ }
}

function legend() {
  $('legend').replaceChildren(...OPEN.map((status) => {
    const li = document.createElement('li');
    const dot = document.createElement('span');
    dot.className = 'status-dot'; dot.style.background = STATUS_COLOURS[status];
    li.append(dot, ` ${t(`s_${status}`)}`);
    return li;
  }));
}

async function start() {
  enterApp();
  $('staff-link').hidden = !['supervisor', 'dispatcher', 'admin'].includes(current()?.staff?.role);
  if (!map) {
    map = baseMap($('map'), await config());
    cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    map.addLayer(cluster);
    serverClusters = L.layerGroup().addTo(map);
    map.on('moveend', () => scheduleComplaints());
    districtLayer(map).catch(() => {});
    const traffic = trafficLayer(map);
    layerSwitcher(map, { traffic: traffic.group, live: cluster });
    callerForm(map, { token, lostSession, onFiled: (publicId) => openPanel(publicId) });
  }
  await fillFilters();
  legend();
  connect();
  await loadComplaints();
  await loadKpi();
  document.body.dataset.ready = 'true';
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  document.addEventListener('dasan:language', async () => {
    legend();
    renderList();
    if (!token()) return;
    showLive();
    loadKpi();
    await fillFilters(); // category and district names come from the server
    loadComplaints(); // the list's names and the markers' titles
    redrawPanel?.(); // after the filters: its transfer choice copies their district names
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); loadComplaints(); loadKpi(); });
  $('kpi-export').addEventListener('click', exportKpi);
  $('find').addEventListener('submit', (e) => { e.preventDefault(); find($('find-id').value.trim()); });
  $('logout').addEventListener('click', async () => { await logout(); location.reload(); });
  passwordChange($('change-password'), { token, onLostSession: lostSession });
  loginForm($('login'), $('notice'), start);
  if (token()) start(); else { $('login').hidden = false; document.body.dataset.ready = 'true'; }
}

main();
