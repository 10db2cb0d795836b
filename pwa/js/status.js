// The reporter's status page: public state, timeline, photos; cancel, reopen and rate.
import {
  api, explain, languageSwitcher, loadLanguage, registerServiceWorker, seoulTime, show, t,
} from './common.js';
import { citizenMove, timeline } from './workflow.js';
import { retrier } from './retry.js';
import { listPhotos, photoStrip } from './photos.js';
import { saveTicket, ticket } from './store.js';

const $ = (id) => document.getElementById(id);
const publicId = decodeURIComponent(location.pathname.split('/').pop());
let token = '';
let complaint = null;
let unreachable = false; // the notice says "no connection" and goes once the server answers
// A closed report has no deadline left to keep: its "due" would read as still pending.
const CLOSED = ['resolved', 'unfounded', 'referred', 'duplicate', 'cancelled'];
// "It will be tried again later" must come true: when the phone is back online (the `online`
// listener), and by itself meanwhile (a server that was down sends no event).
const retry = retrier(() => render());

// The reporter's token gives cancel, reopen, rating and the photos: it must not stay in the
// address bar, the history or a link copied to share. A link that brings it (after filing, or
// by text message) hands it to this phone's `tickets` store and drops it from the URL; the
// page without it finds it there later.
async function takeToken() {
  const url = new URL(location.href);
  const brought = url.searchParams.get('t');
  if (brought) {
    url.searchParams.delete('t');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
    try {
      await saveTicket({ ...(await ticket(publicId)), public_id: publicId, token: brought });
    } catch (err) { /* no storage (private mode): this visit still has it */ }
    return brought;
  }
  try { return (await ticket(publicId))?.token || ''; } catch (err) { return ''; }
}

// A link for others: the same page, never the token.
function shareLink() {
  const link = $('share');
  link.href = `${location.origin}/status/${encodeURIComponent(publicId)}`;
  link.textContent = t('share_link');
}

async function render() {
  try {
    complaint = await api(`/api/v1/complaints/${encodeURIComponent(publicId)}`);
  } catch (err) {
    show($('notice'), explain(err), 'error');
    unreachable = err.status === 0;
    if (err.status === 0) retry.later();
    return;
  }
  retry.reset();
  if (unreachable) { $('notice').hidden = true; unreachable = false; }
  const summary = $('summary');
  const rows = [
    [t('status'), t(`s_${complaint.status}`)], [t('category'), complaint.category.name],
    [t('location'), complaint.address],
  ];
  if (!CLOSED.includes(complaint.status)) rows.push([t('due'), seoulTime(complaint.due_at)]);
  // Once closed, what was done (repaired, towed, no violation, …), as the result text said.
  if (complaint.outcome) rows.splice(1, 0, [t('outcome'), t(`outcome_${complaint.outcome}`)]);
  // Questions go to the district office, or to the 120 line when its number is not on file.
  const call = document.createElement('a');
  const phone = complaint.district_office_phone || '120';
  call.href = `tel:${phone.replace(/[^\d+]/g, '')}`;
  call.textContent = `☎ ${phone}`;
  rows.push([t('contact'), call]);
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.append(v);
    dl.append(dt, dd);
  }
  const h = document.createElement('h2'); h.textContent = complaint.public_id;
  summary.replaceChildren(h, dl);
  // Only the reporter (the link with its token) may cancel or reopen: a shared link shows none.
  $('cancel').hidden = !token || !['received', 'dispatched', 'transferred'].includes(complaint.status);
  $('reopen').hidden = !token || !['resolved', 'unfounded'].includes(complaint.status);
  renderPhotos();
  renderTimeline();
}

async function renderPhotos() {
  // Without the reporter's token (a shared link) the server refuses: nothing to ask for.
  if (!token) { $('photos').replaceChildren(); return; }
  try {
    const photos = await listPhotos(publicId, { headers: { 'X-Citizen-Token': token } });
    $('photos').replaceChildren(...(photos.length ? [photoStrip(photos)] : []));
  } catch (err) { /* no photos to show */ }
}

async function renderTimeline() {
  let events = [];
  try {
    if (!token) throw new Error('no token'); // the server would refuse a shared link (401)
    const data = await timeline(publicId, token);
    events = data.events;
    renderRating(data);
    // Past the reopen window the server refuses: no button to press in vain.
    if (!data.reopen_until || new Date(data.reopen_until) < new Date()) $('reopen').hidden = true;
  } catch (err) {
    // Without the reporter's token (a shared link) the current state is the timeline.
    events = [{ to_status: complaint.status, at: complaint.updated_at }];
  }
  $('timeline').replaceChildren(...events.filter((e) => !HIDDEN_EVENTS.includes(e.kind)).map((e) => {
    const li = document.createElement('li');
    const when = seoulTime(e.at);
    li.textContent = `${when} — ${eventLabel(e)}${e.public_note ? ` · ${e.public_note}` : ''}`;
    return li;
  }));
}

// Events that are not a change of status name themselves; the others name the new status.
const EVENT_LABELS = { photo_added: 'event_photo_added', rated: 'event_rated', reopened: 'event_reopened' };
// A deadline warning is the staff's alarm (same status before and after), not a step of the case.
const HIDDEN_EVENTS = ['escalated'];

function eventLabel(e) {
  if (EVENT_LABELS[e.kind]) return t(EVENT_LABELS[e.kind]);
  return t(`s_${e.to_status || e.status}`);
}

function renderRating(data) {
  $('rating').hidden = !data.ratable;
  $('rated').hidden = data.rating == null;
  if (data.rating != null) $('rated').textContent = `${t('rated_thanks')} ${data.rating} / 5`;
}

async function rate(event) {
  event.preventDefault();
  const picked = $('rating').querySelector('input[name=score]:checked');
  if (!picked) { show($('notice'), t('rate_pick'), 'error'); return; }
  try {
    await api(`/api/v1/complaints/${encodeURIComponent(publicId)}/rating`, {
      method: 'POST', body: { score: Number(picked.value) }, headers: { 'X-Citizen-Token': token },
    });
    $('notice').hidden = true;
  } catch (err) { show($('notice'), explain(err), 'error'); }
  await render();
}

async function act(name) {
  if (name === 'cancel' && !window.confirm(t('cancel_confirm'))) return;
  try {
    await citizenMove(publicId, name, token, complaint.version);
    await render();
  } catch (err) {
    // A reopen refused as a move is the window having passed (the only other reason, a
    // status that cannot be reopened, hides the button): say that, not "can no longer".
    const tooLate = name === 'reopen' && err.code === 'invalid_transition';
    show($('notice'), tooLate ? t('reopen_too_late') : explain(err), 'error');
    if (tooLate) $('reopen').hidden = true;
  }
}

async function main() {
  token = await takeToken();
  await loadLanguage();
  languageSwitcher($('lang'));
  shareLink();
  document.addEventListener('dasan:language', shareLink);
  registerServiceWorker();
  $('cancel').addEventListener('click', () => act('cancel'));
  $('reopen').addEventListener('click', () => act('reopen'));
  $('rating').addEventListener('submit', rate);
  document.addEventListener('dasan:language', render);
  window.addEventListener('online', () => { retry.reset(); render(); });
  await render();
  document.body.dataset.ready = 'true';
}

main();
